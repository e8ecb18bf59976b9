#include "plugins/nr/guard.h"

#include <algorithm>
#include <cstring>

#include "common/net/nfnl.h"
#include "plugins/nr/firewall.h"
#include "model/plan.h"

namespace zos::nr {

namespace {

constexpr size_t kIfnameLen = 16;  // IFNAMSIZ: nftables' ifname type
constexpr const char* kGuardName = "zos-guard";  // of kGuardTable

// IPAM's addresses and the link-local of the MAC (the container's kernel
// makes it: addr_gen_mode eui64, attach.cpp).
std::vector<ip::Addr> sources(const GuardedPort& p) {
  auto out = p.addrs;
  out.push_back(model::eui64(*ip::Prefix::parse("fe80::/64"), p.mac));
  return out;
}

std::string mac_str(const std::array<uint8_t, 6>& mac) { return model::format_mac(mac); }

// port . value, each part padded to 4 bytes as the kernel keeps
// concatenations.
std::vector<uint8_t> key(const std::string& port, const uint8_t* v, size_t n) {
  std::vector<uint8_t> k(kIfnameLen + ((n + 3) & ~size_t(3)), 0);
  std::memcpy(k.data(), port.data(), std::min(port.size(), kIfnameLen - 1));
  std::memcpy(k.data() + kIfnameLen, v, n);
  return k;
}

std::vector<nfnl::SetElements> elements(const GuardedPort& p) {
  std::vector<nfnl::SetElements> out{{"mac", {key(p.port, p.mac.data(), 6)}}, {"v4", {}}, {"v6", {}}};
  for (const auto& a : sources(p)) out[a.is_v4() ? 1 : 2].keys.push_back(key(p.port, a.data(), a.is_v4() ? 4 : 16));
  return out;
}

}  // namespace

std::optional<GuardedPort> guarded_port(const AttachmentRecord& rec) {
  auto mac = model::parse_mac(rec.mac);
  if (!mac) return std::nullopt;
  GuardedPort p{rec.host_veth, *mac, {}};
  for (const auto& a : rec.addrs)
    if (auto x = ip::Addr::parse(a)) p.addrs.push_back(*x);
  return p;
}

namespace {

// The chains, made anew on every apply (the sets stay, with their elements).
std::string guard_chains() {
  const std::string t = kGuardTable;
  std::string out;
  for (const char* c : {"input", "forward"}) {
    out += "add chain " + t + " " + c + "\n";
    out += "delete chain " + t + " " + c + "\n";  // replaced, whatever was there
  }
  out += "table " + t + " {\n";
  out += "  chain input {\n";
  out += "    type filter hook input priority filter; policy accept;\n";
  // NR bridges are L2 only: nothing of a tenant's reaches the node through one.
  out += "    iifname \"zv*\" drop\n";
  out += "  }\n";
  out += "  chain forward {\n";
  out += "    type filter hook forward priority filter; policy accept;\n";
  // Container ports only (the router veths are the NR's own); one that is
  // not (yet) in the sets sends nothing.
  out += "    iifname != \"zv*\" accept\n";
  out += "    iifname . ether saddr != @mac drop\n";
  out += "    ether type != { ip, ip6, arp } drop\n";
  out += "    icmpv6 type { nd-router-advert, nd-redirect } drop\n";
  out += "    udp sport { 67, 547 } drop\n";
  out += "    iifname . arp saddr ether != @mac drop\n";
  out += "    iifname . arp saddr ip != @v4 drop\n";
  out += "    iifname . ip saddr != @v4 drop\n";
  // DAD and MLD before the link-local is up come from ::.
  out += "    ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } accept\n";
  out += "    iifname . ip6 saddr != @v6 drop\n";
  out += "  }\n";
  out += "}\n";
  return out;
}

}  // namespace

std::string bridge_guard_script(const std::vector<GuardedPort>& ports) {
  const std::string t = kGuardTable;
  std::string macs, v4, v6;
  for (const auto& p : ports) {
    macs += (macs.empty() ? "" : ", ") + ("\"" + p.port + "\" . " + mac_str(p.mac));
    for (const auto& a : sources(p)) (a.is_v4() ? v4 : v6) += std::string(",") + " \"" + p.port + "\" . " + a.str();
  }
  std::string out;
  out += "add table " + t + "\n";
  out += "add set " + t + " mac { type ifname . ether_addr; }\n";
  out += "add set " + t + " v4 { type ifname . ipv4_addr; }\n";
  out += "add set " + t + " v6 { type ifname . ipv6_addr; }\n";
  if (!macs.empty()) out += "add element " + t + " mac { " + macs + " }\n";
  if (!v4.empty()) out += "add element " + t + " v4 {" + v4.substr(1) + " }\n";
  if (!v6.empty()) out += "add element " + t + " v6 {" + v6.substr(1) + " }\n";
  auto chains = guard_chains();
  return out + tag_chains(chains, chain_tag(chains));
}

Loaded guard_state() {
  const auto chains = guard_chains();
  if (chains_tagged(nfnl::chain_list(nfnl::family("bridge")), kGuardTable, chain_shapes(chains), chain_tag(chains)))
    return Loaded::kCurrent;
  return nfnl::table_exists(kGuardTable) ? Loaded::kOther : Loaded::kAbsent;
}

void guard_add(const std::vector<GuardedPort>& ports) {
  std::vector<nfnl::SetElements> all{{"mac", {}}, {"v4", {}}, {"v6", {}}};
  for (const auto& p : ports) {
    auto e = elements(p);
    for (size_t i = 0; i < all.size(); ++i) all[i].keys.insert(all[i].keys.end(), e[i].keys.begin(), e[i].keys.end());
  }
  nfnl::add_elements(nfnl::family("bridge"), kGuardName, all);
}

void guard_remove(const GuardedPort& p) {
  nfnl::delete_elements(nfnl::family("bridge"), kGuardName, elements(p));
}

}  // namespace zos::nr
