#include "common/sys/json.h"

#include <cstring>

namespace zos::sys {

using nlohmann::json;

int json_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    switch (*p++) {
      case '"':
        // To the closing quote with memchr (most of a network object's bytes
        // are in strings): a quote after an odd run of backslashes is escaped.
        for (;;) {
          const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
          if (!q) return deepest;  // unterminated: what was seen
          const char* b = q;
          while (b > p && b[-1] == '\\') --b;
          p = q + 1;
          if ((q - b) % 2 == 0) break;
        }
        break;
      case '[':
      case '{':
        if (++depth > deepest) deepest = depth;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return deepest;
}

json parse_json(std::string_view text) {
  if (int d = json_depth(text); d > kMaxJsonDepth)
    throw JsonError("nested " + std::to_string(d) + " levels deep (at most " + std::to_string(kMaxJsonDepth) +
                    " are accepted)");
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    // The parser quotes the bytes it stopped at, which may be anything.
    throw JsonError(sanitize_utf8(e.what()));
  }
}

json parse_json_or_discarded(std::string_view text) {
  if (json_depth(text) > kMaxJsonDepth) return json(json::value_t::discarded);
  return json::parse(text, nullptr, false);
}

std::string dump_json(const json& j, int indent) { return j.dump(indent, ' ', false, json::error_handler_t::replace); }

namespace {

// The length of the valid UTF-8 sequence at s[i], 0 when there is none.
std::size_t utf8_seq(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t len;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) len = 2, cp = c & 0x1f;
  else if ((c & 0xf0) == 0xe0) len = 3, cp = c & 0x0f;
  else if ((c & 0xf8) == 0xf0) len = 4, cp = c & 0x07;
  else return 0;
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  // Overlong forms, surrogates and values past U+10FFFF.
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

}  // namespace

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_seq(s, i);
    if (!n) return false;
    i += n;
  }
  return true;
}

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_seq(s, i);
    if (n) out.append(s.substr(i, n)), i += n;
    else out += "\xef\xbf\xbd", ++i;
  }
  return out;
}

std::string printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x20 || c == 0x7f ? 0 : utf8_seq(s, i);
    if (n) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
      ++i;
    }
  }
  return out;
}

}  // namespace zos::sys
