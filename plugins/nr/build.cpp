#include "plugins/nr/build.h"

#include <future>

#include "common/cni/error.h"
#include "common/log/log.h"
#include "common/log/phases.h"
#include "common/net/addr.h"
#include "common/net/link.h"
#include "common/net/nft.h"
#include "common/net/nl.h"
#include "common/net/sysctl.h"
#include "common/sys/fault.h"
#include "common/sys/file.h"
#include "common/sys/netns.h"
#include "plugins/nr/attach.h"
#include "plugins/nr/exit.h"
#include "plugins/nr/firewall.h"
#include "plugins/nr/guard.h"
#include "plugins/nr/keys.h"
#include "plugins/nr/mesh.h"
#include "plugins/nr/public_side.h"
#include "plugins/nr/state.h"

namespace zos::nr {
namespace {

// The router's MAC (the NR end of the router veth), derived from the NR's
// names: a re-created NR answers with the MAC its containers have cached,
// so they are not cut off until their neighbour entries expire. The empty
// "container id" keeps it apart from every container MAC.
std::string router_mac(const model::Plan& plan) { return model::format_mac(stable_mac("", plan.netns)); }

void setup_namespace(int nsfd) {
  sys::in_netns(nsfd, [&] {
    nl::Socket s;
    if (auto lo = nl::get_link(s, "lo")) nl::set_up(s, lo->index);
    nl::sysctl_set_below("net", {{"ipv4/ip_forward", "1"},
                                 {"ipv6/conf/all/forwarding", "1"},
                                 {"ipv6/conf/default/accept_dad", "0"}});
  });
}

void setup_bridge(nl::Socket& host, const model::Plan& plan, const Node& node) {
  nl::BridgeOptions bo;
  bo.mtu = node.mtu;
  nl::create_bridge(host, plan.bridge, bo);
  auto br = nl::get_link(host, plan.bridge);
  if (!br) throw cni::Error(cni::kInternal, "bridge " + plan.bridge + " vanished while it was set up");
  // L2 only: no link-local address, no router solicitations from the host.
  nl::sysctl_set("net/ipv6/conf/" + plan.bridge + "/disable_ipv6", "1");
  if (node.mtu && br->mtu != *node.mtu) nl::set_mtu(host, br->index, *node.mtu);
  if (!br->up) nl::set_up(host, br->index);
}

void setup_router(nl::Socket& host, const model::Plan& plan, const Node& node, int nsfd) {
  auto h = nl::get_link(host, plan.veth);
  bool inner = sys::in_netns(nsfd, [&] {
    nl::Socket s;
    return nl::get_link(s, plan.veth).has_value();
  });
  if (h && (h->kind != "veth" || !inner)) {
    // Half a pair (its NR end went with an old namespace): start over.
    nl::delete_link(host, plan.veth);
    h.reset();
  }
  if (!h) {
    nl::VethOptions vo;
    vo.peer_netns_fd = nsfd;
    vo.peer_mac = router_mac(plan);
    vo.mtu = node.mtu;
    nl::create_veth(host, plan.veth, plan.veth, vo);
    h = nl::get_link(host, plan.veth);
    if (!h) throw cni::Error(cni::kInternal, "router veth " + plan.veth + " vanished while it was set up");
  }
  auto br = nl::get_link(host, plan.bridge);
  nl::sysctl_set("net/ipv6/conf/" + plan.veth + "/disable_ipv6", "1");
  if (h->master != br->index) nl::set_master(host, h->index, br->index);
  if (node.mtu && h->mtu != *node.mtu) nl::set_mtu(host, h->index, *node.mtu);
  if (!h->up) nl::set_up(host, h->index);
  sys::in_netns(nsfd, [&] {
    nl::Socket s;
    auto in = nl::get_link(s, plan.veth);
    if (node.mtu && in->mtu != *node.mtu) nl::set_mtu(s, in->index, *node.mtu);
    if (in->mac != router_mac(plan)) nl::set_mac(s, in->index, router_mac(plan));  // an NR made before it was derived
    nl::add_addr(s, in->index, plan.router_v4);
    nl::add_addr(s, in->index, plan.router_v6, {.nodad = true});
    if (!in->up) nl::set_up(s, in->index);
  });
}

// A re-created bridge has no ports: put the attached containers back.
void reattach_containers(nl::Socket& host, const model::Plan& plan, const std::vector<AttachmentRecord>& attached) {
  auto br = nl::get_link(host, plan.bridge);
  for (const auto& a : attached) {
    auto h = nl::get_link(host, a.host_veth);
    if (!h || h->master == br->index) continue;
    nl::set_master(host, h->index, br->index);
    if (!h->up) nl::set_up(host, h->index);
    spdlog::info("put {} of {}/{} back on {}", a.host_veth, a.container_id, a.ifname, plan.bridge);
  }
}

// Into a namespace without our tables a script goes without its replacing
// deletes (fresh_script: no grace period to wait for).
std::string script_for(Loaded state, const std::string& script) {
  return state == Loaded::kAbsent ? fresh_script(script) : script;
}

[[noreturn]] void firewall_failed(const model::Plan& plan, const std::runtime_error& e) {
  throw cni::Error(cni::kInternal, "firewall of " + plan.netns + ": " + e.what());
}

// The NR's tables, unless they are current (their chains' tags and rule
// counts): zos-nft (a process and libnftables, most of a cold build's CPU)
// runs on another thread, so on another core while the links are made. Its
// rules name the links; they need not exist yet. An unchanged re-apply
// reads the tables here and starts neither the thread nor zos-nft.
std::future<void> load_firewall(const Node& node, const Resource& r, int nsfd) {
  auto spec = firewall_spec(r.plan, r.net, r.nr);
  const Loaded f = sys::in_netns(nsfd, [&] { return firewall_state(spec); });
  if (f == Loaded::kCurrent) return {};
  return std::async(std::launch::async, [&node, nsfd, script = script_for(f, firewall_script(spec))] {
    nft::run(script, nsfd, node.cni_path);
  });
}

}  // namespace

void build(const Node& node, const Resource& r) {
  const auto& plan = r.plan;
  // The key first: an unusable one (a box sealed to another node) stops the
  // apply before anything is built.
  log::Phases phases("build " + plan.netns);
  const auto key = own_private_key(node, r);
  phases.lap("key");
  nl::Socket host;
  sys::create_named_netns(plan.netns);
  sys::fault_point("nr-after-netns");
  sys::Fd nsfd = sys::open_netns(plan.netns);
  setup_namespace(nsfd.get());
  phases.lap("namespace");
  // Waited for below, or by the future's destructor when a link step throws
  // (before the undo).
  std::future<void> firewall;
  try {
    firewall = load_firewall(node, r, nsfd.get());
  } catch (const std::runtime_error& e) {
    firewall_failed(plan, e);
  }
  setup_bridge(host, plan, node);
  sys::fault_point("nr-after-bridge");
  setup_router(host, plan, node, nsfd.get());
  sys::fault_point("nr-after-router");
  phases.lap("links");
  try {
    // The bridge guard first: a re-attached port sends only what it may.
    // Tables already made by the scripts this apply would run (their chain
    // tags say so) are left as they are: an unchanged re-apply starts no
    // zos-nft and only puts the ports back in the guard's sets.
    std::vector<AttachmentRecord> attached;
    std::vector<GuardedPort> ports;
    for (auto& a : State(node.data_dir).attachments())
      if (a.netns == plan.netns) {
        if (auto p = guarded_port(a)) ports.push_back(std::move(*p));
        attached.push_back(std::move(a));
      }
    if (auto g = guard_state(); g == Loaded::kCurrent) {
      guard_add(ports);
    } else {
      // The guard's table is the node's, not this NR's: its loads are
      // serialised node-wide and its state read again under that lock.
      // Two NRs built at once would otherwise both find it absent, and the
      // second fresh script (no replacing deletes) would add its rules to
      // the first one's chains.
      auto lock = State(node.data_dir).lock(kGuardLock, sys::FileLock::Mode::kExclusive);
      if (g = guard_state(); g == Loaded::kCurrent) guard_add(ports);
      else nft::run(script_for(g, bridge_guard_script(ports)), -1, node.cni_path);
    }
    reattach_containers(host, plan, attached);
    phases.lap("guard");
    if (firewall.valid()) firewall.get();
    phases.lap("firewall");  // what is left of it after the links and the guard
  } catch (const std::runtime_error& e) {
    firewall_failed(plan, e);
  }
  sys::fault_point("nr-after-firewall");
  apply_mesh(node, r, key, nsfd.get());
  apply_exit(node, r, nsfd.get());
  phases.lap("mesh");
}

void teardown(const Node& node, const Resource& r) {
  remove_mesh(node, r);
  nl::Socket host;
  nl::delete_link(host, r.plan.veth);
  nl::delete_link(host, r.plan.bridge);
  sys::delete_named_netns(r.plan.netns);
}

}  // namespace zos::nr
