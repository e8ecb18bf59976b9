#include "common/ip/ip.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace zos::ip {

Addr Addr::v4(uint32_t host_order) {
  Addr a;
  a.family_ = 4;
  uint32_t n = htonl(host_order);
  std::memcpy(a.bytes_.data(), &n, 4);
  return a;
}

Addr Addr::v6(const std::array<uint8_t, 16>& bytes) {
  Addr a;
  a.family_ = 6;
  a.bytes_ = bytes;
  return a;
}

std::optional<Addr> Addr::parse(std::string_view s) {
  if (s.empty() || s.size() > 45 || s.find('\0') != std::string_view::npos) return std::nullopt;
  char buf[64];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  Addr a;
  if (s.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, a.bytes_.data()) != 1) return std::nullopt;
    a.family_ = 4;
  } else {
    if (inet_pton(AF_INET6, buf, a.bytes_.data()) != 1) return std::nullopt;
    a.family_ = 6;
  }
  return a;
}

uint32_t Addr::v4_host() const {
  uint32_t n;
  std::memcpy(&n, bytes_.data(), 4);
  return ntohl(n);
}

namespace {

// Writes the decimal octet b at p, returns the end.
char* put_octet(char* p, uint8_t b) {
  if (b >= 100) *p++ = static_cast<char>('0' + b / 100);
  if (b >= 10) *p++ = static_cast<char>('0' + b / 10 % 10);
  *p++ = static_cast<char>('0' + b % 10);
  return p;
}

char* put_v4(char* p, const uint8_t* b) {
  for (int i = 0; i < 4; ++i) {
    if (i) *p++ = '.';
    p = put_octet(p, b[i]);
  }
  return p;
}

// The text of an address at p (INET6_ADDRSTRLEN bytes), returns the end.
// The same text as glibc's inet_ntop, without its sprintf per group (an
// apply of 1000 peers formats ~13,000 addresses): the longest run of two or
// more zero groups (the first of equal ones) as "::", lowercase hex without
// leading zeros, and the IPv4 forms ::a.b.c.d and ::ffff:a.b.c.d.
char* put_addr(char* p, int family, const uint8_t* b) {
  if (family == 4) return put_v4(p, b);
  uint16_t w[8];
  for (int i = 0; i < 8; ++i) w[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (w[i]) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && !w[j]) ++j;
    if (j - i > best_len) best = i, best_len = j - i;
    i = j;
  }
  if (best_len < 2) best = -1;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_len) {
      if (i == best) *p++ = ':';
      continue;
    }
    if (i) *p++ = ':';
    if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) return put_v4(p, b + 12);
    bool lead = true;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const int d = (w[i] >> shift) & 15;
      if (lead && d == 0 && shift) continue;
      lead = false;
      *p++ = kHex[d];
    }
  }
  if (best >= 0 && best + best_len == 8) *p++ = ':';
  return p;
}

}  // namespace

std::string Addr::str() const {
  if (family_ == 0) return "";
  char buf[INET6_ADDRSTRLEN];
  return std::string(buf, put_addr(buf, family_, bytes_.data()));
}

Addr Addr::offset(int64_t n) const {
  Addr r = *this;
  int last = static_cast<int>(size()) - 1;
  // Two's-complement add of n across the big-endian bytes.
  int64_t carry = n;
  for (int i = last; i >= 0 && carry != 0; --i) {
    int64_t v = r.bytes_[i] + (carry & 0xff);
    carry >>= 8;  // arithmetic shift keeps the sign for negative n
    r.bytes_[i] = static_cast<uint8_t>(v & 0xff);
    carry += v >> 8;
  }
  return r;
}

std::optional<Prefix> Prefix::parse(std::string_view s) {
  auto slash = s.find('/');
  auto addr = Addr::parse(s.substr(0, slash));
  if (!addr) return std::nullopt;
  int max = addr->is_v4() ? 32 : 128;
  int len = max;
  if (slash != std::string_view::npos) {
    auto rest = s.substr(slash + 1);
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), len);
    if (ec != std::errc() || p != rest.data() + rest.size() || rest.empty() || len < 0 || len > max)
      return std::nullopt;
  }
  return Prefix(*addr, len);
}

Prefix Prefix::network() const {
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), addr_.data(), addr_.size());
  for (size_t i = 0; i < addr_.size(); ++i) {
    int bits = len_ - static_cast<int>(i) * 8;
    if (bits >= 8) continue;
    b[i] &= bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
  }
  if (addr_.is_v4()) {
    uint32_t n;
    std::memcpy(&n, b.data(), 4);
    return Prefix(Addr::v4(ntohl(n)), len_);
  }
  return Prefix(Addr::v6(b), len_);
}

bool Prefix::contains(const Addr& a) const {
  if (a.family() != family()) return false;
  return Prefix(a, len_).network().addr() == network().addr();
}

std::string Prefix::str() const {
  if (addr_.empty()) return "/" + std::to_string(len_);
  char buf[INET6_ADDRSTRLEN + 16];  // and "/" and any int
  char* p = put_addr(buf, addr_.family(), addr_.data());
  *p++ = '/';
  p = std::to_chars(p, buf + sizeof buf, len_).ptr;
  return std::string(buf, p);
}

}  // namespace zos::ip
