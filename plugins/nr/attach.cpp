#include "plugins/nr/attach.h"

#include <linux/if_addr.h>
#include <sys/socket.h>

#include <cstdio>

#include "common/log/log.h"
#include "common/net/addr.h"
#include "common/net/link.h"
#include "common/net/nl.h"
#include "common/net/route.h"
#include "common/net/sysctl.h"
#include "common/sys/fault.h"
#include "common/sys/file.h"
#include "common/sys/netns.h"
#include "common/sys/undo.h"
#include "plugins/nr/guard.h"
#include "plugins/nr/ipam_client.h"
#include "plugins/nr/state.h"

namespace zos::nr {

using nlohmann::json;

namespace {

uint64_t fnv1a(const std::string& a, const std::string& b) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(a);
  mix(std::string(1, '\0'));
  mix(b);
  return h;
}

// Opens the container's namespace; cni::Error(3) when it is gone.
sys::Fd container_netns(const cni::Request& req) {
  auto fd = sys::open_netns_if_exists(req.env.netns);
  if (!fd) throw cni::Error(cni::kUnknownContainer, "CNI_NETNS " + req.env.netns + " does not exist");
  return std::move(*fd);
}

// The config IPAM gets: ours, with the MAC and the NR prefix filled in so it
// need not read the network object again.
// `pool`: the network's lease pool (zos-ipam keeps each network's leases
// apart, also when two networks have one /24); "" on DEL/GC without one.
json ipam_conf(const cni::Request& req, const Resource* r, const std::string& mac, const std::string& pool = "") {
  json c = req.conf;
  if (!mac.empty()) c["runtimeConfig"]["mac"] = mac;
  if (c["ipam"].value("type", "") == "zos-ipam") {
    if (r && !c["ipam"].contains("prefix")) c["ipam"]["prefix"] = r->plan.prefix.str();
    if (!pool.empty() && !c["ipam"].contains("pool")) c["ipam"]["pool"] = pool;
  }
  return c;
}

std::string pool_of(const Resource& r) { return model::lease_pool(r.net.network_id, r.net.allocation_nr); }

}  // namespace

std::string host_veth_name(const std::string& container_id, const std::string& ifname) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "zv%012llx",
                static_cast<unsigned long long>(fnv1a(container_id, ifname) & 0xffffffffffffull));
  return buf;
}

std::array<uint8_t, 6> stable_mac(const std::string& container_id, const std::string& ifname) {
  uint64_t h = fnv1a(ifname, container_id);
  std::array<uint8_t, 6> m{};
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(h >> (8 * i));
  m[0] = static_cast<uint8_t>((m[0] & 0xfc) | 0x02);  // unicast, locally administered
  return m;
}

