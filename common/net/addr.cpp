#include "common/net/addr.h"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace zos::nl {
namespace {

AddrPtr make_addr(int index, const nl_addr* local, const std::string& what) {
  AddrPtr a(rtnl_addr_alloc());
  if (!a) throw NlError(NLE_NOMEM, ENOMEM, what);
  rtnl_addr_set_ifindex(a.get(), index);
  rtnl_addr_set_family(a.get(), nl_addr_get_family(local));
  rtnl_addr_set_local(a.get(), const_cast<nl_addr*>(local));
  rtnl_addr_set_prefixlen(a.get(), nl_addr_get_prefixlen(local));
  return a;
}

// The IPv4 broadcast of a /0../30 prefix: host bits all set.
NlAddrPtr broadcast_of(const nl_addr* local) {
  const unsigned len = nl_addr_get_prefixlen(local);
  if (nl_addr_get_family(local) != AF_INET || len >= 31) return nullptr;
  uint32_t v;
  std::memcpy(&v, nl_addr_get_binary_addr(local), 4);
  v = htonl(ntohl(v) | (len == 0 ? 0xffffffffu : (0xffffffffu >> len)));
  return NlAddrPtr(nl_addr_build(AF_INET, &v, 4));
}

}  // namespace

bool add_addr(Socket& s, int index, const ip::Prefix& prefix, const AddrOptions& opts) {
  const std::string what = "add address " + prefix.str() + " to link " + std::to_string(index);
  NlAddrPtr local = to_nl(prefix);
  AddrPtr a = make_addr(index, local.get(), what);
  NlAddrPtr brd = broadcast_of(local.get());
  if (brd) rtnl_addr_set_broadcast(a.get(), brd.get());
  if (opts.nodad) rtnl_addr_set_flags(a.get(), IFA_F_NODAD);
  const int flags = NLM_F_CREATE | (opts.replace ? NLM_F_REPLACE : NLM_F_EXCL);
  return s.check_or(rtnl_addr_add(s.get(), a.get(), flags), what, {EEXIST}) == 0;
}

bool delete_addr(Socket& s, int index, const ip::Prefix& prefix) {
  const std::string what = "delete address " + prefix.str() + " from link " + std::to_string(index);
  NlAddrPtr local = to_nl(prefix);
  AddrPtr a = make_addr(index, local.get(), what);
  return s.check_or(rtnl_addr_delete(s.get(), a.get(), 0), what, {EADDRNOTAVAIL, ENOENT}) == 0;
}

std::vector<AddrInfo> list_addrs(Socket& s, int index, int family) {
  nl_cache* raw = nullptr;
  s.check(rtnl_addr_alloc_cache(s.get(), &raw), "list addresses");
  CachePtr cache(raw);
  std::vector<AddrInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (index && rtnl_addr_get_ifindex(a) != index) continue;
    if (family && rtnl_addr_get_family(a) != family) continue;
    const ip::Addr local = to_ip(rtnl_addr_get_local(a));
    if (local.empty()) continue;  // not IPv4 / IPv6
    AddrInfo i;
    i.family = rtnl_addr_get_family(a);
    i.prefix = ip::Prefix(local, static_cast<int>(rtnl_addr_get_prefixlen(a)));
    i.index = rtnl_addr_get_ifindex(a);
    i.flags = rtnl_addr_get_flags(a);
    i.scope = rtnl_addr_get_scope(a);
    out.push_back(std::move(i));
  }
  return out;
}

bool has_addr(const std::vector<AddrInfo>& addrs, const ip::Prefix& prefix) {
  return std::any_of(addrs.begin(), addrs.end(), [&](const AddrInfo& a) { return a.prefix == prefix; });
}

}  // namespace zos::nl

namespace zos::nl {

bool sync_global_addr(Socket& s, int index, int family, const std::optional<ip::Prefix>& want) {
  bool changed = false;
  bool have = false;
  for (const auto& a : list_addrs(s, index, family)) {
    if (a.scope != RT_SCOPE_UNIVERSE) continue;
    if (a.prefix == want) have = true;
    else changed |= delete_addr(s, index, a.prefix);
  }
  if (want && !have) changed |= add_addr(s, index, *want, {.nodad = family == AF_INET6});
  return changed;
}

}  // namespace zos::nl
