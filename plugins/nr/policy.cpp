#include "plugins/nr/policy.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "common/cni/error.h"
#include "common/net/addr.h"
#include "common/net/link.h"
#include "common/net/nl.h"
#include "common/net/route.h"
#include "common/sys/file.h"
#include "common/sys/netns.h"
#include "plugins/nr/exit.h"
#include "plugins/nr/resource.h"
#include "plugins/nr/state.h"
#include "plugins/nr/public_side.h"

namespace zos::nr {

using nlohmann::json;

namespace {

cni::Error refused(const Resource& r, const std::string& why) {
  return cni::Error(cni::kInvalidConfig, "network " + r.net.network_id + ": " + why);
}

bool all_of_class(std::string_view s, int (*cls)(int)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) { return cls(static_cast<unsigned char>(c)) != 0; });
}

// br-0b05-0, veth-.., wg-.., pub-.., net-..: an NR's names (plan.h); zv + 12
// hex digits: a container's host veth (attach.h).
bool nr_link_name(const std::string& n) {
  if (n.size() == 14 && n.rfind("zv", 0) == 0) return all_of_class(std::string_view(n).substr(2), ::isxdigit);
  auto d1 = n.find('-');
  if (d1 == std::string::npos) return false;
  std::string_view kind(n.data(), d1);
  if (kind != "br" && kind != "veth" && kind != "wg" && kind != "pub" && kind != "net") return false;
  std::string_view rest = std::string_view(n).substr(d1 + 1);
  return rest.size() > 5 && rest[4] == '-' && all_of_class(rest.substr(0, 4), ::isxdigit) &&
         all_of_class(rest.substr(5), ::isdigit);
}

struct Party {
  ip::Addr addr;
  std::string who;  // "the gateway of inet0 in the public namespace", "network B's exit"...
};

// Addresses an exit must never take, with whose they are.
std::vector<Party> taken(const Node& node, const Resource& r, const PublicSide& side) {
  std::vector<Party> out;
  auto collect = [&](const std::string& where) {
    nl::Socket s;
    for (const auto& a : nl::list_addrs(s, 0)) {
      auto l = nl::get_link_by_index(s, a.index);
      out.push_back({a.prefix.addr(), "the node's address on " + (l ? l->name : "?") + " (" + where + " namespace)"});
    }
    for (int fam : {AF_INET, AF_INET6})
      for (const auto& rt : nl::list_routes(s, fam))
        if (rt.gw) {
          auto l = nl::get_link_by_index(s, rt.oif);
          out.push_back(
              {*rt.gw, "the gateway " + rt.gw->str() + " on " + (l ? l->name : "?") + " (" + where + " namespace)"});
        }
  };
  sys::in_netns(side.fd.get(), [&] { collect(side.name); });
  if (side.name != "host") collect("host");
  for (const auto& ap : State(node.data_dir).all_applied()) {
    if (ap.network_id == r.net.network_id) continue;
    try {
      auto other = resolve(model::Network::parse(ap.network), ap.node_id);
      if (!other.nr.exit_point) continue;
      auto w = exit_wanted(other);
      for (const auto& p : {w.v4, w.v6})
        if (p) out.push_back({p->addr(), "the exit address of network " + ap.network_id});
    } catch (const std::exception&) {
      // An applied object we cannot read claims nothing we can compare.
    }
  }
  return out;
}

void check_link(const NodePolicy& pol, const Resource& r, const PublicSide& side, const std::string& iface) {
  nl::Socket s;
  std::optional<nl::LinkInfo> l;
  if (!iface.empty()) {
    l = nl::get_link(s, iface);
    if (!l)
      throw refused(r, "exit_point iface \"" + iface + "\" does not exist in the " + side.name +
                           " namespace: fix ipv4_conf.iface (or publicNamespace)");
  } else {
    l = default_route_link(s);
    if (!l)
      throw refused(r, "exit_point names no iface and the " + side.name +
                           " namespace has no default route to find the uplink by: set ipv4_conf.iface");
  }
  auto deny = [&](const std::string& why) {
    return refused(r, "exit_point iface \"" + l->name + "\" " + why + " (node policy of this node)");
  };
  if (l->name == "lo") throw deny("is the loopback");
  if (nr_link_name(l->name)) throw deny("is a link of a network resource");
  if (l->master) {
    auto m = nl::get_link_by_index(s, l->master);
    throw deny("is a port of bridge " + (m ? m->name : "?"));
  }
  bool named = std::find(pol.exit_links.begin(), pol.exit_links.end(), l->name) != pol.exit_links.end();
  if (l->kind == "bridge" && !named) throw deny("is a bridge the operator did not name in exitLinks");
  if (pol.exit_links.empty()) {
    auto up = default_route_link(s);
    if (!up || up->index != l->index)
      throw deny("is not the uplink of the " + side.name + " namespace" +
                 (up ? " (" + up->name + ")" : std::string()) + "; exitLinks of the node policy may allow it");
  } else if (!named) {
    throw deny("is not in the node policy's exitLinks");
  }
}

}  // namespace

NodePolicy load_policy(const Node& node) {
  NodePolicy p;
  if (node.policy_file.empty() || !std::filesystem::exists(node.policy_file)) return p;
  auto bad = [&](const std::string& why) {
    return cni::Error(cni::kInvalidConfig, "node policy " + node.policy_file + ": " + why);
  };
  auto text = sys::read_file(node.policy_file);
  if (!text) throw bad("cannot be read");
  json j = json::parse(*text, nullptr, false);
  if (!j.is_object()) throw bad("is not a JSON object");
  for (const auto& [k, v] : j.items()) {
    if (k != "exitLinks" && k != "exitRanges") throw bad("unknown key \"" + k + "\" (exitLinks, exitRanges)");
    if (!v.is_array()) throw bad(k + " must be a list of strings");
    for (const auto& e : v) {
      if (!e.is_string()) throw bad(k + " must be a list of strings, got " + e.dump());
      if (k == "exitLinks") {
        p.exit_links.push_back(e);
      } else {
        auto pr = ip::Prefix::parse(e.get<std::string>());
        if (!pr) throw bad("exitRanges entry " + e.dump() + " is not a prefix like 203.0.113.0/24");
        p.exit_ranges.push_back(pr->network());
      }
    }
  }
  return p;
}

void check_exit_policy(const Node& node, const Resource& r) {
  if (!r.nr.exit_point || !r.net.exit_point) return;
  NodePolicy pol = load_policy(node);
  auto w = exit_wanted(r);
  auto side = public_side(node);
  sys::in_netns(side.fd.get(), [&] { check_link(pol, r, side, w.iface); });
  auto parties = taken(node, r, side);
  for (const auto& [want, gw] : {std::pair{w.v4, w.gw4}, std::pair{w.v6, w.gw6}}) {
    if (!want) continue;
    const ip::Addr& a = want->addr();
    for (const auto& other : parties)
      if (other.addr == a)
        throw refused(r, "exit address " + a.str() + " is " + other.who + ": choose an address of its own");
    if (gw == a) throw refused(r, "exit address " + a.str() + " is its own gateway");
    if (!pol.exit_ranges.empty() &&
        std::none_of(pol.exit_ranges.begin(), pol.exit_ranges.end(), [&](const ip::Prefix& rg) { return rg.contains(a); }))
      throw refused(r, "exit address " + a.str() + " is outside the node policy's exitRanges");
  }
}

}  // namespace zos::nr
