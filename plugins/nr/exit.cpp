#include "plugins/nr/exit.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "common/cni/error.h"
#include "common/log/log.h"
#include "common/net/addr.h"
#include "common/net/link.h"
#include "common/net/nl.h"
#include "common/net/route.h"
#include "common/net/sysctl.h"
#include "common/sys/netns.h"
#include "plugins/nr/resource.h"
#include "plugins/nr/public_side.h"

namespace zos::nr {

ExitAddrs exit_wanted(const Resource& r) {
  ExitAddrs w;
  if (!r.net.exit_point) return w;
  const auto& ep = *r.net.exit_point;
  if (ep.ipv4_conf) {
    w.v4 = ep.ipv4_conf->cidr;
    w.gw4 = ep.ipv4_conf->gateway;
    if (ep.ipv4_conf->metric) w.metric4 = ep.ipv4_conf->metric;
    w.iface = ep.ipv4_conf->iface;
  }
  if (ep.ipv6_conf) {
    w.v6 = ep.ipv6_conf->addr;
    w.gw6 = ep.ipv6_conf->gateway;
    w.ll6 = ep.ipv6_conf->link_local;
    if (ep.ipv6_conf->metric) w.metric6 = ep.ipv6_conf->metric;
    if (w.iface.empty()) w.iface = ep.ipv6_conf->iface;
  }
  return w;
}

namespace {

// The uplink the macvlan sits on, on the public side.
nl::LinkInfo parent_link(nl::Socket& s, const std::string& iface, const std::string& side, const Resource& r) {
  if (!iface.empty()) {
    auto l = nl::get_link(s, iface);
    if (!l)
      throw cni::Error(cni::kInvalidConfig, "network " + r.net.network_id + ": exit_point iface \"" + iface +
                                                "\" does not exist in the " + side +
                                                " namespace: fix ipv4_conf.iface (or publicNamespace)");
    return *l;
  }
  if (auto l = default_route_link(s)) return *l;
  throw cni::Error(cni::kInvalidConfig, "network " + r.net.network_id + ": exit_point names no iface and the " + side +
                                            " namespace has no default route to find the uplink by: set ipv4_conf.iface");
}

void apply_exit_impl(const Node& node, const Resource& r, int nsfd) {
  const auto& plan = r.plan;
  if (!r.nr.exit_point) {
    sys::in_netns(nsfd, [&] {
      nl::Socket s;
      if (nl::delete_link(s, plan.pub)) spdlog::info("{} is no longer the exit: removed {}", plan.netns, plan.pub);
    });
    return;
  }
  auto w = exit_wanted(r);
  if (!r.net.exit_point) spdlog::warn("network {}: {} is the exit but the network has no exit_point", r.net.network_id, plan.netns);

  bool present = sys::in_netns(nsfd, [&] {
    nl::Socket s;
    return nl::get_link(s, plan.pub).has_value();
  });
  if (!present) {
    auto side = public_side(node);
    sys::in_netns(side.fd.get(), [&] {
      nl::Socket s;
      auto parent = parent_link(s, w.iface, side.name, r);
      nl::MacvlanOptions mo;
      mo.netns_fd = nsfd;
      nl::create_macvlan(s, plan.pub, parent.index, mo);
      spdlog::info("created {} on {} ({} namespace) in {}", plan.pub, parent.name, side.name, plan.netns);
    });
  }
  sys::in_netns(nsfd, [&] {
    nl::Socket s;
    auto l = nl::get_link(s, plan.pub);
    if (!l) throw cni::Error(cni::kInternal, plan.pub + " did not arrive in " + plan.netns);
    // Static addressing only: no router advertisements on the exit's uplink.
    nl::sysctl_set_below("net/ipv6/conf/" + plan.pub, {{"accept_ra", "0"}, {"autoconf", "0"}});
    nl::sync_global_addr(s, l->index, AF_INET, w.v4);
    nl::sync_global_addr(s, l->index, AF_INET6, w.v6);
    if (w.ll6) nl::add_addr(s, l->index, *w.ll6, {.nodad = true});
    if (!l->up) nl::set_up(s, l->index);
    nl::sync_default_route(s, l->index, AF_INET, w.v4 ? w.gw4 : std::nullopt, w.metric4);
    nl::sync_default_route(s, l->index, AF_INET6, w.v6 ? w.gw6 : std::nullopt, w.metric6);
  });
  spdlog::info("network {}: {} is the exit ({} {})", r.net.network_id, plan.netns, w.v4 ? w.v4->str() : "no IPv4",
               w.v6 ? w.v6->str() : "no IPv6");
}

}  // namespace

void apply_exit(const Node& node, const Resource& r, int nr_nsfd) {
  try {
    apply_exit_impl(node, r, nr_nsfd);
  } catch (const cni::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw cni::Error(cni::kInternal, "exit point of " + r.plan.netns + ": " + e.what());
  }
}

std::vector<std::string> exit_problems(const Node&, const Resource& r, int nr_nsfd) {
  std::vector<std::string> out;
  if (!r.nr.exit_point) return out;
  auto w = exit_wanted(r);
  link_problems(nr_nsfd, r, "exit", r.plan.pub, out, [&](nl::Socket& s, const nl::LinkInfo& l) {
    auto addrs = nl::list_addrs(s, l.index);
    for (const auto& want : {w.v4, w.v6, w.ll6})
      if (want && !nl::has_addr(addrs, *want))
        out.push_back("exit address " + want->str() + " is missing on " + r.plan.pub);
    for (int fam : {AF_INET, AF_INET6}) {
      const auto& gw = fam == AF_INET ? w.gw4 : w.gw6;
      if (!gw || !(fam == AF_INET ? w.v4 : w.v6)) continue;
      if (!nl::has_route(nl::list_routes(s, fam, RT_TABLE_MAIN), nl::default_dst(fam), l.index, gw))
        out.push_back("default route via " + gw->str() + " on " + r.plan.pub + " is missing");
    }
  });
  return out;
}

}  // namespace zos::nr
