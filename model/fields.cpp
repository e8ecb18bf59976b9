#include "model/fields.h"

#include "common/cni/error.h"

namespace zos::model::field {

namespace {

// How Go writes a nil net.IP or *net.IPNet (their String methods).
constexpr std::string_view kGoNil = "<nil>";

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Go's case-insensitive field match of a document key against an ASCII
// field name: under Unicode simple folding the only non-ASCII runes that
// equal an ASCII letter are KELVIN SIGN (k) and LATIN SMALL LETTER LONG S (s).
bool go_fold_equal(std::string_view key, std::string_view name) {
  size_t i = 0;
  for (char want : name) {
    char w = lower(want);
    if (i < key.size() && lower(key[i]) == w) {
      ++i;
    } else if (w == 'k' && key.substr(i, 3) == "\xE2\x84\xAA") {
      i += 3;
    } else if (w == 's' && key.substr(i, 2) == "\xC5\xBF") {
      i += 2;
    } else {
      return false;
    }
  }
  return i == key.size();
}

}  // namespace

std::string at(const std::string& where, std::string_view key) {
  return where.empty() ? std::string(key) : where + "." + std::string(key);
}

void bad(const std::string& where, const std::string& what) {
  throw cni::Error(cni::kInvalidConfig, "network object: " + where + " " + what);
}

const json* get(const json& j, std::string_view name, const std::string& where) {
  if (!j.is_object()) return nullptr;
  if (auto it = j.find(name); it != j.end()) return it->is_null() ? nullptr : &*it;
  const json* found = nullptr;
  std::string found_key;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!go_fold_equal(it.key(), name)) continue;
    if (found)
      bad(at(where, name), "is spelled both \"" + found_key + "\" and \"" + it.key() + "\": keep one");
    found = &it.value();
    found_key = it.key();
  }
  return found && !found->is_null() ? found : nullptr;
}

std::string str(const json& j, std::string_view key, const std::string& where, bool required) {
  const json* v = get(j, key, where);
  if (!v) {
    if (required) bad(at(where, key), "is required");
    return "";
  }
  if (!v->is_string()) bad(at(where, key), "must be a string");
  return v->get<std::string>();
}

uint64_t num(const json& j, std::string_view key, const std::string& where) {
  const json* v = get(j, key, where);
  if (!v) return 0;
  if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0))
    bad(at(where, key), "must be a non-negative integer");
  return v->get<uint64_t>();
}

uint16_t port(const json& j, std::string_view key, const std::string& where) {
  uint64_t p = num(j, key, where);
  if (p > 65535) bad(at(where, key), "must be a port (0-65535)");
  return static_cast<uint16_t>(p);
}

bool boolish(const json& j, std::string_view key, const std::string& where) {
  const json* v = get(j, key, where);
  if (!v) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number_integer()) return v->get<int64_t>() != 0;
  bad(at(where, key), "must be a boolean or an integer");
}

const json& list(const json& j, std::string_view key, const std::string& where) {
  static const json empty = json::array();
  const json* v = get(j, key, where);
  if (!v) return empty;
  if (!v->is_array()) bad(at(where, key), "must be a list");
  return *v;
}

std::optional<ip::Addr> addr(const json& j, std::string_view key, const std::string& where) {
  std::string s = str(j, key, where);
  if (s.empty() || s == kGoNil) return std::nullopt;
  if (auto a = ip::Addr::parse(s)) return a;
  // An "addr/len" (0-OS's own test vector has such an endpoint): net.ParseIP
  // drops it, and so 0-OS reads no address.
  if (s.find('/') != std::string::npos && ip::Prefix::parse(s)) return std::nullopt;
  bad(at(where, key), "\"" + s + "\" is not an IP address");
}

std::optional<ip::Prefix> prefix(const json& j, std::string_view key, const std::string& where) {
  const json* v = get(j, key, where);
  if (!v) return std::nullopt;
  std::string w = at(where, key);
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    if (s.empty() || s == kGoNil) return std::nullopt;
    auto p = ip::Prefix::parse(s);
    if (!p || s.find('/') == std::string::npos) bad(w, "\"" + s + "\" is not an address/length");
    return p;
  }
  if (!v->is_object() || !get(*v, "IP", w)) bad(w, "must be \"addr/len\" or {\"IP\", \"Mask\"}");
  auto a = ip::Addr::parse(str(*v, "IP", w, true));
  if (!a) bad(w + ".IP", "is not an IP address");
  std::string mask_b64 = str(*v, "Mask", w, true);
  // base64 decode of at most 16 bytes
  static const std::string tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uint8_t> mask;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : mask_b64) {
    if (c == '=') break;
    auto pos = tbl.find(c);
    if (pos == std::string::npos) bad(w + ".Mask", "is not base64");
    acc = (acc << 6) | static_cast<uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      mask.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (mask.size() != 4 && mask.size() != 16) bad(w + ".Mask", "must be 4 or 16 bytes");
  int len = 0;
  bool ended = false;
  for (uint8_t byte : mask)
    for (int b = 7; b >= 0; --b) {
      bool set = byte & (1 << b);
      if (set && ended) bad(w + ".Mask", "is not a contiguous mask");
      if (set) ++len;
      else ended = true;
    }
  ip::Addr addr = *a;
  if (mask.size() == 4 && addr.is_v6()) {
    // Go writes IPv4 as 16-byte mapped addresses at times.
    addr = ip::Addr::v4((uint32_t(addr[12]) << 24) | (uint32_t(addr[13]) << 16) | (uint32_t(addr[14]) << 8) | addr[15]);
  }
  return ip::Prefix(addr, len);
}

}  // namespace zos::model::field
