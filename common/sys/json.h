// JSON from untrusted bytes, and JSON that is printed back to a caller.
//
// nlohmann::json parses iteratively, but copying, comparing and dumping a
// value recurse once per level: a document nested 100,000 deep parses and
// then overflows the stack in the first copy. parse_json() refuses such a
// document before the parser sees it. dump_json() never throws on strings
// that are not UTF-8 (the default dump() does, type_error.316): error
// replies echo what the caller sent, whatever its bytes.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace zos::sys {

// Deeper than this is refused. The deepest document zos-cni reads (a
// network object) nests 6 levels; msgpack arguments are capped at 64.
inline constexpr int kMaxJsonDepth = 64;

// Why a text is not a JSON document we take.
struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The deepest nesting of arrays and objects in `text` (strings skipped;
// a malformed text gives what was seen before it went wrong).
int json_depth(std::string_view text);

// Parses `text`; JsonError saying what is wrong (too deep, syntax, bad
// UTF-8), with every byte of the message valid UTF-8.
nlohmann::json parse_json(std::string_view text);

// parse_json() that returns a discarded value (is_discarded()) instead.
nlohmann::json parse_json_or_discarded(std::string_view text);

// dump() that writes U+FFFD for bytes that are not UTF-8.
std::string dump_json(const nlohmann::json& j, int indent = -1);

// A string field of an object: j[key], or `def` when the key is absent or
// null (as Go's decoder and the CNI spec read a config). Anything else is
// the caller's error, in the caller's words: `not_string()` must throw.
template <class NotString>
std::string string_field(const nlohmann::json& j, const char* key, NotString&& not_string, const std::string& def = "") {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  if (!it->is_string()) not_string();
  return it->get<std::string>();
}

// A JSON document shared by its copies, read-only: a network object of
// 1000 peers is ~1.5 MB of nodes, kept by the Network, the Resource and the
// applied record of one apply. == compares values (the same document
// without a walk).
class SharedJson {
 public:
  SharedJson() = default;  // null
  SharedJson(nlohmann::json j) : p_(std::make_shared<const nlohmann::json>(std::move(j))) {}
  const nlohmann::json& get() const { return p_ ? *p_ : null(); }
  operator const nlohmann::json&() const { return get(); }
  const nlohmann::json& operator*() const { return get(); }
  const nlohmann::json* operator->() const { return &get(); }
  bool operator==(const SharedJson& o) const { return p_ == o.p_ || get() == o.get(); }

 private:
  static const nlohmann::json& null() {
    static const nlohmann::json n;
    return n;
  }
  std::shared_ptr<const nlohmann::json> p_;
};

bool valid_utf8(std::string_view s);
// `s` with every byte that is not part of valid UTF-8 as U+FFFD.
std::string sanitize_utf8(std::string_view s);
// `s` for one line of a log: control bytes (newlines included) and bytes
// that are not part of valid UTF-8 as \xNN, so text a tenant sent can
// neither break a line nor forge the next one.
std::string printable(std::string_view s);

}  // namespace zos::sys
