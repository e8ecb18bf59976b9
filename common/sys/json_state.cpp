#include "common/sys/json_state.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "common/log/log.h"
#include "common/sys/file.h"
#include "common/sys/syscall.h"

namespace zos::sys {

namespace {

std::string message(const std::string& path, const std::string& kept) {
  return "state file " + path + " is corrupt (not a JSON object): " +
         (kept.empty() ? std::string("another reader moved it aside") : "moved aside to " + kept) +
         " (kept for the operator); the next run goes on without it";
}

}  // namespace

CorruptState::CorruptState(std::string p, std::string k)
    : JsonError(message(p, k)), path(std::move(p)), kept(std::move(k)) {}

namespace {

bool json_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// The value of top-level member `member` of the JSON object `text`: its
// first and last byte + 1. nullopt when it is absent, appears twice, or
// `text` is no object (the scan is json_depth's: strings skipped whole).
std::optional<std::pair<size_t, size_t>> member_span(std::string_view text, std::string_view member) {
  std::optional<std::pair<size_t, size_t>> found;
  int depth = 0;
  bool open = false;   // the member's value runs until the next ',' or '}' at depth 1
  size_t last = 0;     // the end of the last token at depth >= 1 seen
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (json_space(c)) {
      ++i;
      continue;
    }
    if (c == '"') {
      size_t j = i + 1;
      for (;;) {
        j = text.find('"', j);
        if (j == std::string_view::npos) return std::nullopt;
        size_t b = j;
        while (b > i + 1 && text[b - 1] == '\\') --b;
        if ((j - b) % 2 == 0) break;
        ++j;
      }
      // A key at depth 1 is a string followed by ':'.
      if (depth == 1 && !open && text.substr(i + 1, j - i - 1) == member) {
        size_t k = j + 1;
        while (k < text.size() && json_space(text[k])) ++k;
        if (k < text.size() && text[k] == ':') {
          if (found) return std::nullopt;  // twice: the parser keeps the last
          ++k;
          while (k < text.size() && json_space(text[k])) ++k;
          found = std::pair{k, k};
          open = true;
          i = k;
          continue;
        }
      }
      i = j + 1;
      last = i;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    if (open && (depth == 0 || (depth == 1 && c == ','))) {
      found->second = last;
      open = false;
    }
    last = ++i;
  }
  if (open || depth != 0) return std::nullopt;
  return found;
}

// Whether text[pos...] is `v` as dump(2) writes it at `indent` (its
// members at indent + 2), advancing pos past it. A match is a JSON text of
// `v` whatever dump() would write, so a parse of it gives `v`. Only what
// needs no escape is matched (strings of printable ASCII without '"' or
// '\\', integers, true/false/null): anything else is parsed the long way.
bool renders(const nlohmann::json& v, std::string_view text, size_t& pos, size_t indent) {
  auto take = [&](std::string_view s) {
    if (text.compare(pos, s.size(), s) != 0) return false;
    pos += s.size();
    return true;
  };
  auto spaces = [&](size_t n) {
    if (text.size() - pos < n || text.find_first_not_of(' ', pos) < pos + n) return false;
    pos += n;
    return true;
  };
  auto string = [&](const std::string& s) {
    for (unsigned char c : s)
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
    return take("\"") && take(s) && take("\"");
  };
  switch (v.type()) {
    case nlohmann::json::value_t::null: return take("null");
    case nlohmann::json::value_t::boolean: return take(v.get<bool>() ? "true" : "false");
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_integer: {
      char b[24];
      char* e = v.is_number_unsigned() ? std::to_chars(b, b + sizeof b, v.get<uint64_t>()).ptr
                                       : std::to_chars(b, b + sizeof b, v.get<int64_t>()).ptr;
      return take(std::string_view(b, static_cast<size_t>(e - b)));
    }
    case nlohmann::json::value_t::string: return string(v.get_ref<const std::string&>());
    case nlohmann::json::value_t::object:
    case nlohmann::json::value_t::array: {
      const bool obj = v.is_object();
      if (v.empty()) return take(obj ? "{}" : "[]");
      if (!take(obj ? "{\n" : "[\n")) return false;
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first && !take(",\n")) return false;
        first = false;
        if (!spaces(indent + 2)) return false;
        if (obj && !(string(it.key()) && take(": "))) return false;
        if (!renders(*it, text, pos, indent + 2)) return false;
      }
      return take("\n") && spaces(indent) && take(obj ? "}" : "]");
    }
    default: return false;  // floats, binary
  }
}

// The nesting of a value, as json_depth counts it in its text (a scalar 0),
// counted no further than `limit`.
int value_depth(const nlohmann::json& j, int limit) {
  if (!j.is_structured() || limit == 0) return 0;
  int deepest = 0;
  for (const auto& v : j) deepest = std::max(deepest, value_depth(v, limit - 1));
  return 1 + deepest;
}

