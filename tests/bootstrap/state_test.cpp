// zos-bootstrap's state folder follows the one corrupt-file rule
// (sys::read_json_state): reported, kept aside, never read as absent.
#include <algorithm>
#include <catch2/catch.hpp>

#include "common/sys/file.h"
#include "common/sys/json_state.h"
#include "plugins/bootstrap/state.h"
#include "support/support.h"

using namespace zos;

TEST_CASE("bootstrap store: a corrupt record is reported and kept aside", "[bootstrap][state]") {
  test::TempDir d;
  bootstrap::Store st(d.path());
  CHECK(st.write_if_changed("public-pub.json", {{"type", "veth"}, {"host_link", "pubh"}}));
  CHECK_FALSE(st.write_if_changed("public-pub.json", {{"type", "veth"}, {"host_link", "pubh"}}));  // unchanged
  CHECK(st.read("public-pub.json") == nlohmann::json{{"type", "veth"}, {"host_link", "pubh"}});
  CHECK(st.write_if_changed("public-pub2.json", {{"type", "veth"}, {"host_link", "pub2h"}}));
  auto names = [&] {
    auto n = st.public_names();
    std::sort(n.begin(), n.end());
    return n;
  };
  // The listing sees records: so that its answer below says something.
  CHECK(names() == std::vector<std::string>{"pub", "pub2"});

  sys::write_file_atomic(st.path("public-pub.json"), "{\"type\":\"veth\",");
  CHECK_THROWS_AS(st.read("public-pub.json"), sys::CorruptState);
  size_t kept = 0;
  for (const auto& f : sys::list_dir(st.dir())) kept += f.rfind("public-pub.json.corrupt-", 0) == 0;
  CHECK(kept == 1);
  CHECK(names() == std::vector<std::string>{"pub2"});  // the kept copy is not a public namespace
  CHECK_FALSE(st.read("public-pub.json"));
}
