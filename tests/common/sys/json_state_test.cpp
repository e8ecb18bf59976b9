// sys::JsonStateDir: the one folder of JSON state files zos-nr and
// zos-bootstrap keep (read_json_state's corrupt-file rule, atomic writes).
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "common/sys/file.h"
#include "common/sys/json_state.h"
#include "support/support.h"

using namespace zos;
using nlohmann::json;
using zos::test::TempDir;

namespace {

unsigned mode_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("JsonStateDir: a record written is read back, the folder made on the first write", "[sys][state]") {
  TempDir d;
  sys::JsonStateDir st(d / "a/b", 0640, 0750);
  CHECK(st.path("x.json") == d / "a/b/x.json");
  CHECK_FALSE(st.read("x.json"));  // no folder yet: absent, not an error
  const json rec = {{"id", "x"}, {"n", 3}, {"list", {1, 2}}};
  st.write("x.json", rec);
  CHECK(st.read("x.json") == rec);
  CHECK(sys::read_file(st.path("x.json")) == rec.dump(2) + "\n");
  CHECK(mode_of(d / "a") == 0750);
  CHECK(mode_of(d / "a/b") == 0750);
  CHECK(mode_of(st.path("x.json")) == 0640);

  st.write("y.json", rec, sys::Sync::kCrashSafe, -1);
  CHECK(sys::read_file(st.path("y.json")) == rec.dump() + "\n");  // one line
  bool taken = false;
  auto fast = st.read("x.json", "list", rec["list"], &taken);
  CHECK(taken);  // the member's text was the expected one
  REQUIRE(fast);
  CHECK((*fast)["id"] == "x");

  CHECK_FALSE(st.write_if_changed("x.json", rec));  // the same text: nothing written
  CHECK(st.write_if_changed("x.json", {{"id", "x"}}));
  CHECK(st.read("x.json") == json{{"id", "x"}});
  CHECK(st.write_if_changed("z.json", rec));  // a new one
}

TEST_CASE("JsonStateDir: remove, and a missing record or folder is fine", "[sys][state]") {
  TempDir d;
  sys::JsonStateDir st(d / "s");
  CHECK_FALSE(st.remove("x.json"));  // no folder
  CHECK(st.names("", ".json").empty());
  CHECK(st.records(".json").empty());
  st.write("x.json", {{"a", 1}});
  CHECK(st.remove("x.json"));
  CHECK_FALSE(st.remove("x.json"));
  CHECK_FALSE(st.read("x.json"));
}

TEST_CASE("JsonStateDir: a corrupt record is moved aside and reported, the listing goes on", "[sys][state]") {
  TempDir d;
  sys::JsonStateDir st(d / "s");
  st.write("pub-a.json", {{"n", "a"}});
  st.write("pub-b.json", {{"n", "b"}});
  st.write("other.json", {{"n", "o"}});
  sys::write_file_atomic(st.path("pub-c.json.tmp-1"), "{}");  // a writer's leftover
  sys::write_file_atomic(st.path("pub-.json"), "{}");         // no name in it
  CHECK(sorted(st.names("pub-", ".json")) == std::vector<std::string>{"a", "b"});

  SECTION("read one: CorruptState naming the file and its kept copy; the next read finds none") {
    sys::write_file_atomic(st.path("pub-a.json"), "{\"n\":");
    try {
      st.read("pub-a.json");
      FAIL("a corrupt record was read");
    } catch (const sys::CorruptState& e) {
      CHECK(e.path == st.path("pub-a.json"));
      REQUIRE(e.kept.rfind(st.path("pub-a.json.corrupt-"), 0) == 0);
      CHECK(sys::read_file(e.kept) == "{\"n\":");  // kept for the operator
    }
    CHECK_FALSE(st.read("pub-a.json"));
    // The kept copy is no record.
    CHECK(sorted(st.names("pub-", ".json")) == std::vector<std::string>{"b"});
  }
  SECTION("a listing leaves the corrupt one out, moved aside, and lists the others") {
    sys::write_file_atomic(st.path("pub-b.json"), "[]");
    auto recs = st.records(".json");
    std::sort(recs.begin(), recs.end());
    REQUIRE(recs.size() == 3);
    CHECK(recs[0] == std::pair<std::string, json>{"other", {{"n", "o"}}});
    CHECK(recs[1] == std::pair<std::string, json>{"pub-", json::object()});
    CHECK(recs[2] == std::pair<std::string, json>{"pub-a", {{"n", "a"}}});
    size_t kept = 0;
    for (const auto& f : sys::list_dir(st.dir())) kept += f.rfind("pub-b.json.corrupt-", 0) == 0;
    CHECK(kept == 1);
    CHECK_FALSE(st.read("pub-b.json"));
  }
}
