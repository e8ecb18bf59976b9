// The exit NR's way to the Internet: pub-<n>-<a>, a macvlan on the node's
// public uplink (exit_point.ipv4_conf.iface, else ipv6_conf.iface, else the
// link of the default route on the public side), born in the NR namespace,
// with the exit's addresses and default routes from the network's
// exit_point. NAT, DNAT and ipv6_allow are the firewall's (firewall.h).
// Non-exit NRs route the Internet to the exit over WireGuard (mesh.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip/ip.h"
#include "plugins/nr/config.h"

namespace zos::nr {

struct Resource;

// What the network object asks of this exit NR (unset when not asked).
struct ExitAddrs {
  std::optional<ip::Prefix> v4, v6;
  std::optional<ip::Addr> gw4, gw6;
  std::optional<ip::Prefix> ll6;  // 0-OS's gateway link-local, when the IPv6 was derived
  std::optional<uint32_t> metric4, metric6;
  std::string iface;  // ipv4_conf.iface, else ipv6_conf.iface
};
ExitAddrs exit_wanted(const Resource& r);

// Called by apply() after the mesh. On an NR that is not (or no longer) the
// exit, removes a pub link left from an earlier version.
void apply_exit(const Node& node, const Resource& r, int nr_nsfd);

// What CHECK reports: the pub link missing or down, an exit address or
// default route missing.
std::vector<std::string> exit_problems(const Node& node, const Resource& r, int nr_nsfd);

}  // namespace zos::nr