cni::Result attach(const cni::Request& req, const Config& cfg, Joined& nr) {
  const Resource& r = nr.resource;
  const std::optional<unsigned> mtu = nr.mtu;
  nl::Socket& host = nr.host;
  const auto& env = req.env;
  const auto& plan = r.plan;
  State st(cfg.node.data_dir);
  sys::Fd cns = container_netns(req);
  const sys::Fd self = sys::open_current_netns();  // where both switches below come back to

  std::string hname = host_veth_name(env.container_id, env.ifname);
  // One socket in the container's namespace for the whole ADD (a netlink
  // socket stays in the namespace it was made in).
  nl::Socket cs = sys::in_netns(cns.get(), self.get(), [] { return nl::Socket(); });
  // A veth of ours under that name is left from an ADD that was killed: it
  // is this attachment's, so start over. Looked for only when the name is
  // taken (no request on the usual ADD): here when its container end holds
  // CNI_IFNAME, at create_veth when that end is elsewhere.
  auto remove_stale = [&] {
    if (!nl::delete_link(host, hname)) return false;
    spdlog::info("removed stale {} of an interrupted ADD", hname);
    return true;
  };
  if (nl::get_link(cs, env.ifname) && (!remove_stale() || nl::get_link(cs, env.ifname)))
    throw cni::Error(cni::kInvalidEnv, "CNI_IFNAME " + env.ifname + " already exists in " + env.netns +
                                           ": pick another interface name");

  std::string mac;
  if (const json* m = req.runtime_config("mac"); m && m->is_string()) mac = *m;
  else if (const json* m2 = req.args_cni("mac"); m2 && m2->is_string()) mac = *m2;
  else if (auto m3 = env.args.get("MAC")) mac = *m3;
  if (!mac.empty() && !model::parse_mac(mac))
    throw cni::Error(cni::kInvalidConfig, "MAC \"" + mac + "\" is not a MAC address like 02:42:0a:01:0a:02");
  if (mac.empty()) mac = model::format_mac(stable_mac(env.container_id, env.ifname));

  // An ADD that fails is released too: a plugin may fail after it wrote the
  // lease (a full disk), and the runtime may never send DEL.
  Ipam ipam_plugin(cfg.ipam_type, req);
  const json ipconf = ipam_conf(req, &r, mac, pool_of(r));
  sys::Undo undo_lease([&] { ipam_plugin.del(ipconf); }, "releasing the IPAM lease of a failed ADD failed");
  const cni::Result ipres = ipam_plugin.add(ipconf);
  sys::fault_point("add-after-ipam");

  // The record, written once and whole (MAC and addresses: what the port's
  // guard elements are), before anything of the port is in the kernel. A
  // kill before it leaves at most the lease, which IPAM's DEL and GC find by
  // the attachment's owner name; one after it leaves nothing DEL, GC and an
  // NR delete cannot find through it.
  AttachmentRecord rec{hname, env.container_id, env.ifname, r.net.network_id, plan.netns, cfg.name, env.netns};
  rec.mac = mac;
  for (const auto& ipc : ipres.ips) rec.addrs.push_back(ipc.address.addr().str());
  st.save_attachment(rec);
  // Undo of a half-done ADD: the host veth (and so the pair), its sources
  // in the bridge guard and the record.
  std::optional<GuardedPort> port;
  sys::Undo undo_veth(
      [&] {
        nl::Socket s;
        nl::delete_link(s, hname);
        if (port) guard_remove(*port);
        st.remove_attachment(hname);
      },
      "undoing veth " + hname + " failed");
  sys::fault_point("add-after-record");

  // The port may send from its MAC and these addresses only; in the guard
  // before the port joins the bridge (until then it sends nothing).
  port = guarded_port(rec);
  if (port) guard_add(*port);

  nl::VethOptions vo;
  vo.peer_mac = mac;
  vo.mtu = mtu;
  vo.peer_netns_fd = cns.get();
  if (!nl::create_veth(host, hname, env.ifname, vo) && !(remove_stale() && nl::create_veth(host, hname, env.ifname, vo)))
    throw cni::Error(cni::kInternal, "veth " + hname + " is there again after its removal: another ADD of " +
                                         env.container_id + "/" + env.ifname + " at the same time?");
  sys::fault_point("add-after-veth");
  // The bridge as the NR check saw it, unchanged since: the NR's lock is held.
  auto br = nr.bridge ? nr.bridge : nl::get_link(host, plan.bridge);
  auto h = nl::get_link(host, hname);
  if (!br || !h) throw cni::Error(cni::kInternal, "bridge " + plan.bridge + " or veth " + hname + " vanished during ADD");
  nl::sysctl_set("net/ipv6/conf/" + hname + "/disable_ipv6", "1");
  nl::set_master_up(host, h->index, br->index);
  cni::Result res;
  res.interfaces.push_back({plan.bridge, br->mac, ""});
  res.interfaces.push_back({hname, h->mac, ""});
  cni::Interface cif{env.ifname, mac, env.netns};
  sys::in_netns(cns.get(), self.get(), [&] {
    auto c = nl::get_link(cs, env.ifname);
    if (!c) throw cni::Error(cni::kInternal, env.ifname + " vanished from " + env.netns + " during ADD");
    cif.mtu = static_cast<int>(c->mtu);
    // Routes are static, from the result: no router advertisements, no
    // redirects; the link-local from the MAC (what the bridge guard allows).
    nl::sysctl_set_below("net/ipv6/conf/" + env.ifname,
                         {{"accept_ra", "0"}, {"accept_redirects", "0"}, {"addr_gen_mode", "0"}});
    for (const auto& ipc : ipres.ips) nl::add_addr(cs, c->index, ipc.address, {.nodad = true});
    nl::set_up(cs, c->index);
    for (const auto& rt : ipres.routes) nl::replace_route(cs, {.dst = rt.dst, .gw = rt.gw, .oif = c->index});
  });
  sys::fault_point("add-after-addr");
  res.interfaces.push_back(cif);
  for (auto ipc : ipres.ips) {
    ipc.interface = 2;
    res.ips.push_back(ipc);
  }
  res.routes = ipres.routes;
  res.dns = cfg.dns;
  undo_lease.dismiss();
  undo_veth.dismiss();
  spdlog::info("ADD {}/{}: {} on {}", env.container_id, env.ifname, hname, plan.bridge);
  return res;
}

