#include "plugins/nr/firewall.h"

namespace zos::nr {

FirewallSpec firewall_spec(const model::Plan& plan, const model::Network& net, const model::NetResource& nr) {
  FirewallSpec s;
  s.router_if = plan.veth;
  s.wg_if = plan.wg;
  if (nr.exit_point) {
    s.pub_if = plan.pub;
    if (net.exit_point) {
      s.masquerade = net.exit_point->ipv4_conf && net.exit_point->ipv4_conf->enable_nat;
      s.dnat = net.exit_point->ipv4_dnat;
      s.ipv6_allow = net.exit_point->ipv6_allow;
    }
  }
  return s;
}

namespace {

bool has_nat(const FirewallSpec& s) { return !s.pub_if.empty() && (s.masquerade || !s.dnat.empty()); }

}  // namespace

std::vector<FirewallTable> firewall_tables(const FirewallSpec& s) {
  std::vector<FirewallTable> out{{kFilterTable, {"input", "forward"}}};
  if (has_nat(s)) out.push_back({kNatTable, {"prerouting", "postrouting"}});
  return out;
}

std::string firewall_script(const FirewallSpec& s) {
  std::string tenant = "{ \"" + s.router_if + "\", \"" + s.wg_if + "\" }";
  std::string out;
  // "add" then "delete" then the full table: replaces it in one transaction
  // whether or not it existed.
  out += "add table " + std::string(kFilterTable) + "\n";
  out += "delete table " + std::string(kFilterTable) + "\n";
  out += "add table " + std::string(kNatTable) + "\n";
  out += "delete table " + std::string(kNatTable) + "\n";
  out += "table " + std::string(kFilterTable) + " {\n";
  out += "  chain input {\n";
  out += "    type filter hook input priority filter; policy drop;\n";
  out += "    ct state established,related accept\n";
  out += "    ct state invalid drop\n";
  out += "    iifname \"lo\" accept\n";
  out += "    iifname " + tenant + " accept\n";
  // Neighbour discovery and path MTU discovery must work on every link.
  out += "    meta l4proto ipv6-icmp accept\n";
  out += "    meta l4proto icmp icmp type { destination-unreachable, time-exceeded } accept\n";
  out += "  }\n";
  out += "  chain forward {\n";
  out += "    type filter hook forward priority filter; policy drop;\n";
  out += "    ct state established,related accept\n";
  out += "    ct state invalid drop\n";
  out += "    iifname " + tenant + " accept\n";
  out += "    meta l4proto ipv6-icmp icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem } accept\n";
  out += "    meta l4proto icmp icmp type { destination-unreachable, time-exceeded } accept\n";
  if (!s.pub_if.empty()) {
    out += "    ct status dnat accept\n";
    for (const auto& a : s.ipv6_allow)
      out += "    iifname \"" + s.pub_if + "\" ip6 daddr " + a.str() + " accept\n";
  }
  out += "  }\n";
  out += "}\n";
  if (has_nat(s)) {
    out += "table " + std::string(kNatTable) + " {\n";
    out += "  chain prerouting {\n";
    out += "    type nat hook prerouting priority dstnat; policy accept;\n";
    for (const auto& d : s.dnat) {
      out += "    iifname \"" + s.pub_if + "\"";
      if (!d.external_ip.empty()) out += " ip daddr " + d.external_ip.str();
      out += " " + d.protocol + " dport " + std::to_string(d.external_port) + " dnat to " + d.internal_ip.str() + ":" +
             std::to_string(d.internal_port) + "\n";
    }
    out += "  }\n";
    out += "  chain postrouting {\n";
    out += "    type nat hook postrouting priority srcnat; policy accept;\n";
    if (s.masquerade) out += "    oifname \"" + s.pub_if + "\" masquerade\n";
    out += "  }\n";
    out += "}\n";
  }
  return out;
}

}  // namespace zos::nr
