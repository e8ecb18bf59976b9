// sys::json_depth, the guard before every parse of untrusted JSON: it skips
// strings with memchr now, and must see the same depth as a byte-by-byte
// scan (escapes, backslash runs, brackets inside strings, unterminated
// strings), so that no deep document slips past parse_json().
#include <catch2/catch.hpp>

#include <string>

#include "common/sys/file.h"
#include "common/sys/json.h"
#include "common/sys/json_state.h"
#include "support/support.h"

namespace {

// The byte-by-byte scan json_depth was before.
int reference_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if ((c == '[' || c == '{') && ++depth > deepest) deepest = depth;
    else if ((c == ']' || c == '}') && depth > 0) --depth;
  }
  return deepest;
}

}  // namespace

TEST_CASE("json_depth: strings, escapes and brackets as a byte-by-byte scan sees them", "[sys][json]") {
  using zos::sys::json_depth;
  CHECK(json_depth("") == 0);
  CHECK(json_depth("[[{}]]") == 3);
  CHECK(json_depth(R"(["[[[[", {"a": "}}}"}])") == 2);
  CHECK(json_depth(R"(["\"[[[", [1]])") == 2);      // an escaped quote does not end the string
  CHECK(json_depth(R"(["\\", [[1]]])") == 3);        // an escaped backslash does not escape the quote
  CHECK(json_depth(R"(["\\\"[[", [1]])") == 2);     // three backslashes: the quote is escaped
  CHECK(json_depth(R"(["\\\\", [[[1]]]])") == 4);   // four: it is not
  CHECK(json_depth(R"([["unterminated [[[[)") == 2);  // what was seen before it went wrong
  CHECK(json_depth(std::string(100000, '[')) == 100000);
  // Random texts over the characters that matter.
  const char alphabet[] = "[]{}\"\\a ,";
  uint64_t seed = 42;
  for (int i = 0; i < 20000; ++i) {
    std::string t;
    const int len = static_cast<int>(seed % 40);
    for (int k = 0; k < len; ++k) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      t += alphabet[(seed >> 33) % (sizeof alphabet - 1)];
    }
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    INFO(t);
    REQUIRE(json_depth(t) == reference_depth(t));
  }
}

// read_json_state(path, member, expect): the re-apply's read of its applied
// record, which skips parsing the network object when the file holds it as
// written. It must give what a full read gives for every file, also those
// it cannot take the short way (another object, other formatting, the key
// twice or nested, escapes), and refuse what a full read refuses.
TEST_CASE("read_json_state with an expected member reads what a full read reads", "[sys][json][state]") {
  using nlohmann::json;
  zos::test::TempDir d;
  const std::string p = d / "rec.json";
  // What the short way takes (printable ASCII strings, integers), with
  // brackets, colons and "network" inside strings.
  json net = {{"network_id", "n"},
              {"resources", {{{"prefix", "2a02::/64"}, {"peers", {{{"key", "}{[,: network"}, {"port", 1}}}}}}},
              {"empty", json::object()},
              {"list", json::array({json::array(), json::object(), nullptr, true, false, -7})},
              {"network", "network: inside {[,"}};
  // What it leaves to the parser: escapes, UTF-8, floats.
  json fancy = {{"note", "line\nbreak \u00e9 \\\" }"}, {"key", "a\"b\\\\\"}{[,:"}, {"num", -1.5}};
  json other = net;
  other["resources"][0]["peers"][0]["port"] = 2;
  auto record = [](const json& n) {
    return json{{"mtu", 1420}, {"netns", "net-0f14-0"}, {"network", n}, {"network_id", "n"}, {"version", 3}};
  };
  auto same_as_full = [&](const std::string& text, const json& expect) {
    zos::sys::write_file_atomic(p, text);
    auto full = zos::sys::read_json_state(p);
    auto fast = zos::sys::read_json_state(p, "network", expect);
    CHECK(fast == full);
    return fast;
  };
  const std::string as_written = record(net).dump(2) + "\n";
  CHECK(same_as_full(as_written, net) == record(net));                     // the short way
  bool taken = false;
  auto left = zos::sys::read_json_state(p, "network", net, &taken);
  CHECK(taken);  // it was the short way: the member left for the caller
  CHECK((left && (*left)["network"].is_null()));
  CHECK(same_as_full(as_written, other) == record(net));                   // another object: the file's
  CHECK(same_as_full(record(net).dump() + "\n", net) == record(net));      // compact
  CHECK(same_as_full(record(other).dump(2), net) == record(other));
  CHECK(same_as_full(record(fancy).dump(2) + "\n", fancy) == record(fancy));
  // One byte changed anywhere in the member's text: the file's value.
  int edits = 0;
  for (size_t at = as_written.find("\"network\": {"); at < as_written.rfind("\"network_id\""); ++at) {
    std::string edited = as_written;
    if (edited[at] < '0' || edited[at] > '9') continue;  // a digit for a digit: still JSON
    edited[at] = edited[at] == '1' ? '2' : '1';
    ++edits;
    zos::sys::write_file_atomic(p, edited);
    auto full = zos::sys::read_json_state(p);
    CHECK(zos::sys::read_json_state(p, "network", net) == full);
    CHECK(full != record(net));
  }
  CHECK(edits >= 4);
  // "network" twice at the top: the parser keeps the last.
  auto both = same_as_full(std::string(as_written).insert(as_written.rfind('}') - 1, ",\n  \"network\": null"), net);
  REQUIRE(both);
  CHECK((*both)["network"].is_null());
  // A nested "network" at the same indent as the top-level one.
  json nested = record(other);
  nested["netns"] = {{"network", net}};
  std::string nested_text = nested.dump(2);
  const std::string inner = "\n    \"network\": ";
  nested_text.replace(nested_text.find(inner), inner.size(), "\n  \"network\": ");
  auto n2 = same_as_full(nested_text, net);
  REQUIRE(n2);
  CHECK((*n2)["network"] == other);
  // A record without the member, and the member's value null.
  json none = record(net);
  none.erase("network");
  CHECK(same_as_full(none.dump(2), net) == none);
  CHECK(same_as_full(record(nullptr).dump(2), net) == record(nullptr));
  // Corrupt around an intact member: refused, moved aside, as by a full read.
  std::string broken = as_written;
  broken.replace(broken.find("\"version\": 3"), 12, "\"version\": ");
  zos::sys::write_file_atomic(p, broken);
  CHECK_THROWS_AS(zos::sys::read_json_state(p, "network", net), zos::sys::CorruptState);
  CHECK_FALSE(zos::sys::read_json_state(p, "network", net));
  // Too deep once inside the record: refused as a full read refuses it.
  json deep = 1;
  for (int i = 0; i < zos::sys::kMaxJsonDepth; ++i) deep = json::array({deep});
  zos::sys::write_file_atomic(p, record(deep).dump(2));
  CHECK_THROWS_AS(zos::sys::read_json_state(p, "network", deep), zos::sys::CorruptState);
}
