// Routes over rtnetlink, with typed destinations and gateways. A default
// route's destination is the family's /0 (default_dst).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/ip/ip.h"
#include "common/net/nl.h"

namespace zos::nl {

// 0.0.0.0/0 or ::/0, by `family` (AF_INET / AF_INET6).
ip::Prefix default_dst(int family);

struct Route {
  ip::Prefix dst;                  // 10.1.0.0/16, fd00::/64, default_dst(AF_INET)
  std::optional<ip::Addr> gw;      // next hop, e.g. fe80::10a (with oif)
  std::optional<int> oif;          // output link index
  std::optional<uint32_t> table;   // default: main
  std::optional<uint32_t> metric;  // priority
  std::optional<uint8_t> scope;    // default: universe with a gateway, link without
  std::optional<uint32_t> mtu;     // RTAX_MTU
  bool onlink = false;             // RTNH_F_ONLINK: gateway reachable without a route
};

struct RouteInfo {
  int family = 0;
  ip::Prefix dst;  // 10.1.0.0/16; 0.0.0.0/0 / ::/0 for default routes
  std::optional<ip::Addr> gw;
  int oif = 0;      // first next hop's link, 0 when none
  uint32_t table = 0;
  uint32_t metric = 0;
  uint8_t scope = 0;
  uint8_t protocol = 0;
  uint8_t type = 0;  // RTN_UNICAST, RTN_LOCAL, ...
  bool is_default() const { return dst.len() == 0; }
};

// Adds or replaces the route (NLM_F_CREATE | NLM_F_REPLACE): applying the
// same route twice is a no-op, a changed gateway/link replaces the old one.
void replace_route(Socket& s, const Route& r);
// Adds the route; false when it exists already (NLM_F_EXCL).
bool add_route(Socket& s, const Route& r);
// Deletes the route; false when there was none.
bool delete_route(Socket& s, const Route& r);

// Makes the default route of `family` in the main table through link `index`
// exactly "via gw [metric]", or removes it without `gw`. Other links'
// default routes are left alone. True on a change.
bool sync_default_route(Socket& s, int index, int family, const std::optional<ip::Addr>& gw,
                        std::optional<uint32_t> metric = std::nullopt);

// A route through a gateway, as sync_routes wants it.
struct GatewayRoute {
  ip::Prefix dst;
  ip::Addr gw;
  bool onlink = false;  // RTNH_F_ONLINK (e.g. an IPv4 gateway on a link without IPv4 routes)
};

// Makes the gateway routes (unicast, via a next hop) through link `index`
// in `table`, both families, exactly `want`: what is missing is added, a
// route of the link to a (dst, gw) not wanted is deleted (a vanished peer,
// a destination whose gateway changed). Routes without a gateway (the
// kernel's connected routes) and other links' routes stay. One dump per
// family when nothing changes. True on a change.
bool sync_routes(Socket& s, int index, uint32_t table, const std::vector<GatewayRoute>& want);

// Routes of `family` (AF_INET / AF_INET6; 0: both) in `table` (all tables
// if unset). Multipath routes report their first next hop.
std::vector<RouteInfo> list_routes(Socket& s, int family, std::optional<uint32_t> table = std::nullopt);

// Whether `routes` hold one to `dst` through link `oif`, via `gw` when given
// (any gateway, or none, otherwise).
bool has_route(const std::vector<RouteInfo>& routes, const ip::Prefix& dst, int oif,
               const std::optional<ip::Addr>& gw = std::nullopt);

}  // namespace zos::nl
