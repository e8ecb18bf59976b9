// The address plan and names of a network resource, all derived from its
// IPv6 prefix (DESIGN.md "Address plan and names").
//
//   prefix 2a02:1802:5e:10a::/64 -> nibble "010a" -> a = 0x01, b = 0x0a
//   IPv4 subnet 10.1.10.0/24, router 10.1.10.1, wg 10.255.1.10/16, fe80::10a/64
//   names net-010a-<alloc>, br-, wg-, veth-, pub-
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip/ip.h"

namespace zos::model {

class Nibble {
 public:
  // Bytes 7-8 of the prefix (bytes 5-8 when it is shorter than /48).
  explicit Nibble(const ip::Prefix& prefix);
  const std::string& hex() const { return hex_; }  // "010a"
  uint8_t a() const { return a_; }
  uint8_t b() const { return b_; }

 private:
  uint8_t a_ = 0, b_ = 0;  // bytes 7 and 8
  std::string hex_;
};

// The addresses of an NR, without its names: what the mesh and the
// firewall need of each of a network's (maybe 1000) peers.
struct Addressing {
  ip::Prefix prefix;     // the NR's /64
  ip::Prefix subnet_v4;  // 10.a.b.0/24
  ip::Prefix router_v4;  // 10.a.b.1/24
  ip::Prefix router_v6;  // prefix::1/64
  ip::Prefix wg_v4;      // 10.255.a.b/16
  ip::Prefix wg_v6;      // fe80::<nibble>/64

  // cni::Error(7) when the prefix is not an IPv6 /64.
  static Addressing of(const ip::Prefix& prefix);
};

struct Plan : Addressing {
  std::string netns, bridge, wg, veth, pub;

  // cni::Error(7) when the prefix is not an IPv6 /64 or a name would not
  // fit the kernel's 15 characters.
  static Plan of(const ip::Prefix& prefix, int alloc);
};

// The IPv4 pool of an NR: .2 to .254 of 10.a.b.0/24.
inline constexpr int kFirstHost = 2;
inline constexpr int kLastHost = 254;

// IPv6 from a MAC (EUI-64) within the /64.
ip::Addr eui64(const ip::Prefix& prefix, const std::array<uint8_t, 6>& mac);
// IPv6 from the container's IPv4: the IPv4's 32 bits as the low 32 bits of
// the interface id (prefix::a01:a02 for 10.1.10.2). Reversible: never
// collides with EUI-64 ids (which carry ff:fe) nor with the router's ::1.
ip::Addr ipv6_from_ipv4(const ip::Prefix& prefix, const ip::Addr& v4);
// The inverse: the IPv4 an address made by ipv6_from_ipv4 came from.
std::optional<ip::Addr> ipv4_from_ipv6(const ip::Prefix& prefix, const ip::Addr& v6);

// The name of a network's lease pool on a node: the network id (bytes
// other than letters, digits, '-', '_' and '.' as %XX) and its allocation_nr,
// "t-a.0". Two networks with one /24 never share a pool.
std::string lease_pool(const std::string& network_id, int allocation_nr);

// The folder of a /24's leases under a config's pools: "10.1.10.0_24", and
// "@<pool>" after it when the pool is named. zos-ipam keeps its leases
// there; zos-nr's delete removes them.
std::string lease_pool_dir(const ip::Prefix& subnet_v4, const std::string& pool);

// "02:42:ac:11:00:02" -> bytes; nullopt when malformed.
std::optional<std::array<uint8_t, 6>> parse_mac(const std::string& s);
std::string format_mac(const std::array<uint8_t, 6>& mac);

}  // namespace zos::model
