#include "model/plan.h"

#include <cctype>
#include <cstdio>
#include <string_view>

#include "common/cni/error.h"

namespace zos::model {

Nibble::Nibble(const ip::Prefix& prefix) {
  // By hand, not snprintf: every apply makes a plan per peer.
  static constexpr char kHex[] = "0123456789abcdef";
  size_t from = prefix.len() < 48 ? 4 : 6;
  for (size_t i = from; i < 8; ++i) {
    hex_ += kHex[prefix.addr()[i] >> 4];
    hex_ += kHex[prefix.addr()[i] & 15];
  }
  a_ = prefix.addr()[6];
  b_ = prefix.addr()[7];
}

Addressing Addressing::of(const ip::Prefix& prefix) {
  if (!prefix.addr().is_v6() || prefix.len() != 64)
    throw cni::Error(cni::kInvalidConfig, "NR prefix " + prefix.str() + " must be an IPv6 /64");
  Addressing p;
  const uint8_t a = prefix.addr()[6], b = prefix.addr()[7];  // the nibble's bytes (Nibble)
  p.prefix = prefix.network();
  uint32_t base = (10u << 24) | (uint32_t(a) << 16) | (uint32_t(b) << 8);
  p.subnet_v4 = ip::Prefix(ip::Addr::v4(base), 24);
  p.router_v4 = ip::Prefix(ip::Addr::v4(base | 1), 24);
  p.router_v6 = ip::Prefix(p.prefix.addr().offset(1), 64);
  p.wg_v4 = ip::Prefix(ip::Addr::v4((10u << 24) | (255u << 16) | (uint32_t(a) << 8) | b), 16);
  std::array<uint8_t, 16> ll{0xfe, 0x80};
  ll[14] = a;
  ll[15] = b;
  p.wg_v6 = ip::Prefix(ip::Addr::v6(ll), 64);
  return p;
}

Plan Plan::of(const ip::Prefix& prefix, int alloc) {
  Plan p;
  static_cast<Addressing&>(p) = Addressing::of(prefix);
  Nibble n(prefix);
  const std::string suffix = n.hex() + "-" + std::to_string(alloc);
  auto name = [&](std::string_view kind) {
    std::string s;
    s.reserve(kind.size() + suffix.size());
    return s.append(kind).append(suffix);
  };
  p.netns = name("net-");
  p.bridge = name("br-");
  p.wg = name("wg-");
  p.veth = name("veth-");
  p.pub = name("pub-");
  if (p.veth.size() > 15)
    throw cni::Error(cni::kInvalidConfig, "interface name " + p.veth + " (from prefix " + prefix.str() +
                                              " and allocation_nr " + std::to_string(alloc) +
                                              ") is longer than 15 characters");
  return p;
}

ip::Addr eui64(const ip::Prefix& prefix, const std::array<uint8_t, 6>& mac) {
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 8; ++i) b[i] = prefix.network().addr()[i];
  b[8] = mac[0] ^ 0x02;
  b[9] = mac[1];
  b[10] = mac[2];
  b[11] = 0xff;
  b[12] = 0xfe;
  b[13] = mac[3];
  b[14] = mac[4];
  b[15] = mac[5];
  return ip::Addr::v6(b);
}

ip::Addr ipv6_from_ipv4(const ip::Prefix& prefix, const ip::Addr& v4) {
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 8; ++i) b[i] = prefix.network().addr()[i];
  for (int i = 0; i < 4; ++i) b[12 + i] = v4[i];
  return ip::Addr::v6(b);
}

std::optional<ip::Addr> ipv4_from_ipv6(const ip::Prefix& prefix, const ip::Addr& v6) {
  if (!prefix.contains(v6)) return std::nullopt;
  for (int i = 8; i < 12; ++i)
    if (v6[i] != 0) return std::nullopt;
  return ip::Addr::v4((uint32_t(v6[12]) << 24) | (uint32_t(v6[13]) << 16) | (uint32_t(v6[14]) << 8) | v6[15]);
}

std::optional<std::array<uint8_t, 6>> parse_mac(const std::string& s) {
  // Exactly "xx:xx:xx:xx:xx:xx" in hex: no blanks, signs or "0x".
  if (s.size() != 17) return std::nullopt;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::array<uint8_t, 6> m{};
  for (int i = 0; i < 6; ++i) {
    int hi = hex(s[i * 3]), lo = hex(s[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':')) return std::nullopt;
    m[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return m;
}

std::string lease_pool_dir(const ip::Prefix& subnet_v4, const std::string& pool) {
  std::string s = subnet_v4.str();
  s[s.find('/')] = '_';
  return pool.empty() ? s : s + "@" + pool;
}

std::string lease_pool(const std::string& network_id, int allocation_nr) {
  std::string out;
  for (unsigned char c : network_id) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", c);
      out += b;
    }
  }
  return out + "." + std::to_string(allocation_nr);
}

std::string format_mac(const std::array<uint8_t, 6>& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return buf;
}

}  // namespace zos::model
