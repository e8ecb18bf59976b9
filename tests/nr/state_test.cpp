// zos-nr's state folder and the corrupt-file rule (sys::read_json_state):
// a corrupt record is error 6 where one is read, moved aside and logged
// where all are listed; never read as absent silently.
#include <catch2/catch.hpp>

#include "common/cni/error.h"
#include "common/sys/file.h"
#include "plugins/nr/state.h"
#include "support/support.h"

using namespace zos;

namespace {

size_t kept_copies(const std::string& dir) {
  size_t n = 0;
  for (const auto& f : sys::list_dir(dir)) n += f.find(".json.corrupt-") != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("nr state: a corrupt record is reported, kept aside, and hides no other", "[nr][state]") {
  test::TempDir d;
  nr::State st(d.path());
  st.save_attachment({"zv000000000001", "c1", "eth0", "net-a", "n-a", "conf", "/run/netns/c1"});
  st.save_attachment({"zv000000000002", "c2", "eth0", "net-a", "n-a", "conf", "/run/netns/c2"});
  st.save_applied({"net-a", 3, "n-a", "node", nlohmann::json::object(), 1420u});
  st.save_applied({"net-b", 1, "n-b", "node", nlohmann::json::object(), std::nullopt});
  const std::string att = d / "nr/attachments", nets = d / "nr/networks";

  SECTION("read one: error 6 naming the file; the next read goes on without it") {
    sys::write_file_atomic(att + "/zv000000000001.json", "{\"containerID\":");
    try {
      st.attachment("zv000000000001");
      FAIL("a corrupt attachment record was read");
    } catch (const cni::Error& e) {
      CHECK(e.code() == cni::kDecodeFailure);
      CHECK_THAT(e.msg(), Catch::Contains("zv000000000001.json") && Catch::Contains("moved aside"));
    }
    CHECK(kept_copies(att) == 1);
    CHECK_FALSE(st.attachment("zv000000000001"));
    CHECK(st.attachment("zv000000000002"));

    sys::write_file_atomic(nets + "/net-a.json", "[]");
    CHECK_THROWS_AS(st.applied("net-a"), cni::Error);
    CHECK(kept_copies(nets) == 1);
    CHECK_FALSE(st.applied("net-a"));
  }
  SECTION("list: the others are listed, the corrupt one is kept aside") {
    sys::write_file_atomic(att + "/zv000000000001.json", "not json");
    sys::write_file_atomic(nets + "/net-b.json", "");
    auto a = st.attachments();
    REQUIRE(a.size() == 1);
    CHECK(a[0].host_veth == "zv000000000002");
    auto n = st.all_applied();
    REQUIRE(n.size() == 1);
    CHECK(n[0].network_id == "net-a");
    CHECK(n[0].mtu == 1420u);
    CHECK(kept_copies(att) == 1);
    CHECK(kept_copies(nets) == 1);
    CHECK(st.attachments().size() == 1);  // the kept copy is not listed
  }
}

TEST_CASE("nr state: a network id that is no network name never becomes a path", "[nr][state]") {
  test::TempDir d;
  nr::State st(d.path());
  // A file the id would reach from nr/networks/ if it were a path: it must
  // stay as it is (a corrupt-looking read would move it aside).
  sys::write_file_atomic(d / "x.json", "not json");
  for (const std::string& id : std::vector<std::string>{"../../x", std::string("a\0b", 3), ".hidden", ""}) {
    INFO(id);
    CHECK(test::code_of([&] { st.applied(id); }) == cni::kInvalidConfig);
    CHECK(test::code_of([&] { st.remove_applied(id); }) == cni::kInvalidConfig);
  }
  CHECK(sys::read_file(d / "x.json") == std::optional<std::string>("not json"));
  CHECK_FALSE(st.applied("net-a"));
}
