#include "plugins/zbus/go_network.h"

#include <algorithm>
#include <map>

#include "common/ip/ip.h"
#include "common/zbus/protocol.h"
#include "common/zbus/value.h"

namespace zos::nr {

using nlohmann::json;
using msgpack::object;

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw zbus::ArgumentError((where.empty() ? std::string("the Network") : where) + ": " + what);
}

std::string join(const std::string& where, const std::string& name) { return where.empty() ? name : where + "." + name; }

// A Go struct as vmihailenco/msgpack writes it: a map keyed by field name.
// nil (a nil pointer) is no struct at all.
class Struct {
 public:
  Struct(const object& o, std::string where) : where_(std::move(where)) {
    if (o.type != msgpack::type::MAP) bad(where_, std::string("is a msgpack ") + zbus::type_name(o) + ", expected a map");
    for (uint32_t i = 0; i < o.via.map.size; ++i) {
      const auto& kv = o.via.map.ptr[i];
      auto key = zbus::text_of(kv.key);
      if (!key) bad(where_, std::string("a key is a msgpack ") + zbus::type_name(kv.key) + ", keys must be strings");
      if (!fields_.emplace(*key, &kv.val).second) bad(where_, "field " + *key + " appears twice");
    }
  }
  // The field, or nullptr when it is absent or nil.
  const object* get(const std::string& name) const {
    auto it = fields_.find(name);
    return it == fields_.end() || it->second->type == msgpack::type::NIL ? nullptr : it->second;
  }
  std::string at(const std::string& name) const { return join(where_, name); }
  bool has(const std::string& name) const { return fields_.count(name) != 0; }

 private:
  std::string where_;
  std::map<std::string, const object*> fields_;
};

std::string want(const object& v, const char* what) {
  return std::string("is a msgpack ") + zbus::type_name(v) + ", expected " + what;
}

void text(const Struct& s, const char* go, json& out, const char* key) {
  const object* v = s.get(go);
  if (!v) return;
  auto t = zbus::text_of(*v);
  if (!t) bad(s.at(go), want(*v, "a string"));
  if (!zbus::valid_utf8(*t)) bad(s.at(go), "is not valid UTF-8");
  out[key] = *t;
}

std::optional<json> integer_of(const object* v, const std::string& where) {
  if (!v) return std::nullopt;
  if (v->type == msgpack::type::POSITIVE_INTEGER) return json(v->via.u64);
  if (v->type == msgpack::type::NEGATIVE_INTEGER) return json(v->via.i64);
  bad(where, want(*v, "an integer"));
}

void integer(const Struct& s, const char* go, json& out, const char* key) {
  if (auto n = integer_of(s.get(go), s.at(go))) out[key] = *n;
}

// bool, or an integer, kept as it is (NetResource.ExitPoint is an int in
// 0-OS: the exit node number, from which the exit's IPv6 may be derived).
void boolean(const Struct& s, const char* go, json& out, const char* key) {
  const object* v = s.get(go);
  if (!v) return;
  if (v->type == msgpack::type::BOOLEAN) out[key] = v->via.boolean;
  else out[key] = *integer_of(v, s.at(go));
}

