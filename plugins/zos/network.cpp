#include "plugins/zos/network.h"

#include <arpa/inet.h>

#include "common/cni/env.h"
#include "common/cni/error.h"
#include "common/sys/file.h"
#include "common/sys/json.h"

namespace zos::model {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw cni::Error(cni::kInvalidConfig, "network object: " + where + " " + what);
}

const json* opt(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string str(const json& j, const char* key, const std::string& where, bool required = false) {
  const json* v = opt(j, key);
  if (!v) {
    if (required) bad(where + "." + key, "is required");
    return "";
  }
  if (!v->is_string()) bad(where + "." + key, "must be a string");
  return v->get<std::string>();
}

uint64_t num(const json& j, const char* key, const std::string& where) {
  const json* v = opt(j, key);
  if (!v) return 0;
  if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0))
    bad(where + "." + key, "must be a non-negative integer");
  return v->get<uint64_t>();
}

bool boolish(const json& j, const char* key, const std::string& where) {
  const json* v = opt(j, key);
  if (!v) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number_integer()) return v->get<int64_t>() != 0;
  bad(where + "." + key, "must be a boolean or 0/1");
}

// Go's net.IPNet marshals as {"IP": "...", "Mask": "<base64>"}; we also read
// "addr/len" strings.
std::optional<ip::Prefix> prefix(const json& j, const char* key, const std::string& where) {
  const json* v = opt(j, key);
  if (!v) return std::nullopt;
  std::string w = where + "." + key;
  if (v->is_string()) {
    auto p = ip::Prefix::parse(v->get<std::string>());
    if (!p || v->get<std::string>().find('/') == std::string::npos) bad(w, "\"" + v->get<std::string>() + "\" is not an address/length");
    return p;
  }
  if (v->is_object() && opt(*v, "IP")) {
    auto a = ip::Addr::parse(str(*v, "IP", w, true));
    if (!a) bad(w + ".IP", "is not an IP address");
    std::string mask_b64 = str(*v, "Mask", w, true);
    // base64 decode of at most 16 bytes
    static const std::string tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::vector<uint8_t> mask;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : mask_b64) {
      if (c == '=') break;
      auto pos = tbl.find(c);
      if (pos == std::string::npos) bad(w + ".Mask", "is not base64");
      acc = (acc << 6) | static_cast<uint32_t>(pos);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        mask.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
      }
    }
    if (mask.size() != 4 && mask.size() != 16) bad(w + ".Mask", "must be 4 or 16 bytes");
    int len = 0;
    bool ended = false;
    for (uint8_t byte : mask)
      for (int b = 7; b >= 0; --b) {
        bool set = byte & (1 << b);
        if (set && ended) bad(w + ".Mask", "is not a contiguous mask");
        if (set) ++len; else ended = true;
      }
    ip::Addr addr = *a;
    if (mask.size() == 4 && addr.is_v6()) {
      // Go writes IPv4 as 16-byte mapped addresses at times.
      addr = ip::Addr::v4((uint32_t(addr[12]) << 24) | (uint32_t(addr[13]) << 16) | (uint32_t(addr[14]) << 8) | addr[15]);
    }
    return ip::Prefix(addr, len);
  }
  bad(w, "must be \"addr/len\" or {\"IP\", \"Mask\"}");
}

std::optional<ip::Addr> addr(const json& j, const char* key, const std::string& where) {
  std::string s = str(j, key, where);
  if (s.empty()) return std::nullopt;
  auto a = ip::Addr::parse(s);
  if (!a) bad(where + "." + key, "\"" + s + "\" is not an IP address");
  return a;
}

// "public"/"hidden"/"ula" or 0-OS's integer enums.
// 0-OS's enums: ReachabilityV4 Hidden 0 / Public 1, ReachabilityV6 ULA 0 /
// Public 1 (modules/network.go); in JSON also "public" / "hidden" / "ula".
bool reach(const json& j, const char* key, const std::string& where) {
  const json* v = opt(j, key);
  if (!v) return true;
  if (v->is_string()) {
    std::string s = v->get<std::string>();
    if (s == "public") return true;
    if (s == "hidden" || s == "ula") return false;
    bad(where + "." + key, "must be \"public\", \"hidden\" or \"ula\"");
  }
  if (v->is_number_integer()) return v->get<int>() == 1;
  bad(where + "." + key, "must be a string or an integer");
}