void detach(const cni::Request& req, const Config& cfg) {
  const auto& env = req.env;
  State st(cfg.node.data_dir);
  std::string hname = host_veth_name(env.container_id, env.ifname);
  nl::Socket host;
  nl::delete_link(host, hname);  // takes the container end along
  // A corrupt record (moved aside and logged by State) must not stop the
  // DEL: without it only the port's guard elements stay, matching nothing.
  std::optional<AttachmentRecord> rec;
  try {
    rec = st.attachment(hname);
  } catch (const cni::Error& e) {
    spdlog::warn("DEL of {}: {}", hname, e.msg());
  }
  if (rec)
    if (auto port = guarded_port(*rec)) guard_remove(*port);
  // IPAM DEL needs no network object: it works when it is gone.
  Ipam(cfg.ipam_type, req).del(ipam_conf(req, nullptr, ""));
  st.remove_attachment(hname);
}

void check_attachment(const cni::Request& req, const Config& cfg, const Resource& r) {
  const auto& env = req.env;
  auto fail = [](const std::string& what) { throw cni::Error(kCheckFailed, what); };
  for (const auto& p : problems(cfg.node, r)) fail(p);

  nl::Socket host;
  std::string hname = host_veth_name(env.container_id, env.ifname);
  auto h = nl::get_link(host, hname);
  auto br = nl::get_link(host, r.plan.bridge);
  if (!h) fail("host veth " + hname + " of " + env.ifname + " is missing");
  if (!br || h->master != br->index) fail("host veth " + hname + " is not on bridge " + r.plan.bridge);

  auto cns = sys::open_netns_if_exists(env.netns);
  if (!cns) throw cni::Error(cni::kUnknownContainer, "CNI_NETNS " + env.netns + " does not exist");
  sys::in_netns(cns->get(), [&] {
    nl::Socket s;
    auto c = nl::get_link(s, env.ifname);
    if (!c) fail(env.ifname + " is missing in " + env.netns);
    if (c->kind != "veth") fail(env.ifname + " in " + env.netns + " is not a veth");
    auto addrs = nl::list_addrs(s, c->index);
    auto routes4 = nl::list_routes(s, AF_INET);
    auto routes6 = nl::list_routes(s, AF_INET6);
    for (const auto& ipc : req.prev->ips) {
      if (ipc.interface && *ipc.interface < static_cast<int>(req.prev->interfaces.size()) &&
          req.prev->interfaces[*ipc.interface].name != env.ifname)
        continue;
      if (!nl::has_addr(addrs, ipc.address)) fail("address " + ipc.address.str() + " is missing on " + env.ifname);
    }
    for (const auto& rt : req.prev->routes) {
      if (!nl::has_route(rt.dst.family() == 4 ? routes4 : routes6, rt.dst.network(), c->index, rt.gw))
        fail("route to " + rt.dst.str() + (rt.gw ? " via " + rt.gw->str() : "") + " is missing in " + env.netns);
    }
  });
  Ipam(cfg.ipam_type, req).check(ipam_conf(req, &r, "", pool_of(r)));
}

void gc(const cni::Request& req, const Config& cfg) {
  State st(cfg.node.data_dir);
  auto valid = cni::valid_attachments(req.conf);
  std::vector<std::string> errors;
  nl::Socket host;
  for (const auto& a : st.attachments()) {
    if (a.config_name != cfg.name) continue;
    bool keep = false;
    for (const auto& v : valid) keep = keep || (v.container_id == a.container_id && v.ifname == a.ifname);
    if (keep) continue;
    try {
      nl::delete_link(host, a.host_veth);
      if (auto port = guarded_port(a)) guard_remove(*port);
      st.remove_attachment(a.host_veth);
      spdlog::info("GC removed {} of {}/{}", a.host_veth, a.container_id, a.ifname);
    } catch (const std::exception& e) {
      errors.push_back(a.host_veth + ": " + e.what());
    }
  }
  // What writers killed between write and rename left (IPAM's GC does its own).
  for (const char* d : {"/attachments", "/networks"}) sys::clean_temp_files(st.dir() + d);
  try {
    Ipam(cfg.ipam_type, req).gc(ipam_conf(req, nullptr, ""));
  } catch (const cni::Error& e) {
    errors.push_back("ipam: " + e.msg());
  }
  if (!errors.empty()) {
    std::string msg = "GC finished with " + std::to_string(errors.size()) + " problem(s): ";
    for (size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
    throw cni::Error(cni::kIoFailure, msg);
  }
}

}  // namespace zos::nr
