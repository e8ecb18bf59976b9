#include "plugins/nr/mesh.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <map>
#include <set>

#include "common/cni/error.h"
#include "common/log/log.h"
#include "common/net/addr.h"
#include "common/net/link.h"
#include "common/net/nl.h"
#include "common/net/route.h"
#include "common/sys/netns.h"
#include "common/wg/wg.h"
#include "plugins/nr/keys.h"
#include "plugins/nr/resource.h"
#include "plugins/nr/public_side.h"

namespace zos::nr {

namespace {

constexpr uint16_t kHiddenKeepalive = 25;

std::unique_ptr<wg::Backend> backend_for(const Node& node) {
  return wg::make_backend(wg::Kind::kAuto, node.data_dir + "/wg");
}

bool same_prefix(const ip::Prefix& a, const ip::Prefix& b) { return a.network() == b.network(); }

struct WantedPeer {
  wg::PeerConfig cfg;
  model::Addressing plan;
};

// What the device must hold: every other NR of the network. Every NR but
// the exit sends the Internet's traffic to the exit NR: its peer carries
// the default routes.
struct Wanted {
  std::vector<WantedPeer> peers;
  std::optional<size_t> exit;  // index in peers
};

Wanted wanted_peers(const Resource& r) {
  const model::NetResource* exit_nr = r.nr.exit_point ? nullptr : r.net.exit_resource();
  Wanted out;
  for (const auto& p : r.nr.peers) {
    if (same_prefix(p.prefix, r.nr.prefix)) continue;
    if (p.type != 0) {
      spdlog::warn("network {}: peer {} has type {}, not WireGuard: skipped", r.net.network_id, p.prefix.str(), p.type);
      continue;
    }
    auto pub = key_from_text(p.connection.key);
    if (!pub)
      throw cni::Error(cni::kInvalidConfig, "network " + r.net.network_id + ": the key of peer " + p.prefix.str() +
                                                " is not a base64 WireGuard key");
    WantedPeer w{{}, model::Addressing::of(p.prefix)};
    w.cfg.public_key = *pub;
    bool has_ep = p.connection.ip && !p.connection.ip->empty() && p.connection.port != 0;
    if (has_ep) w.cfg.endpoint = wg::Endpoint{*p.connection.ip, p.connection.port};
    // Hidden on the family of the peer's endpoint (behind NAT, or ULA for
    // IPv6): keep the path open from this side.
    bool hidden = has_ep && !(p.connection.ip->is_v4() ? r.nr.node_id.public_v4 : r.nr.node_id.public_v6);
    w.cfg.keepalive = hidden ? kHiddenKeepalive : 0;
    w.cfg.replace_allowed_ips = true;
    w.cfg.allowed_ips = {ip::Prefix(w.plan.wg_v6.addr(), 128), ip::Prefix(w.plan.wg_v4.addr(), 32), w.plan.prefix,
                         w.plan.subnet_v4};
    bool is_exit = exit_nr && same_prefix(p.prefix, exit_nr->prefix);
    if (is_exit) {
      w.cfg.allowed_ips.push_back(*ip::Prefix::parse("0.0.0.0/0"));
      w.cfg.allowed_ips.push_back(*ip::Prefix::parse("::/0"));
    }
    out.peers.push_back(std::move(w));
    if (is_exit) out.exit = out.peers.size() - 1;
  }
  if (exit_nr && !out.exit)
    spdlog::warn("network {}: the exit NR {} is not among the peers of {}: no default route", r.net.network_id,
                 exit_nr->prefix.str(), r.plan.netns);
  return out;
}

// The WireGuard link in the NR namespace and what its device holds, read
// once: by the liveness check of a link that was there, or right after the
// creation of a new one.
struct Device {
  int index = 0;
  wg::DeviceState state;
};

// Makes sure plan.wg exists in the NR namespace, served by a live backend.
Device ensure_link(wg::Backend& be, const Node& node, const model::Plan& plan, int nsfd) {
  auto inner = sys::in_netns(nsfd, [&]() -> std::optional<Device> {
    nl::Socket s;
    auto l = nl::get_link(s, plan.wg);
    if (!l) return std::nullopt;
    try {
      return Device{l->index, be.get(plan.wg)};
    } catch (const std::exception& e) {
      spdlog::warn("{} in {} has no live WireGuard behind it ({}): re-creating it", plan.wg, plan.netns, e.what());
      nl::delete_link(s, plan.wg);
      return std::nullopt;
    }
  });
  if (inner) return std::move(*inner);

  // Born on the node's public side (public netns, else host): the UDP
  // socket stays there, the link moves into the NR.
  auto side = public_side(node);
  sys::in_netns(side.fd.get(), [&] {
    nl::Socket pub;
    if (!be.create(plan.wg)) {
      // A live link of that name exists already but not in the NR: either a
      // leftover on the public side (moved below) or a process whose link
      // went elsewhere: start over.
      if (!nl::get_link(pub, plan.wg)) {
        spdlog::warn("{} is served but is not in {}: re-creating it", plan.wg, plan.netns);
        be.remove(plan.wg);
        if (!be.create(plan.wg))
          throw cni::Error(cni::kInternal, "cannot create WireGuard link " + plan.wg + ": it exists already");
      }
    }
    auto l = nl::get_link(pub, plan.wg);
    if (!l) throw cni::Error(cni::kInternal, "WireGuard link " + plan.wg + " vanished right after its creation");
    nl::set_netns(pub, l->index, nsfd);
  });
  spdlog::info("created {} ({}) in the {} namespace and moved it into {}", plan.wg, be.kind(), side.name, plan.netns);
  return sys::in_netns(nsfd, [&] {
    nl::Socket s;
    auto m = nl::get_link(s, plan.wg);
    if (!m) throw cni::Error(cni::kInternal, "WireGuard link " + plan.wg + " did not arrive in " + plan.netns);
    return Device{m->index, be.get(plan.wg)};
  });
}

// Only what differs from the device as it is: an unchanged re-apply of N
// peers sends nothing (it used to send all N over UAPI or genl every time).
wg::DeviceConfig device_changes(const model::Plan& plan, const wg::Key& key, std::optional<uint16_t> port,
                                const Wanted& wanted, const wg::DeviceState& have) {
  wg::DeviceConfig dc;
  dc.name = plan.wg;
  if (have.public_key != wg::public_key_of(key)) dc.private_key = key;
  if (port && have.listen_port != *port) dc.listen_port = port;
  dc.replace_peers = false;
  std::map<wg::Key, const wg::PeerState*> current;
  for (const auto& p : have.peers) current[p.public_key] = &p;
  std::set<wg::Key> keep;
  for (const auto& w : wanted.peers) {
    keep.insert(w.cfg.public_key);
    auto it = current.find(w.cfg.public_key);
    if (it == current.end() || !wg::same_peer(w.cfg, *it->second)) dc.peers.push_back(w.cfg);
  }
  for (const auto& p : have.peers) {
    if (keep.count(p.public_key)) continue;
    wg::PeerConfig gone;
    gone.public_key = p.public_key;
    gone.remove = true;
    dc.peers.push_back(gone);
    spdlog::info("{}: removing peer {}, no longer in the network", plan.wg, wg::key_to_base64(p.public_key));
  }
  return dc;
}

// The link's addresses, MTU and state (in the NR namespace).
void set_up_link(nl::Socket& s, const Node& node, const model::Plan& plan, int wg_index) {
  nl::add_addr(s, wg_index, plan.wg_v4);
  nl::add_addr(s, wg_index, plan.wg_v6, {.nodad = true});
  auto l = nl::get_link(s, plan.wg);
  if (l && node.mtu && l->mtu != *node.mtu) nl::set_mtu(s, wg_index, *node.mtu);
  if (l && !l->up) nl::set_up(s, wg_index);
}

// Routes through the mesh: what the link carries now, then only the
// requests that change something (an unchanged re-apply of a network of N
// peers costs one dump per family, not 2N replaces).
void route_peers(nl::Socket& s, const model::Plan& plan, int wg_index, const Wanted& wanted) {
  // Only the requests that change something (an unchanged re-apply of a
  // network of N peers costs one dump per family, not 2N replaces). The IPv4
  // gateways are onlink: the link has no IPv4 route to them.
  std::vector<nl::GatewayRoute> routes;
  for (const auto& w : wanted.peers) {
    routes.push_back({w.plan.prefix, w.plan.wg_v6.addr(), false});
    routes.push_back({w.plan.subnet_v4, w.plan.wg_v4.addr(), true});
  }
  if (wanted.exit) {
    const auto& e = wanted.peers[*wanted.exit].plan;
    routes.push_back({nl::default_dst(AF_INET6), e.wg_v6.addr(), false});
    routes.push_back({nl::default_dst(AF_INET), e.wg_v4.addr(), true});
  }
  if (nl::sync_routes(s, wg_index, RT_TABLE_MAIN, routes)) spdlog::info("{}: routes through the mesh updated", plan.wg);
}

void apply_mesh_impl(const Node& node, const Resource& r, const std::optional<wg::Key>& key, int nsfd) {
  const auto& plan = r.plan;
  if (!key) {
    spdlog::info("network {}: {} has no WireGuard entry of its own among its peers: no mesh", r.net.network_id,
                 plan.netns);
    return;
  }
  Wanted wanted = wanted_peers(r);
  std::optional<uint16_t> port;
  if (const model::Peer* own = own_peer(r); own && own->connection.port) port = own->connection.port;
  else spdlog::warn("network {}: no listen port for {} in the object: WireGuard picks one", r.net.network_id, plan.wg);

  auto be = backend_for(node);
  Device dev = ensure_link(*be, node, plan, nsfd);
  auto dc = device_changes(plan, *key, port, wanted, dev.state);
  sys::in_netns(nsfd, [&] {
    nl::Socket s;
    if (dc.private_key || dc.listen_port || !dc.peers.empty()) be->configure(dc);
    set_up_link(s, node, plan, dev.index);
    route_peers(s, plan, dev.index, wanted);
  });
  spdlog::info("network {}: {} has {} peer(s), {} WireGuard round trip(s) ({}), {} peer change(s) sent",
               r.net.network_id, plan.wg, wanted.peers.size(), be->round_trips(), be->kind(), dc.peers.size());
}

}  // namespace

void apply_mesh(const Node& node, const Resource& r, const std::optional<wg::Key>& key, int nr_nsfd) {
  try {
    apply_mesh_impl(node, r, key, nr_nsfd);
  } catch (const cni::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw cni::Error(cni::kInternal, "WireGuard mesh of " + r.plan.netns + ": " + e.what());
  }
}

bool has_mesh(const Node& node, const Resource& r) {
  return !node.key_file.empty() || own_peer(r);
}

std::vector<std::string> mesh_problems(const Node& node, const Resource& r, int nr_nsfd) {
  std::vector<std::string> out;
  if (!has_mesh(node, r)) return out;
  auto be = backend_for(node);
  link_problems(nr_nsfd, r, "WireGuard", r.plan.wg, out, [&](nl::Socket&, const nl::LinkInfo&) {
    try {
      be->get(r.plan.wg);
    } catch (const std::exception& e) {
      out.push_back("WireGuard link " + r.plan.wg + " has no live WireGuard behind it: " + e.what());
    }
  });
  return out;
}

std::optional<wg::DeviceState> mesh_state(const Node& node, const Resource& r) {
  auto nsfd = sys::open_netns_if_exists(r.plan.netns);
  if (!nsfd || !has_mesh(node, r)) return std::nullopt;
  auto be = backend_for(node);
  return sys::in_netns(nsfd->get(), [&]() -> std::optional<wg::DeviceState> {
    try {
      return be->get(r.plan.wg);
    } catch (const std::exception&) {
      return std::nullopt;  // mesh_problems() says what is wrong
    }
  });
}

void remove_mesh(const Node& node, const Resource& r) {
  // The userspace process is stopped by its recorded pid: deleting the
  // namespace alone does not end wireguard-go when its UDP socket lives in
  // another namespace. The kernel backend deletes the link where it is now.
  try {
    auto be = backend_for(node);
    auto nsfd = sys::open_netns_if_exists(r.plan.netns);
    bool removed = nsfd && sys::netns_exists(r.plan.netns)
                       ? sys::in_netns(nsfd->get(), [&] { return be->remove(r.plan.wg); })
                       : be->remove(r.plan.wg);
    if (removed) spdlog::info("removed WireGuard link {}", r.plan.wg);
  } catch (const std::exception& e) {
    spdlog::warn("could not remove WireGuard link {}: {}", r.plan.wg, e.what());
  }
}

}  // namespace zos::nr
