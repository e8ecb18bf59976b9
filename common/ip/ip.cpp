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

std::string Addr::str() const {
  if (family_ == 0) return "";
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family_ == 4 ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
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

std::string Prefix::str() const { return addr_.str() + "/" + std::to_string(len_); }

}  // namespace zos::ip
