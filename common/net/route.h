// Routes over rtnetlink. Destinations are "addr/len" strings or "default"
// (the family then comes from the gateway, or Route::family).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/net/nl.h"

namespace zos::nl {

struct Route {
  std::string dst = "default";     // "10.1.0.0/16", "fd00::/64", "default"
  std::optional<std::string> gw;   // next hop address, e.g. "fe80::10a" (with oif)
  std::optional<int> oif;          // output link index
  std::optional<uint32_t> table;   // default: main
  std::optional<uint32_t> metric;  // priority
  std::optional<uint8_t> scope;    // default: universe with a gateway, link without
  std::optional<uint32_t> mtu;     // RTAX_MTU
  bool onlink = false;             // RTNH_F_ONLINK: gateway reachable without a route
  int family = 0;                  // only needed for "default" without gateway
};

struct RouteInfo {
  int family = 0;
  std::string dst;  // "10.1.0.0/16"; "0.0.0.0/0" / "::/0" for default routes
  std::optional<std::string> gw;
  int oif = 0;      // first next hop's link, 0 when none
  uint32_t table = 0;
  uint32_t metric = 0;
  uint8_t scope = 0;
  uint8_t protocol = 0;
  uint8_t type = 0;  // RTN_UNICAST, RTN_LOCAL, ...
};

// Adds or replaces the route (NLM_F_CREATE | NLM_F_REPLACE): applying the
// same route twice is a no-op, a changed gateway/link replaces the old one.
void replace_route(Socket& s, const Route& r);
// Adds the route; false when it exists already (NLM_F_EXCL).
bool add_route(Socket& s, const Route& r);
// Deletes the route; false when there was none.
bool delete_route(Socket& s, const Route& r);

// Makes the default route of `family` in the main table through link `index`
// exactly "via gw [metric]", or removes it when `gw` is empty. Other links'
// default routes are left alone. True on a change.
bool sync_default_route(Socket& s, int index, int family, const std::string& gw,
                        std::optional<uint32_t> metric = std::nullopt);

// Routes of `family` (AF_INET / AF_INET6) in `table` (all tables if unset).
// Multipath routes report their first next hop.
std::vector<RouteInfo> list_routes(Socket& s, int family, std::optional<uint32_t> table = std::nullopt);

}  // namespace zos::nl
