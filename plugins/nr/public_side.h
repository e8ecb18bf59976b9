// The node's public side: the namespace where the NR's WireGuard UDP socket
// and the exit NR's pub-<n>-<a> link live. It is the node's `public`
// namespace (Node::public_netns) when that exists, else the namespace zos-nr
// runs in (the host side), as DESIGN.md says.
#pragma once

#include <optional>
#include <string>

#include "common/net/link.h"
#include "common/sys/fd.h"
#include "plugins/nr/config.h"

namespace zos::nr {

// WireGuard's overhead on an IPv6 underlay (40 IPv6 + 8 UDP + 32 WireGuard);
// the IPv4 underlay costs 60. We take 80 whatever today's peers use: a peer
// may move to IPv6 in a later version, and container MTUs are set at ADD.
inline constexpr unsigned kWireGuardOverhead = 80;
inline constexpr unsigned kMinMtu = 1280;  // IPv6's minimum link MTU

struct PublicSide {
  sys::Fd fd;
  std::string name;  // the namespace's name, or "host" when it is ours
};

PublicSide public_side(const Node& node);

// The link that carries the default route (IPv4 first, then IPv6) in the
// socket's namespace; nullopt when there is none.
std::optional<nl::LinkInfo> default_route_link(nl::Socket& s);

// The MTU of the link that carries the default route in `nsfd` (IPv4 first,
// then IPv6); nullopt when there is no default route.
std::optional<unsigned> default_route_mtu(int nsfd);

// The MTU of the NR's links and container interfaces: the configured `mtu`,
// else with a mesh the uplink's MTU minus kWireGuardOverhead (never below
// 1280), else nullopt (kernel default).
std::optional<unsigned> effective_mtu(const Node& node, bool has_mesh);

}  // namespace zos::nr