// parse_json_or_discarded(text) without parsing `member`'s value when its
// text is `expect` as dump(2) writes it one level down.
nlohmann::json parse_expecting(const std::string& text, std::string_view member, const nlohmann::json& expect,
                               bool* taken) {
  if (taken) *taken = false;
  auto span = member_span(text, member);
  // One level down in the record: too deep there for a full read unless
  // below the limit here.
  if (span && value_depth(expect, kMaxJsonDepth) < kMaxJsonDepth) {
    const std::string_view value = std::string_view(text).substr(span->first, span->second - span->first);
    size_t pos = 0;
    if (renders(expect, value, pos, 2) && pos == value.size()) {
      std::string rest = text.substr(0, span->first) + "null" + text.substr(span->second);
      nlohmann::json j = parse_json_or_discarded(rest);
      if (!j.is_discarded() && j.is_object()) {
        auto it = j.find(member);
        if (it != j.end() && it->is_null()) {
          if (taken) *taken = true;
          else *it = expect;
          return j;
        }
      }
    }
  }
  return parse_json_or_discarded(text);
}

template <class Parse>
std::optional<nlohmann::json> read_state(const std::string& path, const Parse& parse) {
  struct stat before {};
  const bool seen = ::stat(path.c_str(), &before) == 0;
  auto text = read_file(path);
  if (!text) return std::nullopt;
  nlohmann::json j = parse(*text);
  if (!j.is_discarded() && j.is_object()) return j;
  // Only the file that was read is moved aside: one a writer put in its
  // place meanwhile (write_file_atomic renames a new inode in) is good.
  struct stat now {};
  if (seen && ::stat(path.c_str(), &now) == 0 && (now.st_ino != before.st_ino || now.st_dev != before.st_dev))
    return read_state(path, parse);
  std::string kept = path + ".corrupt-" + std::to_string(std::time(nullptr));
  if (std::rename(path.c_str(), kept.c_str()) != 0) {
    if (errno != ENOENT) throw_errno("moving the corrupt state file " + path + " aside");
    kept.clear();
  }
  CorruptState e(path, kept);
  spdlog::error("{}", e.what());
  throw e;
}

}  // namespace

std::optional<nlohmann::json> read_json_state(const std::string& path) {
  return read_state(path, [](const std::string& text) { return parse_json_or_discarded(text); });
}

std::optional<nlohmann::json> read_json_state(const std::string& path, std::string_view member,
                                              const nlohmann::json& expect, bool* taken) {
  return read_state(path, [&](const std::string& text) { return parse_expecting(text, member, expect, taken); });
}

JsonStateDir::JsonStateDir(std::string dir, unsigned file_mode, unsigned dir_mode)
    : dir_(std::move(dir)), file_mode_(file_mode), dir_mode_(dir_mode) {}

std::string JsonStateDir::path(std::string_view name) const {
  std::string p;
  p.reserve(dir_.size() + 1 + name.size());
  return p.append(dir_).append(1, '/').append(name);
}

std::optional<nlohmann::json> JsonStateDir::read(std::string_view name) const { return read_json_state(path(name)); }

std::optional<nlohmann::json> JsonStateDir::read(std::string_view name, std::string_view member,
                                                 const nlohmann::json& expect, bool* taken) const {
  return read_json_state(path(name), member, expect, taken);
}

std::vector<std::string> JsonStateDir::names(std::string_view prefix, std::string_view suffix) const {
  std::vector<std::string> out;
  for (const auto& f : list_dir(dir_))
    if (f.size() > prefix.size() + suffix.size() && f.starts_with(prefix) && f.ends_with(suffix))
      out.push_back(f.substr(prefix.size(), f.size() - prefix.size() - suffix.size()));
  return out;
}

std::vector<std::pair<std::string, nlohmann::json>> JsonStateDir::records(std::string_view suffix) const {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  for (auto& name : names("", suffix)) {
    try {
      if (auto j = read(name + std::string(suffix))) out.emplace_back(std::move(name), std::move(*j));
    } catch (const CorruptState&) {
      // moved aside and logged by read_json_state
    }
  }
  return out;
}

void JsonStateDir::write_text(const std::string& p, const std::string& text, Sync sync) const {
  in_dir(dir_, dir_mode_, [&] { write_file_atomic(p, text, file_mode_, sync); });
}

void JsonStateDir::write(std::string_view name, const nlohmann::json& j, Sync sync, int indent) const {
  write_text(path(name), j.dump(indent) + "\n", sync);
}

bool JsonStateDir::write_if_changed(std::string_view name, const nlohmann::json& j, Sync sync, int indent) const {
  const std::string p = path(name), text = j.dump(indent) + "\n";
  if (read_file(p) == text) return false;
  write_text(p, text, sync);
  return true;
}

bool JsonStateDir::remove(std::string_view name) const { return remove_if_exists(path(name)); }

}  // namespace zos::sys