const json& list(const json& j, const char* key, const std::string& where) {
  static const json empty = json::array();
  const json* v = opt(j, key);
  if (!v) return empty;
  if (!v->is_array()) bad(where + "." + key, "must be a list");
  return *v;
}

uint16_t port(const json& j, const char* key, const std::string& where) {
  uint64_t p = num(j, key, where);
  if (p > 65535) bad(where + "." + key, "must be a port (0-65535)");
  return static_cast<uint16_t>(p);
}

ExitPoint parse_exit(const json& e) {
  ExitPoint x;
  const std::string w = "exit_point";
  if (const json* c = opt(e, "ipv4_conf")) {
    Ipv4Conf v;
    v.cidr = opt(*c, "cidr") ? prefix(*c, "cidr", w + ".ipv4_conf") : prefix(*c, "cird", w + ".ipv4_conf");
    v.gateway = addr(*c, "gateway", w + ".ipv4_conf");
    v.metric = static_cast<uint32_t>(num(*c, "metric", w + ".ipv4_conf"));
    v.iface = str(*c, "iface", w + ".ipv4_conf");
    v.enable_nat = boolish(*c, "enable_nat", w + ".ipv4_conf");
    x.ipv4_conf = v;
  }
  const json& dnat = list(e, "ipv4_dnat", w);
  for (size_t i = 0; i < dnat.size(); ++i) {
    std::string dw = w + ".ipv4_dnat[" + std::to_string(i) + "]";
    Ipv4Dnat d;
    auto in = addr(dnat[i], "internal_ip", dw), ex = addr(dnat[i], "external_ip", dw);
    if (!in) bad(dw + ".internal_ip", "is required");
    d.internal_ip = *in;
    if (ex) d.external_ip = *ex;
    d.internal_port = port(dnat[i], "internal_port", dw);
    d.external_port = port(dnat[i], "external_port", dw);
    d.protocol = str(dnat[i], "protocol", dw);
    if (d.protocol.empty()) d.protocol = "tcp";
    if (d.protocol != "tcp" && d.protocol != "udp") bad(dw + ".protocol", "must be \"tcp\" or \"udp\"");
    x.ipv4_dnat.push_back(d);
  }
  if (const json* c = opt(e, "ipv6_conf")) {
    Ipv6Conf v;
    v.addr = prefix(*c, "addr", w + ".ipv6_conf");
    v.gateway = addr(*c, "gateway", w + ".ipv6_conf");
    v.metric = static_cast<uint32_t>(num(*c, "metric", w + ".ipv6_conf"));
    v.iface = str(*c, "iface", w + ".ipv6_conf");
    x.ipv6_conf = v;
  }
  const json& allow = list(e, "ipv6_allow", w);
  for (size_t i = 0; i < allow.size(); ++i) {
    auto a = allow[i].is_string() ? ip::Addr::parse(allow[i].get<std::string>()) : std::nullopt;
    if (!a) bad(w + ".ipv6_allow[" + std::to_string(i) + "]", "is not an IP address");
    x.ipv6_allow.push_back(*a);
  }
  return x;
}

}  // namespace

