// The bridge guard: what a container port of an NR bridge may send, in one
// nftables `bridge` table of the node's namespace (where the bridges are),
// shared by the NRs of the node: table bridge zos-guard. It guards every
// port named zv... (container host veths, attach.h), and nothing else:
//   - only from the port's MAC, and (IPv4, ARP, IPv6) from the addresses
//     IPAM gave it plus its MAC's link-local (sets keyed by port name:
//     `port . mac`, `port . ipv4`, `port . ipv6`);
//   - no router advertisements, redirects, DHCP or DHCPv6 server packets;
//   - nothing but IPv4, IPv6 and ARP (no VLAN tags, no other protocols);
//   - nothing to the node itself through the bridge (it is L2 only).
// A port not (yet) in the sets sends nothing (fail closed). The router
// veth's port is not restricted (the NR router guards its side,
// firewall.h). The chains are replaced on every apply; the sets keep their
// elements, which ADD and DEL change over nfnetlink (no zos-nft process on
// a warm ADD).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "common/ip/ip.h"
#include "plugins/nr/firewall.h"
#include "plugins/nr/state.h"

namespace zos::nr {

inline constexpr const char* kGuardTable = "bridge zos-guard";
// The node-wide lock (State::lock) under which the guard's table is loaded;
// not an NR's name (those are "net-...").
inline constexpr const char* kGuardLock = "bridge-guard";

// A container port and what it may send from.
struct GuardedPort {
  std::string port;  // the host veth (zv...)
  std::array<uint8_t, 6> mac{};
  std::vector<ip::Addr> addrs;  // from IPAM; the link-local of `mac` is added
};

// The port of an attachment record; nullopt when the record has no MAC yet
// (its ADD did not reach IPAM: the port sends nothing).
std::optional<GuardedPort> guarded_port(const AttachmentRecord& rec);

// The nftables script that makes the table or refreshes its chains; `ports`
// are (re)put in the sets (an NR's attached containers, on apply).
std::string bridge_guard_script(const std::vector<GuardedPort>& ports);

// kCurrent when the table's chains are the ones bridge_guard_script()
// makes (their tags and rule counts, firewall.h): a re-apply then only puts
// its ports in the sets; kAbsent when there is no such table.
Loaded guard_state();
// Lets the ports send from their addresses (one nfnetlink transaction) /
// stops one (in the current namespace).
void guard_add(const std::vector<GuardedPort>& ports);
inline void guard_add(const GuardedPort& p) { guard_add(std::vector<GuardedPort>{p}); }
void guard_remove(const GuardedPort& p);

}  // namespace zos::nr
