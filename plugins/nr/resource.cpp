#include "plugins/nr/resource.h"

#include <algorithm>
#include <filesystem>

#include "common/cni/error.h"
#include "common/log/log.h"
#include "common/net/addr.h"
#include "common/net/link.h"
#include "common/net/nfnl.h"
#include "common/net/nl.h"
#include "common/net/sysctl.h"
#include "common/sys/file.h"
#include "common/sys/netns.h"
#include "common/sys/undo.h"
#include "plugins/nr/build.h"
#include "plugins/nr/exit.h"
#include "plugins/nr/firewall.h"
#include "plugins/nr/guard.h"
#include "plugins/nr/mesh.h"
#include "plugins/nr/policy.h"
#include "plugins/nr/state.h"
#include "plugins/nr/public_side.h"
#include "plugins/nr/validate.h"

namespace zos::nr {

using sys::FileLock;

Resource resolve(const model::Network& net, const std::string& node_id) { return resolve(model::Network(net), node_id); }

Resource resolve(model::Network&& net, const std::string& node_id) {
  const auto* nr = net.resource_of(node_id);
  if (!nr)
    throw cni::Error(kNoResource, "network " + net.network_id + " has no resource for node \"" + node_id +
                                      "\": check nodeId or the network object");
  model::NetResource own = *nr;
  model::Plan plan = model::Plan::of(own.prefix, net.allocation_nr);
  return Resource{std::move(net), std::move(own), std::move(plan)};
}

namespace {

// The parts of an NR a warm ADD relies on, and the cheap liveness facts
// of its mesh (the WireGuard link is there, up, and answers), so that an
// ADD after a dead wireguard-go heals the NR instead of joining it. The
// NR's bridge when the NR is intact, nullopt when it is not.
std::optional<nl::LinkInfo> intact(const Node& node, const Resource& r, nl::Socket& host) {
  const auto& plan = r.plan;
  auto nsfd = sys::open_netns_if_exists(plan.netns);  // nullopt for a file the namespace left behind
  if (!nsfd) return std::nullopt;
  auto br = nl::get_link(host, plan.bridge);
  auto veth = nl::get_link(host, plan.veth);
  if (!br || !veth || veth->master != br->index || !veth->up) return std::nullopt;
  auto dead = mesh_problems(node, r, nsfd->get());
  for (const auto& p : dead) spdlog::warn("{}: {}: applying it again", plan.netns, p);
  if (!dead.empty()) return std::nullopt;
  return br;
}

// Nothing of the NR is on the node yet: a failed apply removes all it made.
bool absent(nl::Socket& host, const model::Plan& plan) {
  return !sys::netns_exists(plan.netns) && !nl::get_link(host, plan.bridge) && !nl::get_link(host, plan.veth);
}


// Refuses names that another network owns on this node; `refusal` is what
// is refused and what to do. The error goes back to whoever sent the object
// (a tenant): it says another network uses the names, never which one
// (another tenant's network id); the log names it, for the operator.
void check_owner(const State& st, const Resource& r, const std::string& refusal) {
  if (auto owner = st.owner(r.plan.netns); owner && *owner != r.net.network_id) {
    spdlog::warn("network {}: {} belongs to network {}: {}", r.net.network_id, r.plan.netns, *owner, refusal);
    throw cni::Error(kNameClash, "network " + r.net.network_id + ": another network on this node uses " +
                                     r.plan.netns + ", " + r.plan.bridge + " and " + r.plan.veth + ": " + refusal);
  }
}

// This version is applied under these names and the NR is intact: a warm
// ADD has nothing to build. The NR's bridge then, nullopt otherwise.
std::optional<nl::LinkInfo> current(const Node& node, const Resource& r, const std::optional<Applied>& prev,
                                    nl::Socket& host) {
  if (!prev || prev->version != r.net.version || prev->netns != r.plan.netns) return std::nullopt;
  return intact(node, r, host);
}

// The MTU of a current NR's links: the configured one, else what its build chose.
std::optional<unsigned> mtu_of(const Node& node, const Applied& prev) { return node.mtu ? node.mtu : prev.mtu; }

// apply() once the NR's exclusive lock is held and the version is known
// not to be older than the applied one; the MTU of the NR's links.
std::optional<unsigned> apply_locked(const Node& node, const Resource& r, const State& st,
                                     const std::optional<Applied>& prev, ApplyMode mode, nl::Socket& host) {
  const auto& net = r.net;
  if (mode == ApplyMode::kFast && current(node, r, prev, host)) return mtu_of(node, *prev);
  // What the object asks of this node, against the operator's policy,
  // before anything is built.
  check_exit_policy(node, r);

  spdlog::info("applying network {} version {} as {}", net.network_id, net.version, r.plan.netns);
  // Undoes a build that started from nothing (a converge of what exists
  // undoes nothing).
  auto owner = st.owner(r.plan.netns);
  const bool from_nothing = absent(host, r.plan), owner_is_new = !owner;
  sys::Undo undo(
      [&] {
        teardown(node, r);
        if (owner_is_new) st.remove_owner(r.plan.netns);
        spdlog::warn("network {}: apply failed, removed what it built of {}", r.net.network_id, r.plan.netns);
      },
      "network " + net.network_id + ": undoing the failed apply of " + r.plan.netns + " failed");
  if (!from_nothing) undo.dismiss();
  // State files are written (and fsynced) only when they change: not on
  // an unchanged re-apply.
  if (owner != net.network_id) st.set_owner(r.plan.netns, net.network_id);
  Node eff = node;
  eff.mtu = effective_mtu(node, has_mesh(node, r));
  build(eff, r);
  Applied now{net.network_id, net.version, r.plan.netns, node.id, net.raw, eff.mtu};
  if (prev != now) st.save_applied(now);
  undo.dismiss();
  return eff.mtu;
}

[[noreturn]] void stale(const model::Network& net, uint64_t applied) {
  throw cni::Error(kStaleVersion, "network " + net.network_id + " version " + std::to_string(net.version) +
                                      " is older than the applied version " + std::to_string(applied) +
                                      ": refusing to go back");
}

// Under the NR's lock: the owner check and the applied record. An object
// older than the applied one is refused (112), or with `join_newer`
// replaced in `r` by the applied newer one's NR.
std::optional<Applied> settle_version(const Node& node, const State& st, Resource& r, bool join_newer) {
  check_owner(st, r, "give this network another allocation_nr or prefix");
  model::Network net;  // the ADD's id and version, kept while `r` may change
  net.network_id = r.net.network_id;
  net.version = r.net.version;
  auto prev = st.applied(net.network_id, r.net.raw);
  if (prev && prev->version > net.version) {
    if (!join_newer) stale(net, prev->version);
    // An apply of a newer version got here first: the container joins
    // that one (the runtime's copy of the object is only older).
    spdlog::info("network {}: version {} is applied, newer than the {} of this ADD: attaching to it",
                 net.network_id, prev->version, net.version);
    auto applied = model::Network::parse(prev->network);
    if (applied.version != prev->version) stale(net, prev->version);  // a state file edited by hand
    std::string locked = r.plan.netns;
    r = resolve(applied, node.id);
    if (r.plan.netns != locked) stale(net, prev->version);  // its NR moved: not under our lock
  }
  return prev;
}

// apply() and apply_for_attach(): `join_newer` serves an older object by
// the applied one instead of refusing it. Returns with the lock held.
Joined apply_resource(const Node& node, model::Network net, ApplyMode mode, bool join_newer) {
  Resource r = resolve(std::move(net), node.id);  // moved: a 1000-peer object costs ~4M instructions to copy
  validate(node, r.net, r.nr);
  State st(node.data_dir);
  const std::string netns = r.plan.netns;
  nl::Socket host;
  if (mode == ApplyMode::kFast) {
    // Most ADDs join a current NR: checked under the shared lock, many at
    // once, and kept through the attach.
    FileLock shared = st.lock(netns, FileLock::Mode::kShared);
    Resource joined = r;
    auto prev = settle_version(node, st, joined, join_newer);
    if (auto bridge = current(node, joined, prev, host))
      return {{std::move(joined), mtu_of(node, *prev)}, std::move(shared), std::move(host), std::move(bridge)};
  }
  // The shared lock is dropped before this one is taken (flock would drop
  // it too, to convert it): everything is read again under it.
  FileLock lock = st.lock(netns, FileLock::Mode::kExclusive);
  auto prev = settle_version(node, st, r, join_newer);
  auto mtu = apply_locked(node, r, st, prev, mode, host);
  return {{std::move(r), mtu}, std::move(lock), std::move(host), std::nullopt};
}

}  // namespace

ApplyResult apply(const Node& node, model::Network net, ApplyMode mode) {
  return apply_resource(node, std::move(net), mode, false);  // the lock ends here
}

Joined apply_for_attach(const Node& node, const model::Network& net) {
  return apply_resource(node, net, ApplyMode::kFast, true);
}

void remove(const Node& node, const model::Network& net, bool force) {
  Resource r = resolve(net, node.id);
  State st(node.data_dir);
  FileLock lock = st.lock(r.plan.netns, FileLock::Mode::kExclusive);
  check_owner(st, r, "refusing to delete them");
  // A stale or replayed delete must not remove the current NR.
  if (auto prev = st.applied(net.network_id); prev && prev->version > net.version && !force)
    throw cni::Error(kStaleVersion, "network " + net.network_id + " version " + std::to_string(net.version) +
                                        " is older than the applied version " + std::to_string(prev->version) +
                                        ": refusing to delete (send the current version, or --force)");
  spdlog::info("deleting network {} ({})", net.network_id, r.plan.netns);
  nl::Socket host;
  for (const auto& a : st.attachments()) {
    if (a.netns != r.plan.netns) continue;
    nl::delete_link(host, a.host_veth);
    if (auto p = guarded_port(a)) guard_remove(*p);
    st.remove_attachment(a.host_veth);
  }
  teardown(node, r);
  // Leases of this network's NR, whatever network config made them (never
  // another network's, even with the same /24: ipam/<config>/<subnet>@<pool>).
  std::string pool = model::lease_pool_dir(r.plan.subnet_v4, model::lease_pool(net.network_id, net.allocation_nr));
  std::string ipam = node.data_dir + "/ipam";
  for (const auto& conf : sys::list_dir(ipam)) {
    std::error_code ec;
    std::filesystem::remove_all(ipam + "/" + conf + "/" + pool, ec);
    if (ec) spdlog::warn("could not remove the leases in {}/{}/{}: {}", ipam, conf, pool, ec.message());
  }
  st.remove_applied(net.network_id);
  st.remove_owner(r.plan.netns);
}

void link_problems(int nr_nsfd, const Resource& r, const std::string& what, const std::string& name,
                   std::vector<std::string>& out,
                   const std::function<void(nl::Socket& s, const nl::LinkInfo& l)>& more) {
  sys::in_netns(nr_nsfd, [&] {
    nl::Socket s;
    auto l = nl::get_link(s, name);
    if (!l) {
      out.push_back(what + " link " + name + " is missing in " + r.plan.netns);
      return;
    }
    if (!l->up) out.push_back(what + " link " + name + " is down in " + r.plan.netns);
    more(s, *l);
  });
}

std::vector<std::string> problems(const Node& node, const Resource& r) {
  std::vector<std::string> out;
  const auto& plan = r.plan;
  auto nsfd = sys::open_netns_if_exists(plan.netns);
  if (!nsfd || !sys::netns_exists(plan.netns)) {
    out.push_back("NR namespace " + plan.netns + " is missing");
    return out;
  }
  nl::Socket host;
  auto br = nl::get_link(host, plan.bridge);
  if (!br) out.push_back("bridge " + plan.bridge + " is missing");
  auto veth = nl::get_link(host, plan.veth);
  if (!veth) out.push_back("router veth " + plan.veth + " is missing on the host side");
  else if (br && veth->master != br->index) out.push_back("router veth " + plan.veth + " is not on bridge " + plan.bridge);
  sys::in_netns(nsfd->get(), [&] {
    nl::Socket s;
    auto in = nl::get_link(s, plan.veth);
    if (!in) {
      out.push_back("router veth " + plan.veth + " is missing in " + plan.netns);
    } else {
      auto addrs = nl::list_addrs(s, in->index);
      for (const auto& want : {plan.router_v4, plan.router_v6})
        if (!nl::has_addr(addrs, want)) out.push_back("router address " + want.str() + " is missing on " + plan.veth);
    }
    if (nl::sysctl_get("net/ipv4/ip_forward") != "1") out.push_back("IPv4 forwarding is off in " + plan.netns);
  });
  for (auto& p : mesh_problems(node, r, nsfd->get())) out.push_back(std::move(p));
  for (auto& p : exit_problems(node, r, nsfd->get())) out.push_back(std::move(p));
  if (!nfnl::table_exists(kGuardTable)) out.push_back("bridge guard table " + std::string(kGuardTable) + " is missing");
  sys::in_netns(nsfd->get(), [&] {
    for (const auto& t : firewall_tables(firewall_spec(plan, r.net, r.nr))) {
      if (!nfnl::table_exists(t.table)) {
        out.push_back("firewall table " + t.table + " is missing in " + plan.netns);
        continue;
      }
      auto have = nfnl::chains(t.table);
      for (const auto& c : t.chains)
        if (std::find(have.begin(), have.end(), c) == have.end())
          out.push_back("firewall chain " + c + " of table " + t.table + " is missing in " + plan.netns);
    }
  });
  return out;
}

}  // namespace zos::nr
