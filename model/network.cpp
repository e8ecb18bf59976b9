#include "model/network.h"

#include <algorithm>
#include <unordered_set>

#include "common/cni/env.h"
#include "common/cni/error.h"
#include "common/sys/file.h"
#include "common/sys/json.h"
#include "model/fields.h"

namespace zos::model {

using nlohmann::json;

namespace {

using field::bad;

// "public"/"hidden" (and "ula" for IPv6), as 0-OS's NodeID decoder, or its
// integer enums (ReachabilityV4 Hidden 0 / Public 1, ReachabilityV6 ULA 0 /
// Public 1, modules/network.go), which its msgpack form carries. Absent or
// "": hidden, the Go zero value.
bool reach(const json& j, const char* key, const std::string& where) {
  const json* v = field::get(j, key, where);
  if (!v) return false;
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    if (s == "public") return true;
    if (s == "hidden" || s == "ula" || s.empty()) return false;
    bad(field::at(where, key), "must be \"public\" or \"hidden\" (\"" + s + "\" is neither)");
  }
  if (v->is_number_integer() && (v->get<int64_t>() == 0 || v->get<int64_t>() == 1)) return v->get<int64_t>() == 1;
  bad(field::at(where, key), "must be \"public\", \"hidden\", 0 (hidden) or 1 (public)");
}

// "wireguard" as 0-OS's Peer encoder writes it, or the ConnType integer
// (0 = wireguard) of its msgpack form; absent: wireguard.
int peer_type(const json& j, const std::string& where) {
  const json* v = field::get(j, "type", where);
  if (!v) return 0;
  if (v->is_string()) {
    if (v->get_ref<const std::string&>() == "wireguard") return 0;
    bad(where + ".type", "\"" + v->get<std::string>() + "\" is not a supported peer type (\"wireguard\")");
  }
  return static_cast<int>(field::num(j, "type", where));
}

NodeId parse_node(const json& r, const std::string& w) {
  NodeId id;
  const json* node = field::get(r, "node_id", w);
  if (!node) bad(w + ".node_id", "is required");
  if (node->is_string()) {
    id.id = node->get<std::string>();
    return id;
  }
  std::string nw = w + ".node_id";
  id.id = field::str(*node, "id", nw, true);
  id.farmer_id = field::str(*node, "farmer_id", nw);
  id.public_v4 = reach(*node, "reachability_v4", nw);
  id.public_v6 = reach(*node, "reachability_v6", nw);
  return id;
}

Peer parse_peer(const json& j, const std::string& pw) {
  Peer peer;
  peer.type = peer_type(j, pw);
  auto pp = field::prefix(j, "prefix", pw);
  if (!pp) bad(pw + ".prefix", "is required");
  peer.prefix = *pp;
  // 0-OS writes "Connection" (an untagged field): field::get finds both.
  if (const json* c = field::get(j, "connection", pw)) {
    std::string cw = pw + ".connection";
    peer.connection.ip = field::addr(*c, "ip", cw);
    peer.connection.port = field::port(*c, "port", cw);
    peer.connection.key = field::str(*c, "key", cw);
    peer.connection.private_key = field::str(*c, "private_key", cw);
  }
  return peer;
}

}  // namespace

Network Network::parse(const json& j) {
  Network n = parse_fields(j);
  n.raw = j;
  return n;
}

Network Network::parse(json&& j) {
  Network n = parse_fields(j);
  n.raw = std::move(j);  // a 1000-peer object: no copy of its ~20,000 values
  return n;
}

Network Network::parse_fields(const json& j) {
  if (!j.is_object()) bad("", "must be a JSON object");
  Network n;
  n.network_id = field::str(j, "network_id", "", true);
  if (!cni::valid_network_name(n.network_id)) bad("network_id", "\"" + n.network_id + "\" must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
  n.version = field::num(j, "version", "");
  uint64_t alloc = field::num(j, "allocation_nr", "");
  if (alloc > 99) bad("allocation_nr", "must be 0 to 99");
  n.allocation_nr = static_cast<int>(alloc);
  // "prefix_zero" (0-OS's encoder), "PrefixZero" (its untagged field before).
  n.prefix_zero = field::get(j, "prefix_zero", "") ? field::prefix(j, "prefix_zero", "") : field::prefix(j, "PrefixZero", "");
  const json& res = field::list(j, "resources", "");
  std::unordered_set<std::string> node_ids;
  for (size_t i = 0; i < res.size(); ++i) {
    std::string w = "resources[" + std::to_string(i) + "]";
    const json& r = res[i];
    if (!r.is_object()) bad(w, "must be an object");
    NetResource nr;
    nr.node_id = parse_node(r, w);
    auto p = field::prefix(r, "prefix", w);
    if (!p) bad(w + ".prefix", "is required (the NR's IPv6 /64)");
    if (!p->addr().is_v6()) bad(w + ".prefix", "\"" + p->str() + "\" must be an IPv6 prefix");
    nr.prefix = *p;
    nr.link_local = field::prefix(r, "link_local", w);
    const json& peers = field::list(r, "peers", w);
    for (size_t k = 0; k < peers.size(); ++k) nr.peers.push_back(parse_peer(peers[k], w + ".peers[" + std::to_string(k) + "]"));
    nr.exit_point = field::boolish(r, "exit_point", w);
    if (const json* e = field::get(r, "exit_point", w); e && e->is_number_integer())
      nr.exit_nr = static_cast<int>(std::clamp<int64_t>(e->get<int64_t>(), 0, 255));
    if (!node_ids.insert(nr.node_id.id).second) bad(w + ".node_id", "\"" + nr.node_id.id + "\" appears twice");
    n.resources.push_back(std::move(nr));
  }
  if (const json* e = field::get(j, "exit_point", "")) n.exit_point = parse_exit(*e);
  derive_exit_v6(n);
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
  Network n = Network::parse(std::move(j));
  if (!src.selected_id.empty() && n.network_id != src.selected_id)
    throw cni::Error(cni::kInvalidConfig, "network object file " + path + " holds network \"" + n.network_id +
                                              "\", not \"" + src.selected_id + "\"");
  return n;
}

}  // namespace zos::model
