// IPv4 / IPv6 addresses and prefixes as values: parse, format, arithmetic.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zos::ip {

class Addr {
 public:
  Addr() = default;
  static Addr v4(uint32_t host_order);
  static Addr v6(const std::array<uint8_t, 16>& bytes);
  // "10.1.10.2" or "2a02::1"; nullopt on anything else.
  static std::optional<Addr> parse(std::string_view s);

  bool is_v4() const { return family_ == 4; }
  bool is_v6() const { return family_ == 6; }
  int family() const { return family_; }  // 4, 6, or 0 when empty
  bool empty() const { return family_ == 0; }
  // Network-order bytes: 4 for IPv4, 16 for IPv6.
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return family_ == 4 ? 4 : 16; }
  uint8_t operator[](size_t i) const { return bytes_[i]; }
  uint32_t v4_host() const;  // IPv4 as a host-order integer

  std::string str() const;
  // Address plus n (n may be negative), wrapping within the family.
  Addr offset(int64_t n) const;

  auto operator<=>(const Addr&) const = default;

 private:
  int family_ = 0;
  std::array<uint8_t, 16> bytes_{};
};

class Prefix {
 public:
  Prefix() = default;
  Prefix(Addr addr, int len) : addr_(addr), len_(len) {}
  // "10.1.10.0/24", "2a02::/64"; a bare address gets the full length.
  static std::optional<Prefix> parse(std::string_view s);

  const Addr& addr() const { return addr_; }
  int len() const { return len_; }
  int family() const { return addr_.family(); }
  // The prefix with host bits cleared.
  Prefix network() const;
  bool contains(const Addr& a) const;
  std::string str() const;

  auto operator<=>(const Prefix&) const = default;

 private:
  Addr addr_;
  int len_ = 0;
};

}  // namespace zos::ip
