#include "plugins/bootstrap/config.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "common/sys/file.h"
#include "common/sys/json.h"

namespace zos::bootstrap {

using nlohmann::json;

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep))
    if (!cur.empty()) out.push_back(cur);
  return out;
}

void check_name(const std::string& n, const std::string& where) {
  // The JSON status names them too, so their bytes must be UTF-8.
  if (n.empty() || n.size() > 15 || n.find_first_of("/ \t\n:") != std::string::npos || n == "." || n == ".." ||
      !sys::valid_utf8(n))
    throw ConfigError(where + ": '" + sys::sanitize_utf8(n) + "' is not an interface name");
}

std::string name_value(const json& v, const std::string& where) {
  if (!v.is_string()) throw ConfigError(where + " must be a list of interface names");
  check_name(v.get<std::string>(), where);
  return v.get<std::string>();
}

std::vector<std::string> names(const json& j, const std::string& where) {
  if (!j.is_array()) throw ConfigError(where + " must be a list of interface names");
  std::vector<std::string> out;
  for (const auto& v : j) out.push_back(name_value(v, where));
  return out;
}

int seconds(const json& o, const char* key, int def, const std::string& where) {
  if (!o.contains(key)) return def;
  const auto& v = o[key];
  if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 600)
    throw ConfigError(where + "." + key + " must be a whole number of seconds (0-600)");
  return v.get<int>();
}

std::string str(const json& o, const char* key, const std::string& def, const std::string& where) {
  return sys::string_field(o, key, [&] { throw ConfigError(where + "." + key + " must be a string"); }, def);
}

void only_keys(const json& o, std::initializer_list<const char*> keys, const std::string& where) {
  for (auto it = o.begin(); it != o.end(); ++it) {
    bool ok = false;
    for (const char* k : keys) ok = ok || it.key() == k;
    if (!ok) throw ConfigError(where + ": unknown key '" + it.key() + "'");
  }
}

// The allow list: names, or {"name": NIC, "vlan": id} for a tagged uplink.
void parse_allow(const json& j, const std::string& where, UplinkConfig& c) {
  if (!j.is_array()) throw ConfigError(where + " must be a list of interface names");
  for (const auto& v : j) {
    if (!v.is_object()) {
      c.allow.push_back(name_value(v, where));
      continue;
    }
    only_keys(v, {"name", "vlan"}, where);
    const std::string n = name_value(v.value("name", json()), where);
    if (!v.contains("vlan") || !v["vlan"].is_number_integer() || v["vlan"].get<long long>() < 1 ||
        v["vlan"].get<long long>() > 4094)
      throw ConfigError(where + ": '" + n + "' needs a \"vlan\" id (1-4094)");
    c.allow.push_back(n);
    c.vlans[n] = v["vlan"].get<int>();
  }
}

UplinkConfig parse_uplink(const json& o, const std::string& w) {
  if (!o.is_object()) throw ConfigError(w + " must be an object");
  only_keys(o, {"allow", "deny", "bridge", "carrier_timeout", "dhcp_tries", "dhcp_interval", "ra_timeout",
                "dhcp_client", "dhcp6_client"}, w);
  UplinkConfig c;
  if (o.contains("allow")) parse_allow(o["allow"], w + ".allow", c);
  if (o.contains("deny")) c.deny = names(o["deny"], w + ".deny");
  c.bridge = str(o, "bridge", c.bridge, w);
  check_name(c.bridge, w + ".bridge");
  c.carrier_timeout = seconds(o, "carrier_timeout", c.carrier_timeout, w);
  c.dhcp_tries = seconds(o, "dhcp_tries", c.dhcp_tries, w);
  c.dhcp_interval = seconds(o, "dhcp_interval", c.dhcp_interval, w);
  c.ra_timeout = seconds(o, "ra_timeout", c.ra_timeout, w);
  if (c.dhcp_tries < 1 || c.dhcp_interval < 1) throw ConfigError(w + ": dhcp_tries and dhcp_interval must be >= 1");
  c.dhcp_client = str(o, "dhcp_client", "", w);
  c.dhcp6_client = str(o, "dhcp6_client", "", w);
  return c;
}

PublicConfig parse_public(const json& o, const std::string& w) {
  if (!o.is_object()) throw ConfigError(w + " must be an object");
  only_keys(o, {"type", "master", "mac", "ipv4", "gw4", "ipv6", "gw6", "host_link"}, w);
  PublicConfig p;
  p.type = str(o, "type", p.type, w);
  if (p.type != "macvlan" && p.type != "veth") throw ConfigError(w + ".type must be \"macvlan\" or \"veth\"");
  p.master = str(o, "master", p.type == "veth" ? "zos" : "", w);
  if (p.master.empty()) throw ConfigError(w + ".master: a macvlan needs the NIC it sits on");
  check_name(p.master, w + ".master");
  p.host_link = str(o, "host_link", p.host_link, w);
  check_name(p.host_link, w + ".host_link");
  p.mac = str(o, "mac", "", w);
  p.ipv4 = str(o, "ipv4", "", w);
  p.gw4 = str(o, "gw4", "", w);
  p.ipv6 = str(o, "ipv6", "", w);
  p.gw6 = str(o, "gw6", "", w);
  if (p.ipv4.empty() && p.ipv6.empty()) throw ConfigError(w + " needs ipv4 or ipv6 (or both)");
  if (!p.gw4.empty() && p.ipv4.empty()) throw ConfigError(w + ".gw4 given without ipv4");
  if (!p.gw6.empty() && p.ipv6.empty()) throw ConfigError(w + ".gw6 given without ipv6");
  return p;
}

}  // namespace

ConfigFile parse_config(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = sys::parse_json(text);
  } catch (const sys::JsonError& e) {
    throw ConfigError("config " + origin + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw ConfigError("config " + origin + " must be a JSON object");
  only_keys(j, {"uplink", "public"}, "config " + origin);
  ConfigFile c;
  if (j.contains("uplink")) c.uplink = parse_uplink(j["uplink"], "config " + origin + ": uplink");
  if (j.contains("public")) c.pub = parse_public(j["public"], "config " + origin + ": public");
  return c;
}

ConfigFile load_config(const std::string& path, bool required) {
  auto text = sys::read_file(path);
  if (!text) {
    if (required) throw ConfigError("config " + path + " does not exist");
    return {};
  }
  return parse_config(*text, path);
}

CmdlineLists parse_cmdline(const std::string& text) {
  CmdlineLists cl;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    std::string key = word.substr(0, eq), val = word.substr(eq + 1);
    if (key != "zos.uplink.allow" && key != "zos.uplink.deny") continue;
    auto list = split(val, ',');
    for (const auto& n : list) check_name(n, "kernel command line " + key);
    if (key == "zos.uplink.allow") cl.allow = list;
    else cl.deny.insert(cl.deny.end(), list.begin(), list.end());
  }
  return cl;
}

UplinkConfig merge(UplinkConfig c, const CmdlineLists& cl) {
  if (cl.allow) c.allow = *cl.allow;
  c.deny.insert(c.deny.end(), cl.deny.begin(), cl.deny.end());
  return c;
}

}  // namespace zos::bootstrap
