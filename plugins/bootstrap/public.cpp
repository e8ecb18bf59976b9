#include "plugins/bootstrap/public.h"

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/route/link.h>
#include <sys/socket.h>

#include "common/log/log.h"
#include "common/net/addr.h"
#include "common/net/link.h"
#include "common/net/route.h"
#include "common/net/sysctl.h"
#include "common/sys/netns.h"
#include "common/sys/undo.h"
#include "plugins/bootstrap/state.h"

namespace zos::bootstrap {

using nlohmann::json;

namespace {

std::string record_name(const std::string& netns) { return "public-" + netns + ".json"; }

// The config's addresses, typed (unset when not given).
struct Wanted {
  std::optional<ip::Prefix> v4;
  std::optional<ip::Addr> gw4;
  std::optional<ip::Prefix> v6;
  std::optional<ip::Addr> gw6;
};

// Parses every address before anything is touched: bad input changes nothing.
Wanted validate(const PublicConfig& c) {
  auto parse = [](const std::string& v, int fam, const char* what, bool need_len) -> std::optional<ip::Prefix> {
    if (v.empty()) return std::nullopt;
    auto p = ip::Prefix::parse(v);
    if (!p || nl::af(p->family()) != fam)
      throw ConfigError(std::string("public.") + what + ": '" + v + "' is not an " +
                        (fam == AF_INET ? "IPv4" : "IPv6") + " address");
    if (need_len && v.find('/') == std::string::npos)
      throw ConfigError(std::string("public.") + what + ": '" + v + "' needs a prefix length");
    if (!need_len && v.find('/') != std::string::npos)
      throw ConfigError(std::string("public.") + what + ": '" + v + "' is a gateway, not a prefix");
    return p;
  };
  auto gateway = [&](const std::string& v, int fam, const char* what) -> std::optional<ip::Addr> {
    if (auto p = parse(v, fam, what, false)) return p->addr();
    return std::nullopt;
  };
  // In the config's order (braces evaluate left to right): the first bad one is reported.
  Wanted w{parse(c.ipv4, AF_INET, "ipv4", true), gateway(c.gw4, AF_INET, "gw4"), parse(c.ipv6, AF_INET6, "ipv6", true),
           gateway(c.gw6, AF_INET6, "gw6")};
  if (!c.mac.empty()) {
    try {
      nl::parse_mac(c.mac);
    } catch (const nl::NlError&) {
      throw ConfigError("public.mac: '" + c.mac + "' is not a MAC address");
    }
  }
  return w;
}

void create_macvlan(nl::Socket& s, const PublicConfig& c, int master, int nsfd) {
  nl::MacvlanOptions mo;
  if (!c.mac.empty()) mo.mac = c.mac;
  mo.netns_fd = nsfd;  // born in the namespace: no rename, no move
  nl::create_macvlan(s, kPublicLink, master, mo);
}

}  // namespace

json public_config_json(const PublicConfig& c) {
  return {{"type", c.type}, {"master", c.master}, {"mac", c.mac},   {"ipv4", c.ipv4},
          {"gw4", c.gw4},   {"ipv6", c.ipv6},     {"gw6", c.gw6},   {"host_link", c.host_link}};
}

PublicResult apply_public(const PublicOptions& o) {
  auto file = load_config(o.config, true);
  if (!file.pub) throw ConfigError("config " + o.config + " has no \"public\" section");
  const PublicConfig c = *file.pub;
  const Wanted w = validate(c);
  Store st(o.data_dir);
  auto lock = st.lock();
  nl::Socket s;
  auto master = nl::get_link(s, c.master);
  if (!master) throw ConfigError("unknown NIC '" + c.master + "' (public.master): no such link");
  if (c.type == "veth" && master->kind != "bridge")
    throw ConfigError("public.master '" + c.master + "' must be a bridge for type veth");
  if (c.type == "macvlan" && master->kind == "bridge")
    throw ConfigError("public.master '" + c.master + "' is a bridge: use type veth for a bridge");

  PublicResult r;
  r.netns = o.name;
  r.cfg = c;
  r.created = sys::create_named_netns(o.name);
  bool link_created = false;
  sys::Undo rollback(
      [&] {
        if (link_created && c.type == "veth") nl::delete_link(s, c.host_link);
        if (r.created) sys::delete_named_netns(o.name);
        else if (link_created)
          sys::in_netns(sys::open_netns(o.name).get(), [] { nl::Socket ns; nl::delete_link(ns, kPublicLink); });
      },
      "rolling back public namespace " + o.name);
  auto nsfd = sys::open_netns(o.name);
  nl::Socket ps = sys::in_netns(nsfd.get(), [] { return nl::Socket(); });

  // A link of another type, or on another master than recorded: recreate.
  auto prev = st.read(record_name(o.name));
  auto cur = nl::get_link(ps, kPublicLink);
  const std::string want_kind = c.type == "veth" ? "veth" : "macvlan";
  bool stale = cur && (cur->kind != want_kind ||
                       (prev && (prev->value("type", "") != c.type || prev->value("master", "") != c.master ||
                                 prev->value("mac", "") != c.mac || prev->value("host_link", "") != c.host_link)));
  if (c.type == "veth" && cur && !nl::get_link(s, c.host_link)) stale = true;
  if (stale) {
    spdlog::info("public: recreating link {} in {}", kPublicLink, o.name);
    if (prev && prev->value("type", "") == "veth") nl::delete_link(s, prev->value("host_link", c.host_link));
    nl::delete_link(ps, kPublicLink);
    cur.reset();
  }
  if (!cur) {
    if (c.type == "macvlan") {
      create_macvlan(s, c, master->index, nsfd.get());
    } else {
      nl::VethOptions vo;
      vo.peer_netns_fd = nsfd.get();
      if (!c.mac.empty()) vo.peer_mac = c.mac;
      if (!nl::create_veth(s, c.host_link, kPublicLink, vo))
        throw std::runtime_error("host link " + c.host_link + " exists already");
    }
    link_created = true;
    r.changed = true;
    cur = nl::get_link(ps, kPublicLink);
    if (!cur) throw std::runtime_error("link " + std::string(kPublicLink) + " missing in " + o.name + " after creation");
  }
  if (c.type == "macvlan" && !master->up) nl::set_up(s, master->index), r.changed = true;  // its NIC
  if (c.type == "veth") {
    auto host = nl::get_link(s, c.host_link);
    if (!host) throw std::runtime_error("host link " + c.host_link + " missing");
    if (host->master != master->index) nl::set_master(s, host->index, master->index), r.changed = true;
    if (!host->up) nl::set_up(s, host->index), r.changed = true;
  }

  sys::in_netns(nsfd.get(), [&] {
    if (auto lo = nl::get_link(ps, "lo"); lo && !lo->up) nl::set_up(ps, lo->index), r.changed = true;
    const std::string k = std::string("net/ipv6/conf/") + kPublicLink + "/";
    // Static IPv6: no SLAAC beside it. Without one, accept what routers say.
    const std::string ra = c.ipv6.empty() ? "1" : "0";
    if (nl::sysctl_get_if_exists(k + "accept_ra").value_or(ra) != ra) nl::sysctl_set(k + "accept_ra", ra);
  });
  if (!cur->up) nl::set_up(ps, cur->index), r.changed = true;
  r.changed |= nl::sync_global_addr(ps, cur->index, AF_INET, w.v4);
  r.changed |= nl::sync_global_addr(ps, cur->index, AF_INET6, w.v6);
  r.changed |= nl::sync_default_route(ps, cur->index, AF_INET, w.gw4);
  r.changed |= nl::sync_default_route(ps, cur->index, AF_INET6, w.gw6);

  json rec = public_config_json(c);
  rec["netns"] = o.name;
  st.write_if_changed(record_name(o.name), rec);
  rollback.dismiss();
  return r;
}

bool delete_public(const PublicOptions& o) {
  Store st(o.data_dir);
  auto lock = st.lock();
  auto prev = st.read(record_name(o.name));
  bool any = false;
  if (auto nsfd = sys::open_netns_if_exists(o.name); nsfd && sys::netns_exists(o.name)) {
    // Delete the link first: a namespace dies asynchronously, and a veth end
    // left on the host for a moment would clash with a quick re-create.
    any |= sys::in_netns(nsfd->get(), [] {
      nl::Socket ps;
      return nl::delete_link(ps, kPublicLink);
    });
  }
  if (prev && prev->value("type", "") == "veth") {
    nl::Socket s;
    any |= nl::delete_link(s, prev->value("host_link", "zos-public"));
  }
  any |= sys::delete_named_netns(o.name);
  any |= st.remove(record_name(o.name));
  return any;
}

json PublicResult::to_json() const {
  json j = public_config_json(cfg);
  j["netns"] = netns;
  j["created"] = created;
  j["changed"] = changed;
  return j;
}

std::string PublicResult::human() const {
  std::string out = "public: namespace " + netns + (created ? " created" : changed ? " updated" : " unchanged") + "\n";
  out += "  link " + std::string(kPublicLink) + ": " + cfg.type + " on " + cfg.master + "\n";
  if (!cfg.ipv4.empty()) out += "  IPv4 " + cfg.ipv4 + (cfg.gw4.empty() ? "" : " via " + cfg.gw4) + "\n";
  if (!cfg.ipv6.empty()) out += "  IPv6 " + cfg.ipv6 + (cfg.gw6.empty() ? "" : " via " + cfg.gw6) + "\n";
  return out;
}

}  // namespace zos::bootstrap
