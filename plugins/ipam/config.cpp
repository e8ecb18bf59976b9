#include "plugins/ipam/config.h"

#include <algorithm>

#include "common/sys/json.h"
#include "model/source.h"

namespace zos::ipam {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& what) { throw cni::Error(cni::kInvalidConfig, what); }

std::string str(const json& j, const char* key, const std::string& where) {
  return sys::string_field(j, key, [&] { bad(where + key + " must be a string"); });
}

V6Mode parse_mode(const std::string& s) {
  if (s.empty() || s == "ipv4") return V6Mode::kIpv4;
  if (s == "eui64") return V6Mode::kEui64;
  if (s == "both") return V6Mode::kBoth;
  if (s == "none") return V6Mode::kNone;
  throw cni::Error(cni::kInvalidConfig, "ipam.ipv6 \"" + s + "\" is not one of eui64, ipv4, both, none");
}

std::vector<std::string> string_list(const json& v, const std::string& where) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
    return out;
  }
  if (!v.is_array()) bad(where + " must be a list of addresses");
  for (const auto& e : v) {
    if (!e.is_string()) bad(where + " must be a list of addresses");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    auto end = s.find(sep, pos);
    if (end == std::string::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace

std::string Config::pools_dir() const { return data_dir + "/ipam/" + name; }

std::string Config::pool_dir(const model::Plan& plan) const {
  return pools_dir() + "/" + model::lease_pool_dir(plan.subnet_v4, pool);
}

Config parse_config(const cni::Request& req, bool need_prefix) {
  const json& conf = req.conf;
  Config c;
  c.name = conf.value("name", "");
  auto it = conf.find("ipam");
  if (it == conf.end() || !it->is_object()) bad("the network config has no \"ipam\" object");
  const json& ipam = *it;
  static const std::vector<std::string> known = {"type", "prefix", "ipv6", "dataDir", "routes", "pool"};
  for (const auto& [k, v] : ipam.items()) {
    bool ok = false;
    for (const auto& kk : known) ok = ok || kk == k;
    if (!ok)
      throw cni::Error(cni::kUnsupportedField, "ipam." + k + " (" + v.dump() +
                                                   ") is not a zos-ipam setting (known: type, prefix, ipv6, dataDir, routes, pool)");
  }
  c.data_dir = str(ipam, "dataDir", "ipam.");
  if (c.data_dir.empty()) c.data_dir = str(conf, "dataDir", "");
  if (c.data_dir.empty()) c.data_dir = kDefaultDataDir;
  // The plugin runs in the runtime's working directory: relative is nowhere in particular.
  if (c.data_dir[0] != '/') bad("dataDir \"" + c.data_dir + "\" must be an absolute path");
  c.v6_mode = parse_mode(str(ipam, "ipv6", "ipam."));
  c.pool = str(ipam, "pool", "ipam.");
  if (c.pool.find('/') != std::string::npos || c.pool == "." || c.pool == "..")
    bad("ipam.pool \"" + c.pool + "\" must be a plain name (zos-nr sets it to the network's)");
  if (auto r = ipam.find("routes"); r != ipam.end() && !r->is_null()) {
    if (!r->is_array()) bad("ipam.routes must be a list of {dst, gw}");
    std::vector<cni::Route> routes;
    for (const auto& e : *r) {
      auto dst = e.is_object() ? ip::Prefix::parse(e.value("dst", "")) : std::nullopt;
      if (!dst) bad("ipam.routes entries need dst as address/length, got " + e.dump());
      cni::Route rt;
      rt.dst = *dst;
      if (e.contains("gw")) {
        auto gw = ip::Addr::parse(e.value("gw", ""));
        if (!gw) bad("ipam.routes gw must be an IP address, got " + e.dump());
        rt.gw = gw;
      }
      routes.push_back(rt);
    }
    c.routes = routes;
  }

  std::string p = str(ipam, "prefix", "ipam.");
  // Where the network object is, for the prefix.
  c.source = model::network_source(conf, req.env.args, need_prefix && p.empty());
  if (!p.empty()) {
    auto pre = ip::Prefix::parse(p);
    if (!pre || p.find('/') == std::string::npos) bad("ipam.prefix \"" + p + "\" is not an IPv6 prefix like 2a02:1802:5e:10a::/64");
    c.prefix = *pre;
  } else if (need_prefix) {
    if (!c.source.configured())
      bad("no NR prefix: set ipam.prefix (the NR's IPv6 /64), or give the network object (network, networkFile or networksDir) and nodeId");
    if (c.source.node_id.empty()) bad("nodeId is required to find this node's network resource in the network object");
    auto net = model::load_network(c.source);
    const auto* nr = net.resource_of(c.source.node_id);
    if (!nr)
      bad("network " + net.network_id + " has no resource for node \"" + c.source.node_id + "\"");
    c.prefix = nr->prefix;
    if (c.pool.empty()) c.pool = model::lease_pool(net.network_id, net.allocation_nr);
  }
  if (c.prefix && (!c.prefix->addr().is_v6() || c.prefix->len() != 64))
    bad("the NR prefix " + c.prefix->str() + " must be an IPv6 /64");
  return c;
}

Request attachment_request(const cni::Request& req, const Config& cfg) {
  Request r;
  r.container_id = req.env.container_id;
  r.ifname = req.env.ifname;
  r.v6_mode = cfg.v6_mode;

  std::vector<std::string> ips;
  std::string from;
  if (const json* v = req.runtime_config("ips")) {
    ips = string_list(*v, "runtimeConfig.ips");
    from = "runtimeConfig.ips";
  } else if (const json* v2 = req.args_cni("ips")) {
    ips = string_list(*v2, "args.cni.ips");
    from = "args.cni.ips";
  } else if (auto ip = req.env.args.get("IP")) {
    ips = split(*ip, ',');
    from = "CNI_ARGS IP";
  }
  int code = from == "CNI_ARGS IP" ? cni::kInvalidEnv : cni::kInvalidConfig;
  for (const auto& s : ips) {
    auto pre = ip::Prefix::parse(s);
    if (!pre) throw cni::Error(code, from + ": \"" + s + "\" is not an IP address");
    // The same address twice is one request (podman's `network reload` sends
    // its static IP and the result's); several IPv6s are fine, one IPv4 is.
    if (pre->addr().is_v6()) {
      if (std::find(r.want_v6.begin(), r.want_v6.end(), pre->addr()) == r.want_v6.end()) r.want_v6.push_back(pre->addr());
      continue;
    }
    if (r.want_v4 && *r.want_v4 != pre->addr())
      throw cni::Error(code, from + ": more than one IPv4 address requested (" + r.want_v4->str() + ", " +
                                 pre->addr().str() + ")");
    r.want_v4 = pre->addr();
  }

  std::string mac, mac_from;
  if (const json* v = req.runtime_config("mac"); v && v->is_string()) {
    mac = *v;
    mac_from = "runtimeConfig.mac";
  } else if (const json* v2 = req.args_cni("mac"); v2 && v2->is_string()) {
    mac = *v2;
    mac_from = "args.cni.mac";
  } else if (auto m = req.env.args.get("MAC")) {
    mac = *m;
    mac_from = "CNI_ARGS MAC";
  }
  if (!mac.empty()) {
    r.mac = model::parse_mac(mac);
    if (!r.mac)
      throw cni::Error(mac_from == "CNI_ARGS MAC" ? cni::kInvalidEnv : cni::kInvalidConfig,
                       mac_from + ": \"" + mac + "\" is not a MAC address like 02:42:0a:01:0a:02");
  }
  return r;
}

}  // namespace zos::ipam
