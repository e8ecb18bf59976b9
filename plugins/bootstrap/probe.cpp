#include "plugins/bootstrap/probe.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/net/sysctl.h"
#include "common/net/vlan.h"
#include "plugins/bootstrap/dhcp6.h"

namespace zos::bootstrap {

using Clock = std::chrono::steady_clock;

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
  return s;
}

// The NIC's VLAN link, made (or an earlier run's reused) with IPv6 off: the
// bridge does IPv6.
nl::LinkInfo make_vlan(nl::Socket& s, const nl::LinkInfo& nic, int vlan, std::vector<std::string>& made) {
  const std::string name = vlan_link_name(nic.name, vlan);
  if (nl::create_vlan(s, name, nic.index, vlan)) made.push_back(name);
  auto info = nl::get_link(s, name);
  auto v = info ? nl::vlan_info(s, info->index) : std::nullopt;
  if (!v || v->id != vlan || v->parent != nic.index)
    throw ConfigError("link " + name + " exists and is not VLAN " + std::to_string(vlan) + " on " + nic.name);
  set_sysctl_if_exists("net/ipv6/conf/" + name + "/disable_ipv6", "1");
  nl::set_up(s, info->index);
  return *info;
}

// What IPv6 lacked, for the reason of a refused NIC.
std::string why6(const RaFlags& ra, const Lease& l, const std::optional<ProbeResult>& p6, const Prober& p) {
  const bool answered = p6 && p6->lease;
  if (!ra.received)
    return "no IPv6 router advertisement within " + std::to_string(p.cfg.ra_timeout) + "s" +
           (answered ? " (a DHCPv6 server answered, but without one there is no IPv6 default route)" : "");
  if (!l.gw6) return "IPv6 router advertisement without a default route";
  if (!ra.managed) return "IPv6 router advertisement without a prefix for SLAAC";
  if (!p.dhcpcd) return "IPv6 router advertisement asks for DHCPv6, and there is no DHCPv6 client (dhcpcd)";
  return answered ? "DHCPv6 answered, but no usable address (" + l.describe() + ")" : "no DHCPv6 reply";
}

void forget(std::vector<std::string>& made, const std::string& name) {
  made.erase(std::remove(made.begin(), made.end(), name), made.end());
}

}  // namespace

void set_sysctl_if_exists(const std::string& key, const std::string& v) {
  if (auto cur = nl::sysctl_get_if_exists(key); cur && *cur != v) nl::sysctl_set(key, v);
}

std::string vlan_link_name(const std::string& nic, int vlan) {
  std::string n = nic + "." + std::to_string(vlan);
  if (n.size() > 15) throw ConfigError("VLAN link name " + n + " is longer than 15 characters");
  return n;
}

std::optional<Won> try_nic(nl::Socket& s, int br, const nl::LinkInfo& nic, const Prober& p, std::string& why,
                           std::vector<std::string>& made) {
  auto vlan = p.cfg.vlans.find(nic.name);
  const nl::LinkInfo port = vlan == p.cfg.vlans.end() ? nic : make_vlan(s, nic, vlan->second, made);
  nl::set_down(s, br);  // drops the IPv6 state of a previous attempt
  // ... and a previous attempt's dhcpcd turned off link-local addresses.
  set_sysctl_if_exists("net/ipv6/conf/" + p.cfg.bridge + "/addr_gen_mode", "0");
  nl::set_mac(s, br, nic.mac);
  nl::set_master(s, port.index, br);
  nl::set_up(s, br);
  const auto start = Clock::now();
  auto pr = probe(p.client, p.cfg.bridge, p.script, p.cfg.dhcp_tries, p.cfg.dhcp_interval);
  Lease l = read_lease(s, br);
  std::optional<ProbeResult> p6;  // DHCPv6, when it was asked
  // When the RA asks for DHCPv6 a server is expected: dhcpcd waits for the
  // link-local address and retransmits, so it gets 15 s at least (it leaves
  // once bound). Without an RA the question is only for the reason: short.
  const int tries_s = p.cfg.dhcp_tries * p.cfg.dhcp_interval;
  auto ask6 = [&](int timeout_s) {
    p6 = probe6(*p.dhcpcd, p.cfg.bridge, p.dhcpcd_conf, timeout_s);
    l = read_lease(s, br);
  };
  if (!l.v4()) {
    // SLAAC, or DHCPv6 when the RA says "managed"; its address needs a few
    // seconds of duplicate detection after the reply.
    auto deadline = start + std::chrono::seconds(p.cfg.ra_timeout);
    while (!l.v6() && Clock::now() < deadline) {
      if (p.dhcpcd && !p6 && read_ra(s, br).managed) {
        ask6(std::max(15, tries_s));
        deadline = std::max(deadline, Clock::now() + std::chrono::seconds(3));
        continue;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      l = read_lease(s, br);
    }
    if (!l.v6() && p.dhcpcd && !p6) {
      // An RA that asks for DHCPv6 and came as the wait ended is asked
      // still (the wait counts from before DHCPv4's probe). No RA at all: a
      // DHCPv6 server may still answer (the reason says so).
      const auto ra = read_ra(s, br);
      if (ra.managed) ask6(std::max(15, tries_s));
      else if (!ra.received) ask6(std::max(5, tries_s));
    }
  }
  if (l.ok()) return Won{l, p6 && p6->lease, port.name};

  if (!pr.notes.empty()) why = "DHCPv4 lease refused (" + join(pr.notes) + ")";
  else if (!pr.lease) why = "no DHCPv4 lease";
  else why = l.ipv4.empty() ? "DHCPv4 lease not applied" : "DHCPv4 lease without a router";
  why += "; " + why6(read_ra(s, br), l, p6, p);
  nl::set_nomaster(s, port.index);
  flush_ipv4(s, br);
  nl::set_down(s, br);
  if (port.index != nic.index && std::find(made.begin(), made.end(), port.name) != made.end()) {
    nl::delete_link(s, port.name);
    forget(made, port.name);
  }
  return std::nullopt;
}

std::string method(const Lease& l, bool dhcp6) {
  std::string m = l.v4() ? "dhcp4" : "";
  if (l.v6()) m += std::string(m.empty() ? "" : "+") + (dhcp6 ? "dhcp6" : "slaac");
  return m;
}

}  // namespace zos::bootstrap
