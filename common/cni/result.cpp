#include "common/cni/result.h"

#include "common/cni/error.h"
#include "common/cni/version.h"
#include "common/sys/json.h"

namespace zos::cni {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& what) { throw Error(kDecodeFailure, "result: " + what); }

const json* field(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string str_field(const json& j, const char* key, const std::string& where) {
  return sys::string_field(j, key, [&] { bad(where + "." + key + " must be a string"); });
}

std::optional<int> int_field(const json& j, const char* key, const std::string& where) {
  const json* v = field(j, key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) bad(where + "." + key + " must be an integer");
  return v->get<int>();
}

ip::Prefix prefix_field(const json& j, const char* key, const std::string& where) {
  std::string s = str_field(j, key, where);
  auto p = ip::Prefix::parse(s);
  if (!p || s.find('/') == std::string::npos) bad(where + "." + key + " \"" + s + "\" is not an address/length");
  return *p;
}

std::optional<ip::Addr> addr_field(const json& j, const char* key, const std::string& where) {
  std::string s = str_field(j, key, where);
  if (s.empty()) return std::nullopt;
  auto a = ip::Addr::parse(s);
  if (!a) bad(where + "." + key + " \"" + s + "\" is not an IP address");
  return a;
}

std::vector<std::string> str_list(const json& j, const char* key, const std::string& where) {
  std::vector<std::string> out;
  const json* v = field(j, key);
  if (!v) return out;
  if (!v->is_array()) bad(where + "." + key + " must be a list of strings");
  for (const auto& e : *v) {
    if (!e.is_string()) bad(where + "." + key + " must be a list of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

const json& list_field(const json& j, const char* key, const std::string& where) {
  static const json empty = json::array();
  const json* v = field(j, key);
  if (!v) return empty;
  if (!v->is_array()) bad(where + "." + key + " must be a list");
  return *v;
}

Route parse_route(const json& r, const std::string& where) {
  if (!r.is_object()) bad(where + " must be an object");
  Route out;
  out.dst = prefix_field(r, "dst", where);
  out.gw = addr_field(r, "gw", where);
  out.mtu = int_field(r, "mtu", where);
  out.advmss = int_field(r, "advmss", where);
  out.priority = int_field(r, "priority", where);
  out.table = int_field(r, "table", where);
  out.scope = int_field(r, "scope", where);
  return out;
}

json route_json(const Route& r, bool v11) {
  json j = {{"dst", r.dst.str()}};
  if (r.gw) j["gw"] = r.gw->str();
  if (v11) {
    if (r.mtu) j["mtu"] = *r.mtu;
    if (r.advmss) j["advmss"] = *r.advmss;
    if (r.priority) j["priority"] = *r.priority;
    if (r.table) j["table"] = *r.table;
    if (r.scope) j["scope"] = *r.scope;
  }
  return j;
}

// 0.1.0 / 0.2.0: one ip4 and one ip6 block, each with its own routes.
void parse_legacy_ip(const json& j, const char* key, Result& out) {
  const json* b = field(j, key);
  if (!b) return;
  std::string where = key;
  if (!b->is_object()) bad(where + " must be an object");
  IPConfig ipc;
  ipc.address = prefix_field(*b, "ip", where);
  ipc.gateway = addr_field(*b, "gateway", where);
  out.ips.push_back(ipc);
  const json& routes = list_field(*b, "routes", where);
  for (size_t i = 0; i < routes.size(); ++i)
    out.routes.push_back(parse_route(routes[i], where + ".routes[" + std::to_string(i) + "]"));
}

json legacy_ip(const Result& r, int family) {
  for (const auto& ipc : r.ips) {
    if (ipc.address.family() != family) continue;
    json b = {{"ip", ipc.address.str()}};
    if (ipc.gateway) b["gateway"] = ipc.gateway->str();
    json routes = json::array();
    for (const auto& rt : r.routes)
      if (rt.dst.family() == family) routes.push_back(route_json(rt, false));
    if (!routes.empty()) b["routes"] = routes;
    return b;
  }
  return nullptr;
}

void check_version(const std::string& version) {
  if (!is_supported(version))
    throw Error(kIncompatibleVersion, "unsupported CNI version \"" + version + "\"");
}

}  // namespace

DNS DNS::parse(const json& j) {
  DNS d;
  if (j.is_null()) return d;
  if (!j.is_object()) bad("dns must be an object");
  d.nameservers = str_list(j, "nameservers", "dns");
  d.domain = str_field(j, "domain", "dns");
  d.search = str_list(j, "search", "dns");
  d.options = str_list(j, "options", "dns");
  return d;
}

json DNS::to_json() const {
  json j = json::object();
  if (!nameservers.empty()) j["nameservers"] = nameservers;
  if (!domain.empty()) j["domain"] = domain;
  if (!search.empty()) j["search"] = search;
  if (!options.empty()) j["options"] = options;
  return j;
}

Result Result::parse(const json& j, const std::string& version) {
  check_version(version);
  if (!j.is_object()) bad("must be a JSON object");
  Result out;
  if (!at_least(version, "0.3.0")) {
    parse_legacy_ip(j, "ip4", out);
    parse_legacy_ip(j, "ip6", out);
  } else {
    const json& ifs = list_field(j, "interfaces", "result");
    for (size_t i = 0; i < ifs.size(); ++i) {
      std::string where = "interfaces[" + std::to_string(i) + "]";
      if (!ifs[i].is_object()) bad(where + " must be an object");
      Interface itf;
      itf.name = str_field(ifs[i], "name", where);
      itf.mac = str_field(ifs[i], "mac", where);
      itf.sandbox = str_field(ifs[i], "sandbox", where);
      itf.mtu = int_field(ifs[i], "mtu", where);
      itf.socket_path = str_field(ifs[i], "socketPath", where);
      itf.pci_id = str_field(ifs[i], "pciID", where);
      out.interfaces.push_back(itf);
    }
    const json& ips = list_field(j, "ips", "result");
    for (size_t i = 0; i < ips.size(); ++i) {
      std::string where = "ips[" + std::to_string(i) + "]";
      if (!ips[i].is_object()) bad(where + " must be an object");
      IPConfig ipc;
      ipc.address = prefix_field(ips[i], "address", where);
      ipc.gateway = addr_field(ips[i], "gateway", where);
      ipc.interface = int_field(ips[i], "interface", where);
      if (ipc.interface && (*ipc.interface < 0 || *ipc.interface >= static_cast<int>(out.interfaces.size())))
        bad(where + ".interface " + std::to_string(*ipc.interface) + " names no interface");
      out.ips.push_back(ipc);
    }
    const json& routes = list_field(j, "routes", "result");
    for (size_t i = 0; i < routes.size(); ++i)
      out.routes.push_back(parse_route(routes[i], "routes[" + std::to_string(i) + "]"));
  }
  if (const json* d = field(j, "dns")) out.dns = DNS::parse(*d);
  return out;
}

json Result::to_json(const std::string& version) const {
  check_version(version);
  json j = {{"cniVersion", version}};
  if (!at_least(version, "0.3.0")) {
    json v4 = legacy_ip(*this, 4), v6 = legacy_ip(*this, 6);
    if (!v4.is_null()) j["ip4"] = v4;
    if (!v6.is_null()) j["ip6"] = v6;
  } else {
    bool v11 = at_least(version, "1.1.0");
    if (!interfaces.empty()) {
      json ifs = json::array();
      for (const auto& i : interfaces) {
        json o = {{"name", i.name}};
        if (!i.mac.empty()) o["mac"] = i.mac;
        if (!i.sandbox.empty()) o["sandbox"] = i.sandbox;
        if (v11) {
          if (i.mtu) o["mtu"] = *i.mtu;
          if (!i.socket_path.empty()) o["socketPath"] = i.socket_path;
          if (!i.pci_id.empty()) o["pciID"] = i.pci_id;
        }
        ifs.push_back(o);
      }
      j["interfaces"] = ifs;
    }
    if (!ips.empty()) {
      json arr = json::array();
      for (const auto& ipc : ips) {
        json o;
        if (!at_least(version, "1.0.0")) o["version"] = ipc.address.family() == 4 ? "4" : "6";
        o["address"] = ipc.address.str();
        if (ipc.gateway) o["gateway"] = ipc.gateway->str();
        if (ipc.interface) o["interface"] = *ipc.interface;
        arr.push_back(o);
      }
      j["ips"] = arr;
    }
    if (!routes.empty()) {
      json arr = json::array();
      for (const auto& r : routes) arr.push_back(route_json(r, v11));
      j["routes"] = arr;
    }
  }
  if (!dns.empty()) j["dns"] = dns.to_json();
  return j;
}

}  // namespace zos::cni
