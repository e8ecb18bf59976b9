#include "plugins/bootstrap/status.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>

#include "common/net/addr.h"
#include "common/net/link.h"
#include "common/net/route.h"
#include "common/sys/file.h"
#include "common/sys/netns.h"
#include "plugins/bootstrap/lease.h"
#include "plugins/bootstrap/nics.h"
#include "plugins/bootstrap/public.h"
#include "plugins/bootstrap/state.h"
#include "plugins/bootstrap/uplink.h"

namespace zos::bootstrap {

using nlohmann::json;

namespace {

json uplink_status(nl::Socket& s, const Store& st, const StatusOptions& o) {
  auto rec = st.read("uplink.json");
  const std::string bridge = rec ? rec->value("bridge", "zos") : "zos";
  json j = {{"bridge", bridge}, {"recorded", rec ? *rec : json(nullptr)}};
  json problems = json::array();
  auto br = nl::get_link(s, bridge);
  if (!br) {
    j["exists"] = false;
    if (rec) problems.push_back("bridge " + bridge + " does not exist");
    j["state"] = rec ? "degraded" : "absent";
    j["problems"] = problems;
    return j;
  }
  j["exists"] = true;
  j["up"] = br->up;
  json ports = json::array();
  // The bridge's port: the NIC, or its VLAN link (recorded since VLANs).
  const std::string port = rec ? rec->value("port", rec->value("nic", "")) : "";
  bool nic_attached = false;
  for (const auto& l : nl::list_links(s)) {
    if (l.master != br->index) continue;
    bool carrier = has_carrier(s, l.index);
    ports.push_back({{"name", l.name}, {"mac", l.mac}, {"carrier", carrier}});
    if (rec && l.name == port) {
      nic_attached = true;
      if (!carrier) problems.push_back("NIC " + l.name + " has no carrier");
    }
  }
  j["ports"] = ports;
  Lease lease = read_lease(s, br->index);
  j["lease"] = lease.to_json();
  if (!br->up) problems.push_back("bridge " + bridge + " is down");
  if (!lease.ok()) problems.push_back("no address with a default route on " + bridge);
  if (rec) {
    if (!nic_attached) problems.push_back("recorded NIC " + port + " is not a port of " + bridge);
    const std::string svc = rec->value("service", service_path(o.zinit_dir, bridge));
    if (!sys::read_file(svc)) problems.push_back("service file " + svc + " is missing");
    const std::string svc6 = rec->value("service6", "");  // DHCPv6's, when it gave the address
    if (!svc6.empty() && !sys::read_file(svc6)) problems.push_back("service file " + svc6 + " is missing");
  } else {
    problems.push_back("nothing recorded: " + bridge + " was not set up by zos-bootstrap uplink");
  }
  j["problems"] = problems;
  j["state"] = problems.empty() ? "ok" : "degraded";
  return j;
}

json public_status(const Store& st, const std::string& name) {
  auto rec = st.read("public-" + name + ".json");
  json j = {{"netns", name}, {"recorded", rec ? *rec : json(nullptr)}};
  json problems = json::array();
  if (!sys::netns_exists(name)) {
    j["exists"] = false;
    if (rec) problems.push_back("namespace " + name + " does not exist");
    j["problems"] = problems;
    j["state"] = rec ? "degraded" : "absent";
    return j;
  }
  j["exists"] = true;
  auto fd = sys::open_netns(name);
  sys::in_netns(fd.get(), [&] {
    nl::Socket ps;
    auto l = nl::get_link(ps, kPublicLink);
    if (!l) {
      problems.push_back(std::string("link ") + kPublicLink + " is missing");
      return;
    }
    std::vector<nl::AddrInfo> global;
    json addrs = json::array();
    for (auto& a : nl::list_addrs(ps, l->index))
      if (a.scope == RT_SCOPE_UNIVERSE) addrs.push_back(a.prefix.str()), global.push_back(std::move(a));
    Lease gw = read_lease(ps, l->index);
    j["link"] = {{"name", l->name}, {"kind", l->kind}, {"mac", l->mac}, {"up", l->up}};
    j["addresses"] = addrs;
    j["gateway4"] = gateway_json(gw.gw4);
    j["gateway6"] = gateway_json(gw.gw6);
    if (!l->up) problems.push_back(std::string("link ") + kPublicLink + " is down");
    if (!rec) return;
    // The record holds the config's text, in the form the operator wrote
    // ("2001:db8:0::10/64" is the kernel's "2001:db8::10/64"): typed here,
    // compared as addresses. A text that is no address is on no link.
    for (const char* k : {"ipv4", "ipv6"}) {
      std::string want = rec->value(k, "");
      auto p = ip::Prefix::parse(want);
      if (!want.empty() && !(p && nl::has_addr(global, *p)))
        problems.push_back(std::string(k) + " " + want + " is missing");
    }
    auto gw_check = [&](const char* k, const std::optional<ip::Addr>& now) {
      std::string want = rec->value(k, "");
      auto w = ip::Addr::parse(want);
      if (!want.empty() && (!w || now != w))
        problems.push_back(std::string(k) + " is " + (now ? now->str() : "none") + ", recorded " + want);
    };
    gw_check("gw4", gw.gw4);
    gw_check("gw6", gw.gw6);
  });
  if (!rec) problems.push_back("nothing recorded: not set up by zos-bootstrap public");
  j["problems"] = problems;
  j["state"] = problems.empty() ? "ok" : "degraded";
  return j;
}

}  // namespace

Status status(const StatusOptions& o) {
  Store st(o.data_dir);
  nl::Socket s;
  Status out;
  out.uplink = uplink_status(s, st, o);
  out.pub = json::array();
  auto names = st.public_names();
  if (std::find(names.begin(), names.end(), "public") == names.end() && sys::netns_exists("public"))
    names.push_back("public");
  for (const auto& n : names) out.pub.push_back(public_status(st, n));
  return out;
}

bool Status::ok() const {
  if (uplink.value("state", "") == "degraded") return false;
  for (const auto& p : pub)
    if (p.value("state", "") == "degraded") return false;
  return true;
}

json Status::to_json() const { return {{"uplink", uplink}, {"public", pub}, {"ok", ok()}}; }

std::string Status::human() const {
  std::string out = "uplink: " + uplink.value("state", "?");
  if (uplink.value("exists", false)) {
    out += " (bridge " + uplink.value("bridge", "") + ", ports:";
    for (const auto& p : uplink["ports"]) out += " " + p.value("name", "");
    out += ")";
    const auto& l = uplink["lease"];
    for (const auto& a : l["ipv4"]) out += "\n  ipv4 " + a.get<std::string>();
    if (l["gateway4"].is_string()) out += "\n  gw4 " + l["gateway4"].get<std::string>();
    for (const auto& a : l["ipv6"]) out += "\n  ipv6 " + a.get<std::string>();
    if (l["gateway6"].is_string()) out += "\n  gw6 " + l["gateway6"].get<std::string>();
  }
  out += "\n";
  for (const auto& p : uplink["problems"]) out += "  ! " + p.get<std::string>() + "\n";
  if (pub.empty()) out += "public: absent\n";
  for (const auto& p : pub) {
    out += "public " + p.value("netns", "") + ": " + p.value("state", "?") + "\n";
    if (p.contains("addresses"))
      for (const auto& a : p["addresses"]) out += "  address " + a.get<std::string>() + "\n";
    for (const char* g : {"gateway4", "gateway6"})
      if (p.contains(g) && p[g].is_string()) out += std::string("  ") + g + " " + p[g].get<std::string>() + "\n";
    for (const auto& x : p["problems"]) out += "  ! " + x.get<std::string>() + "\n";
  }
  return out;
}

}  // namespace zos::bootstrap
