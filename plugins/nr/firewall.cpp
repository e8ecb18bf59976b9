#include "plugins/nr/firewall.h"

#include <algorithm>
#include <unordered_set>

#include "common/crypto/sealed.h"
#include "common/net/nfnl.h"

namespace zos::nr {

FirewallSpec firewall_spec(const model::Plan& plan, const model::Network& net, const model::NetResource& nr) {
  FirewallSpec s;
  s.router_if = plan.veth;
  s.wg_if = plan.wg;
  s.own_v4 = plan.subnet_v4.network().str();
  s.own_v6 = plan.prefix.network().str();
  s.own_wg_v4 = plan.wg_v4.addr().str();
  // A network of N peers: each address formatted once, duplicates found by
  // hash (their /24, wg address and /64 are all the plan needs of them).
  std::unordered_set<uint64_t> seen_v4;  // the /24s and the wg addresses, apart (bit 32)
  std::unordered_set<std::string> seen_v6;
  auto v4_key = [](const ip::Addr& a, uint64_t kind) { return (kind << 32) | a.v4_host(); };
  auto add = [&](const ip::Prefix& prefix) {
    auto p = model::Addressing::of(prefix.network());
    if (seen_v4.insert(v4_key(p.subnet_v4.addr(), 0)).second) s.net_v4.push_back(p.subnet_v4.str());
    if (seen_v4.insert(v4_key(p.wg_v4.addr(), 1)).second) s.net_v4.push_back(p.wg_v4.addr().str());
    const auto* b = reinterpret_cast<const char*>(p.prefix.addr().data());
    if (seen_v6.insert(std::string(b, 8)).second) s.net_v6.push_back(p.prefix.str());
  };
  for (const auto& res : net.resources) add(res.prefix);
  for (const auto& peer : nr.peers) add(peer.prefix);
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

std::string set_of(const std::vector<std::string>& items) {
  std::string out = "{ ";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + " }";
}

// Runs before conntrack (priority raw): a spoofed packet never makes state.
//   router veth  only the NR's /24 and /64 (and link-local, :: for DAD)
//   wg           never the NR's own addresses: WireGuard checks a peer's
//                source against its AllowedIPs, but the exit peer's are
//                0.0.0.0/0 and ::/0, which cover whatever no other peer has
//   pub          never an address of the network from the Internet
std::string guard_chain(const FirewallSpec& s) {
  std::string out;
  out += "  chain guard {\n";
  out += "    type filter hook prerouting priority raw; policy accept;\n";
  out += "    iifname \"" + s.router_if + "\" ip saddr != " + s.own_v4 + " drop\n";
  out += "    iifname \"" + s.router_if + "\" ip6 saddr != { " + s.own_v6 + ", fe80::/10, ::/128 } drop\n";
  out += "    iifname \"" + s.wg_if + "\" ip saddr { " + s.own_v4 + ", " + s.own_wg_v4 + " } drop\n";
  out += "    iifname \"" + s.wg_if + "\" ip6 saddr " + s.own_v6 + " drop\n";
  if (!s.pub_if.empty()) {
    out += "    iifname \"" + s.pub_if + "\" ip saddr " + set_of(s.net_v4) + " drop\n";
    out += "    iifname \"" + s.pub_if + "\" ip6 saddr " + set_of(s.net_v6) + " drop\n";
  }
  out += "  }\n";
  return out;
}

}  // namespace

std::vector<FirewallTable> firewall_tables(const FirewallSpec& s) {
  std::vector<FirewallTable> out{{kFilterTable, {"input", "forward"}}};
  if (has_nat(s)) out.push_back({kNatTable, {"prerouting", "postrouting"}});
  return out;
}

std::string tag_chains(const std::string& script, const std::string& tag) {
  std::string out;
  size_t at = 0;
  for (size_t nl; (nl = script.find('\n', at)) != std::string::npos; at = nl + 1) {
    std::string_view line(script.data() + at, nl - at);
    out.append(line).push_back('\n');
    if (line.starts_with("  chain ") && line.ends_with(" {")) out += "    comment \"" + tag + "\"\n";
  }
  return out + script.substr(at);
}

std::string chain_tag(const std::string& script) { return "zos " + crypto::digest_hex(script); }

std::vector<ChainShape> chain_shapes(const std::string& script) {
  std::vector<ChainShape> out;
  std::string table;
  bool in_chain = false;
  size_t at = 0;
  for (size_t nl; (nl = script.find('\n', at)) != std::string::npos; at = nl + 1) {
    std::string_view line(script.data() + at, nl - at);
    if (line.starts_with("table ") && line.ends_with(" {")) {
      table = line.substr(6, line.size() - 8);
    } else if (line.starts_with("  chain ") && line.ends_with(" {")) {
      out.push_back({table, std::string(line.substr(8, line.size() - 10)), 0});
      in_chain = true;
    } else if (line == "  }") {
      in_chain = false;
    } else if (in_chain && !line.starts_with("    type ") && !line.starts_with("    comment ")) {
      ++out.back().rules;
    }
  }
  return out;
}

bool chains_tagged(const std::vector<nfnl::Chain>& have, const std::string& table, const std::vector<ChainShape>& want,
                   const std::string& tag) {
  const std::string name = table.substr(table.find(' ') + 1);
  // A script in which no chain of the table was found (its text drifted
  // from what chain_shapes reads) checks nothing: not current.
  if (std::none_of(want.begin(), want.end(), [&](const ChainShape& c) { return c.table == table; })) return false;
  return std::all_of(want.begin(), want.end(), [&](const ChainShape& c) {
    return c.table != table || std::any_of(have.begin(), have.end(), [&](const nfnl::Chain& h) {
             return h.table == name && h.name == c.chain && h.comment == tag && h.rules == c.rules;
           });
  });
}

namespace {

std::string firewall_untagged(const FirewallSpec& s) {
  std::string tenant = "{ \"" + s.router_if + "\", \"" + s.wg_if + "\" }";
  std::string out;
  // "add" then "delete" then the full table: replaces it in one transaction
  // whether or not it existed.
  out += "add table " + std::string(kFilterTable) + "\n";
  out += "delete table " + std::string(kFilterTable) + "\n";
  out += "add table " + std::string(kNatTable) + "\n";
  out += "delete table " + std::string(kNatTable) + "\n";
  out += "table " + std::string(kFilterTable) + " {\n";
  out += guard_chain(s);
  out += "  chain input {\n";
  out += "    type filter hook input priority filter; policy drop;\n";
  out += "    ct state established,related accept\n";
  out += "    ct state invalid drop\n";
  out += "    iifname \"lo\" accept\n";
  out += "    iifname " + tenant + " accept\n";
  // From outside the tenant only what IPv6 needs: neighbour discovery on
  // the link (hop limit 255: never routed), path MTU and errors. No echo.
  out += "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255 accept\n";
  out += "    icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem } accept\n";
  out += "    meta l4proto icmp icmp type { destination-unreachable, time-exceeded } accept\n";
  out += "  }\n";
  out += "  chain forward {\n";
  out += "    type filter hook forward priority filter; policy drop;\n";
  // Only the network's own addresses leave through the exit (before
  // masquerade, which is postrouting).
  if (!s.pub_if.empty()) {
    out += "    oifname \"" + s.pub_if + "\" ip saddr != " + set_of(s.net_v4) + " drop\n";
    out += "    oifname \"" + s.pub_if + "\" ip6 saddr != " + set_of(s.net_v6) + " drop\n";
  }
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

}  // namespace

std::string firewall_script(const FirewallSpec& s) {
  auto body = firewall_untagged(s);
  return tag_chains(body, chain_tag(body));
}

Loaded firewall_state(const FirewallSpec& s) {
  const auto body = firewall_untagged(s);
  const auto tag = chain_tag(body);
  const auto want = chain_shapes(body);
  auto tables = firewall_tables(s);
  bool current = std::all_of(tables.begin(), tables.end(), [&](const FirewallTable& t) {
    return chains_tagged(nfnl::chain_list(nfnl::family(t.table.substr(0, t.table.find(' ')))), t.table, want, tag);
  });
  // No NAT asked: none may be left from an older version.
  bool nat_left = tables.size() == 1 && nfnl::table_exists(kNatTable);
  if (current && !nat_left) return Loaded::kCurrent;
  return nat_left || nfnl::table_exists(kFilterTable) || nfnl::table_exists(kNatTable) ? Loaded::kOther
                                                                                       : Loaded::kAbsent;
}

std::string fresh_script(const std::string& script) {
  std::vector<std::string_view> lines;
  size_t at = 0;
  for (size_t nl; (nl = script.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.emplace_back(script.data() + at, nl + 1 - at);
  std::vector<bool> drop(lines.size(), false);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].starts_with("delete ")) continue;
    drop[i] = true;
    const std::string add = "add " + std::string(lines[i].substr(7));
    for (size_t j = i; j-- > 0;)
      if (!drop[j] && lines[j] == add) {
        drop[j] = true;
        break;
      }
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i)
    if (!drop[i]) out += lines[i];
  return out + script.substr(at);
}

}  // namespace zos::nr