// net.IP: v4 (zbus' encoder) writes its bytes, a bin of 4 or 16; v5 calls
// MarshalText and writes the text, also as a bin ("10.40.0.1"). A bin is
// text when it reads as an IP address, except a 4-byte one, which is always
// an IPv4 address (no IPv4 text is 4 characters long; "::1a" is, and so is
// the raw 58.58.49.97). A str is text. nil or empty is no address.
// IPv4-mapped 16-byte addresses (net.ParseIP's IPv4) are IPv4.
std::optional<ip::Addr> ip_of(const object* v, const std::string& where) {
  if (!v) return std::nullopt;
  if (v->type != msgpack::type::BIN && v->type != msgpack::type::STR)
    bad(where, want(*v, "an IP (bin of 4 or 16 bytes, or its text)"));
  std::string_view t = v->type == msgpack::type::STR ? std::string_view(v->via.str.ptr, v->via.str.size)
                                                     : std::string_view(v->via.bin.ptr, v->via.bin.size);
  if (t.empty()) return std::nullopt;
  if (v->type == msgpack::type::STR || t.size() != 4) {
    if (auto a = ip::Addr::parse(t)) return a;
    if (v->type == msgpack::type::STR || t.size() != 16) {
      bool printable = std::all_of(t.begin(), t.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
      bad(where, printable ? "\"" + std::string(t) + "\" is not an IP address"
                           : "is " + std::to_string(t.size()) + " bytes, an IP is 4 or 16");
    }
  }
  const auto* b = reinterpret_cast<const uint8_t*>(t.data());
  auto n = static_cast<uint32_t>(t.size());
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (n == 16 && std::equal(mapped, mapped + 12, b)) b += 12, n = 4;
  if (n == 4) return ip::Addr::v4((uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3]);
  if (n != 16) bad(where, "is " + std::to_string(n) + " bytes, an IP is 4 or 16");
  std::array<uint8_t, 16> a{};
  std::copy(b, b + 16, a.begin());
  return ip::Addr::v6(a);
}

void ip(const Struct& s, const char* go, json& out, const char* key) {
  if (auto a = ip_of(s.get(go), s.at(go))) out[key] = a->str();
}

std::string hex(const uint8_t* b, uint32_t n) {
  static const char* digits = "0123456789abcdef";
  std::string h;
  for (uint32_t i = 0; i < n; ++i) h += digits[b[i] >> 4], h += digits[b[i] & 15];
  return h;
}

// *net.IPNet: {IP, Mask} with Mask a bin of 4 or 16 bytes; "addr/len".
void ipnet(const Struct& parent, const char* go, json& out, const char* key) {
  const object* v = parent.get(go);
  if (!v) return;
  Struct s(*v, parent.at(go));
  auto addr = ip_of(s.get("IP"), s.at("IP"));
  if (!addr) bad(s.at("IP"), "is missing");
  const object* m = s.get("Mask");
  if (!m) bad(s.at("Mask"), "is missing");
  if (m->type != msgpack::type::BIN) bad(s.at("Mask"), want(*m, "a bin of 4 or 16 bytes"));
  const auto* b = reinterpret_cast<const uint8_t*>(m->via.bin.ptr);
  uint32_t n = m->via.bin.size;
  if (n != 4 && n != 16) bad(s.at("Mask"), "is " + std::to_string(n) + " bytes, a mask is 4 or 16");
  // As Go's IPNet.String: a 16-byte mask on an IPv4 address is its last 4 bytes.
  if (addr->is_v4() && n == 16) b += 12, n = 4;
  if (addr->is_v6() && n == 4) bad(s.at("Mask"), "is 4 bytes on the IPv6 address " + addr->str());
  int len = 0;
  bool ended = false;
  for (uint32_t i = 0; i < n; ++i)
    for (int bit = 7; bit >= 0; --bit) {
      bool set = b[i] & (1 << bit);
      if (set && ended) bad(s.at("Mask"), hex(b, n) + " is not a contiguous mask");
      if (set) ++len;
      else ended = true;
    }
  out[key] = addr->str() + "/" + std::to_string(len);
}

// Calls f(element, path) for each element of an array field (nil: none).
template <typename F>
void each(const Struct& s, const char* go, F f) {
  const object* v = s.get(go);
  if (!v) return;
  if (v->type != msgpack::type::ARRAY) bad(s.at(go), want(*v, "an array"));
  for (uint32_t i = 0; i < v->via.array.size; ++i) f(v->via.array.ptr[i], s.at(go) + "[" + std::to_string(i) + "]");
}

// ReachabilityV4: Hidden 0, Public 1; ReachabilityV6: ULA 0, Public 1.
void reachability(const Struct& s, const char* go, json& out, const char* key, const char* zero) {
  auto n = integer_of(s.get(go), s.at(go));
  if (!n) return;
  if (*n == json(0)) out[key] = zero;
  else if (*n == json(1)) out[key] = "public";
  else bad(s.at(go), "is " + n->dump() + ", expected 0 (" + zero + ") or 1 (public)");
}

json node_id(const object& o, const std::string& where) {
  Struct s(o, where);
  json j = json::object();
  text(s, "ID", j, "id");
  text(s, "FarmerID", j, "farmer_id");
  reachability(s, "ReachabilityV4", j, "reachability_v4", "hidden");
  reachability(s, "ReachabilityV6", j, "reachability_v6", "ula");
  return j;
}

json peer(const object& o, const std::string& where) {
  Struct s(o, where);
  json j = json::object();
  integer(s, "Type", j, "type");
  ipnet(s, "Prefix", j, "prefix");
  if (const object* c = s.get("Connection")) {
    Struct cs(*c, s.at("Connection"));
    json conn = json::object();
    ip(cs, "IP", conn, "ip");
    integer(cs, "Port", conn, "port");
    text(cs, "Key", conn, "key");
    text(cs, "PrivateKey", conn, "private_key");
    j["connection"] = conn;
  }
  return j;
}

json resource(const object& o, const std::string& where) {
  Struct s(o, where);
  json j = json::object();
  if (const object* n = s.get("NodeID")) j["node_id"] = node_id(*n, s.at("NodeID"));
  ipnet(s, "Prefix", j, "prefix");
  ipnet(s, "LinkLocal", j, "link_local");
  json peers = json::array();
  each(s, "Peers", [&](const object& p, const std::string& w) { peers.push_back(peer(p, w)); });
  j["peers"] = peers;
  boolean(s, "ExitPoint", j, "exit_point");
  return j;
}

json exit_point(const object& o, const std::string& where) {
  Struct s(o, where);
  json j = json::object();
  if (const object* c = s.get("Ipv4Conf")) {
    Struct cs(*c, s.at("Ipv4Conf"));
    json v = json::object();
    ipnet(cs, "CIDR", v, "cidr");
    ip(cs, "Gateway", v, "gateway");
    integer(cs, "Metric", v, "metric");
    text(cs, "Iface", v, "iface");
    boolean(cs, "EnableNAT", v, "enable_nat");
    j["ipv4_conf"] = v;
  }
  json dnat = json::array();
  each(s, "Ipv4DNAT", [&](const object& d, const std::string& w) {
    Struct ds(d, w);
    json v = json::object();
    ip(ds, "InternalIP", v, "internal_ip");
    integer(ds, "InternalPort", v, "internal_port");
    ip(ds, "ExternalIP", v, "external_ip");
    integer(ds, "ExternalPort", v, "external_port");
    text(ds, "Protocol", v, "protocol");
    dnat.push_back(v);
  });
  j["ipv4_dnat"] = dnat;
  if (const object* c = s.get("Ipv6Conf")) {
    Struct cs(*c, s.at("Ipv6Conf"));
    json v = json::object();
    ipnet(cs, "Addr", v, "addr");
    ip(cs, "Gateway", v, "gateway");
    integer(cs, "Metric", v, "metric");
    text(cs, "Iface", v, "iface");
    j["ipv6_conf"] = v;
  }
  json allow = json::array();
  each(s, "Ipv6Allow", [&](const object& a, const std::string& w) {
    auto addr = ip_of(&a, w);
    if (!addr) bad(w, "is empty");
    allow.push_back(addr->str());
  });
  j["ipv6_allow"] = allow;
  return j;
}

}  // namespace

bool is_go_network(const object& o) {
  if (o.type != msgpack::type::MAP) return false;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    auto key = zbus::text_of(o.via.map.ptr[i].key);
    if (key && (*key == "NetID" || *key == "Resources" || *key == "Exit" || *key == "AllocationNR")) return true;
  }
  return false;
}

json go_network_json(const object& o) {
  Struct s(o, "");
  json j = json::object();
  text(s, "NetID", j, "network_id");
  integer(s, "Version", j, "version");
  integer(s, "AllocationNR", j, "allocation_nr");
  ipnet(s, "PrefixZero", j, "PrefixZero");
  json res = json::array();
  each(s, "Resources", [&](const object& r, const std::string& w) {
    if (r.type == msgpack::type::NIL) bad(w, "is nil");
    res.push_back(resource(r, w));
  });
  j["resources"] = res;
  if (const object* e = s.get("Exit")) j["exit_point"] = exit_point(*e, s.at("Exit"));
  return j;
}

}  // namespace zos::nr