Network Network::parse(const json& j) {
  if (!j.is_object()) bad("", "must be a JSON object");
  Network n;
  n.raw = j;
  n.network_id = str(j, "network_id", "", true);
  if (!cni::valid_network_name(n.network_id)) bad("network_id", "\"" + n.network_id + "\" must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
  n.version = num(j, "version", "");
  uint64_t alloc = num(j, "allocation_nr", "");
  if (alloc > 99) bad("allocation_nr", "must be 0 to 99");
  n.allocation_nr = static_cast<int>(alloc);
  n.prefix_zero = opt(j, "PrefixZero") ? prefix(j, "PrefixZero", "") : prefix(j, "prefix_zero", "");
  const json& res = list(j, "resources", "");
  for (size_t i = 0; i < res.size(); ++i) {
    std::string w = "resources[" + std::to_string(i) + "]";
    const json& r = res[i];
    if (!r.is_object()) bad(w, "must be an object");
    NetResource nr;
    const json* node = opt(r, "node_id");
    if (!node) bad(w + ".node_id", "is required");
    if (node->is_string()) {
      nr.node_id.id = node->get<std::string>();
    } else {
      nr.node_id.id = str(*node, "id", w + ".node_id", true);
      nr.node_id.farmer_id = str(*node, "farmer_id", w + ".node_id");
      nr.node_id.public_v4 = reach(*node, "reachability_v4", w + ".node_id");
      nr.node_id.public_v6 = reach(*node, "reachability_v6", w + ".node_id");
    }
    auto p = prefix(r, "prefix", w);
    if (!p) bad(w + ".prefix", "is required (the NR's IPv6 /64)");
    if (!p->addr().is_v6()) bad(w + ".prefix", "\"" + p->str() + "\" must be an IPv6 prefix");
    nr.prefix = *p;
    nr.link_local = prefix(r, "link_local", w);
    const json& peers = list(r, "peers", w);
    for (size_t k = 0; k < peers.size(); ++k) {
      std::string pw = w + ".peers[" + std::to_string(k) + "]";
      Peer peer;
      peer.type = static_cast<int>(num(peers[k], "type", pw));
      auto pp = prefix(peers[k], "prefix", pw);
      if (!pp) bad(pw + ".prefix", "is required");
      peer.prefix = *pp;
      if (const json* c = opt(peers[k], "connection")) {
        peer.connection.ip = addr(*c, "ip", pw + ".connection");
        peer.connection.port = port(*c, "port", pw + ".connection");
        peer.connection.key = str(*c, "key", pw + ".connection");
        peer.connection.private_key = str(*c, "private_key", pw + ".connection");
      }
      nr.peers.push_back(peer);
    }
    nr.exit_point = boolish(r, "exit_point", w);
    for (const auto& other : n.resources)
      if (other.node_id.id == nr.node_id.id) bad(w + ".node_id", "\"" + nr.node_id.id + "\" appears twice");
    n.resources.push_back(std::move(nr));
  }
  if (const json* e = opt(j, "exit_point")) n.exit_point = parse_exit(*e);
  return n;
}

const NetResource* Network::resource_of(const std::string& node_id) const {
  for (const auto& r : resources)
    if (r.node_id.id == node_id) return &r;
  return nullptr;
}

const NetResource* Network::exit_resource() const {
  for (const auto& r : resources)
    if (r.exit_point) return &r;
  return nullptr;
}

Network load_network(const NetworkSource& src) {
  if (src.inline_object) return Network::parse(*src.inline_object);
  std::string path = src.file;
  if (path.empty()) {
    if (src.dir.empty())
      throw cni::Error(cni::kInvalidConfig, "no network object: set \"network\", \"networkFile\" or \"networksDir\"");
    if (src.selected_id.empty())
      throw cni::Error(cni::kInvalidConfig, "\"networksDir\" is set, so CNI_ARGS must name the network: ZOS_NETWORK=<network_id>");
    if (!cni::valid_network_name(src.selected_id))
      throw cni::Error(cni::kInvalidEnv, "CNI_ARGS ZOS_NETWORK=\"" + src.selected_id + "\" is not a valid network id");
    path = src.dir + "/" + src.selected_id + ".json";
  }
  auto text = sys::read_file(path);
  if (!text) throw cni::Error(cni::kInvalidConfig, "network object file " + path + " does not exist");
  json j;
  try {
    j = sys::parse_json(*text);
  } catch (const sys::JsonError& e) {
    throw cni::Error(cni::kInvalidConfig, "network object file " + path + " is not valid JSON: " + e.what());
  }
  Network n = Network::parse(j);
  if (!src.selected_id.empty() && n.network_id != src.selected_id)
    throw cni::Error(cni::kInvalidConfig, "network object file " + path + " holds network \"" + n.network_id +
                                              "\", not \"" + src.selected_id + "\"");
  return n;
}

}  // namespace zos::model
