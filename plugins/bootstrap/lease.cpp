#include "plugins/bootstrap/lease.h"

#include <linux/if_addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>

#include "common/net/addr.h"
#include "common/net/route.h"

namespace zos::bootstrap {

Lease read_lease(nl::Socket& s, int index) {
  Lease l;
  for (const auto& a : nl::list_addrs(s, index)) {
    if (a.scope != RT_SCOPE_UNIVERSE) continue;
    if (a.family == AF_INET) l.ipv4.push_back(a.prefix);
    else if (a.family == AF_INET6 && !(a.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))) l.ipv6.push_back(a.prefix);
  }
  for (auto* gw : {&l.gw4, &l.gw6})
    for (const auto& r : nl::list_routes(s, gw == &l.gw4 ? AF_INET : AF_INET6, RT_TABLE_MAIN))
      if (r.is_default() && r.oif == index && r.gw && !*gw) *gw = r.gw;
  return l;
}

RaFlags read_ra(nl::Socket& s, int index) {
  // The kernel's per-device IPv6 flags (include/net/if_inet6.h, not in the
  // uapi headers): IF_RA_RCVD, IF_RA_MANAGED. Cleared when the link goes down.
  constexpr uint32_t kRaReceived = 0x20, kRaManaged = 0x40;
  rtnl_link* raw = nullptr;
  int rc = s.check_or(rtnl_link_get_kernel(s.get(), index, nullptr, &raw), "get link " + std::to_string(index),
                      {ENODEV});
  nl::LinkPtr l(raw);
  uint32_t flags = 0;
  if (rc < 0 || !l || rtnl_link_inet6_get_flags(l.get(), &flags) < 0) return {};
  return {(flags & kRaReceived) != 0, (flags & kRaManaged) != 0};
}

void flush_ipv4(nl::Socket& s, int index) {
  for (const auto& a : nl::list_addrs(s, index, AF_INET))
    if (a.scope == RT_SCOPE_UNIVERSE) nl::delete_addr(s, index, a.prefix);
}

nlohmann::json gateway_json(const std::optional<ip::Addr>& gw) { return gw ? nlohmann::json(gw->str()) : nlohmann::json(); }

nlohmann::json Lease::to_json() const {
  auto texts = [](const std::vector<ip::Prefix>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& p : v) a.push_back(p.str());
    return a;
  };
  return {{"ipv4", texts(ipv4)}, {"gateway4", gateway_json(gw4)}, {"ipv6", texts(ipv6)}, {"gateway6", gateway_json(gw6)}};
}

std::string Lease::describe() const {
  auto join = [](const std::vector<ip::Prefix>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x.str();
    return s.empty() ? std::string("no address") : s;
  };
  std::string out = "IPv4 " + join(ipv4) + (gw4 ? " via " + gw4->str() : " (no default route)");
  out += "; IPv6 " + join(ipv6) + (gw6 ? " via " + gw6->str() : " (no default route)");
  return out;
}

}  // namespace zos::bootstrap
