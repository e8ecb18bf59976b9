#include "common/net/route.h"

#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

namespace zos::nl {
namespace {

std::string describe(const Route& r) {
  std::string d = r.dst.str();
  if (r.gw) d += " via " + r.gw->str();
  if (r.oif) d += " dev " + std::to_string(*r.oif);
  if (r.table) d += " table " + std::to_string(*r.table);
  if (r.metric) d += " metric " + std::to_string(*r.metric);
  return d;
}

RoutePtr build(const Route& r, const std::string& what) {
  if (r.dst.addr().empty()) throw NlError(NLE_INVAL, EINVAL, what, "no destination");
  if (r.gw && r.gw->family() != r.dst.family())
    throw NlError(NLE_INVAL, EINVAL, what, "gateway and destination families differ");
  const int family = af(r.dst.family());
  NlAddrPtr dst = to_nl(r.dst);
  NlAddrPtr gw;
  if (r.gw) gw = to_nl(*r.gw);

  RoutePtr route(rtnl_route_alloc());
  if (!route) throw NlError(NLE_NOMEM, ENOMEM, what);
  rtnl_route_set_family(route.get(), family);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_route_set_table(route.get(), r.table.value_or(RT_TABLE_MAIN));
  if (r.metric) rtnl_route_set_priority(route.get(), *r.metric);
  if (r.scope) rtnl_route_set_scope(route.get(), *r.scope);
  if (r.mtu) rtnl_route_set_metric(route.get(), RTAX_MTU, *r.mtu);
  if (gw || r.oif) {
    NexthopPtr nh(rtnl_route_nh_alloc());
    if (!nh) throw NlError(NLE_NOMEM, ENOMEM, what);
    if (gw) rtnl_route_nh_set_gateway(nh.get(), gw.get());
    if (r.oif) rtnl_route_nh_set_ifindex(nh.get(), *r.oif);
    if (r.onlink) rtnl_route_nh_set_flags(nh.get(), RTNH_F_ONLINK);
    rtnl_route_add_nexthop(route.get(), nh.release());  // the route owns it now
  }
  return route;
}

}  // namespace

void replace_route(Socket& s, const Route& r) {
  const std::string what = "replace route " + describe(r);
  RoutePtr route = build(r, what);
  s.check(rtnl_route_add(s.get(), route.get(), NLM_F_CREATE | NLM_F_REPLACE), what);
}

bool add_route(Socket& s, const Route& r) {
  const std::string what = "add route " + describe(r);
  RoutePtr route = build(r, what);
  return s.check_or(rtnl_route_add(s.get(), route.get(), NLM_F_CREATE | NLM_F_EXCL), what, {EEXIST}) == 0;
}

bool delete_route(Socket& s, const Route& r) {
  const std::string what = "delete route " + describe(r);
  RoutePtr route = build(r, what);
  // A delete matches what it names: no scope guessed as for an add
  // (RT_SCOPE_NOWHERE matches any) and any protocol (libnl's default is
  // "static", which would miss the routes the kernel or a daemon made).
  if (!r.scope) rtnl_route_set_scope(route.get(), RT_SCOPE_NOWHERE);
  rtnl_route_set_protocol(route.get(), RTPROT_UNSPEC);
  return s.check_or(rtnl_route_delete(s.get(), route.get(), 0), what, {ESRCH, ENOENT}) == 0;
}

std::vector<RouteInfo> list_routes(Socket& s, int family, std::optional<uint32_t> table) {
  nl_cache* raw = nullptr;
  s.check(rtnl_route_alloc_cache(s.get(), family, 0, &raw), "list routes");
  CachePtr cache(raw);
  std::vector<RouteInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (family && rtnl_route_get_family(r) != family) continue;
    if (table && rtnl_route_get_table(r) != *table) continue;
    RouteInfo i;
    i.family = rtnl_route_get_family(r);
    if (i.family != AF_INET && i.family != AF_INET6) continue;
    nl_addr* dst = rtnl_route_get_dst(r);
    i.dst = dst && nl_addr_get_len(dst) ? ip::Prefix(to_ip(dst), static_cast<int>(nl_addr_get_prefixlen(dst)))
                                        : default_dst(i.family);
    if (rtnl_route_get_nnexthops(r) > 0) {
      rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
      i.oif = rtnl_route_nh_get_ifindex(nh);
      if (ip::Addr gw = to_ip(rtnl_route_nh_get_gateway(nh)); !gw.empty()) i.gw = gw;
    }
    i.table = rtnl_route_get_table(r);
    i.metric = rtnl_route_get_priority(r);
    i.scope = rtnl_route_get_scope(r);
    i.protocol = rtnl_route_get_protocol(r);
    i.type = rtnl_route_get_type(r);
    out.push_back(std::move(i));
  }
  return out;
}

}  // namespace zos::nl

namespace zos::nl {

ip::Prefix default_dst(int family) {
  return family == AF_INET6 ? ip::Prefix(ip::Addr::v6({}), 0) : ip::Prefix(ip::Addr::v4(0), 0);
}

bool has_route(const std::vector<RouteInfo>& routes, const ip::Prefix& dst, int oif, const std::optional<ip::Addr>& gw) {
  return std::any_of(routes.begin(), routes.end(),
                     [&](const RouteInfo& r) { return r.dst == dst && r.oif == oif && (!gw || r.gw == gw); });
}

bool sync_default_route(Socket& s, int index, int family, const std::optional<ip::Addr>& gw,
                        std::optional<uint32_t> metric) {
  const ip::Prefix any = default_dst(family);
  bool changed = false, have = false;
  for (const auto& r : list_routes(s, family, RT_TABLE_MAIN)) {
    if (r.dst != any || r.oif != index) continue;
    if (gw && r.gw == gw && r.metric == metric.value_or(r.metric)) {
      have = true;
      continue;
    }
    changed |= delete_route(s, {.dst = any, .gw = r.gw, .oif = index, .metric = r.metric});
  }
  if (!gw || have) return changed;
  replace_route(s, {.dst = any, .gw = gw, .oif = index, .metric = metric});
  return true;
}

bool sync_routes(Socket& s, int index, uint32_t table, const std::vector<GatewayRoute>& want) {
  using Key = std::pair<ip::Prefix, ip::Addr>;
  std::vector<RouteInfo> current;
  for (int fam : {AF_INET, AF_INET6})
    for (auto& r : list_routes(s, fam, table))
      if (r.oif == index && r.gw && r.type == RTN_UNICAST) current.push_back(std::move(r));
  // Sorted vectors, not std::set: a mesh of 1000 peers has 2000 routes.
  std::vector<Key> have, wanted;
  have.reserve(current.size());
  wanted.reserve(want.size());
  for (const auto& r : current) have.push_back({r.dst, *r.gw});
  for (const auto& w : want) wanted.push_back({w.dst, w.gw});
  std::sort(have.begin(), have.end());
  std::sort(wanted.begin(), wanted.end());
  bool changed = false;
  for (const auto& w : want) {
    if (std::binary_search(have.begin(), have.end(), Key{w.dst, w.gw})) continue;
    replace_route(s, {.dst = w.dst, .gw = w.gw, .oif = index, .table = table, .onlink = w.onlink});
    changed = true;
  }
  // A replace keyed on the destination may have kept an old gateway's route
  // beside the new one: whatever is not wanted goes.
  for (const auto& r : current)
    if (!std::binary_search(wanted.begin(), wanted.end(), Key{r.dst, *r.gw})) changed |= delete_route(s, {.dst = r.dst, .gw = r.gw, .oif = index, .table = table});
  return changed;
}

}  // namespace zos::nl
