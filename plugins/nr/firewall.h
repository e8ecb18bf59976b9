// The NR's firewall, in nftables tables of its own inside the NR namespace:
//   table inet zos-nr     guard: sources that do not belong to the link they
//                         arrive on, dropped before conntrack sees them;
//                         filter: what may enter and cross the NR
//   table ip   zos-nr-nat exit NRs only: masquerade and DNAT
// Applied as one transaction that replaces both tables, so a re-apply never
// leaves a moment without rules.
#pragma once

#include <string>
#include <vector>

#include "common/net/nfnl.h"
#include "model/network.h"
#include "model/plan.h"

namespace zos::nr {

inline constexpr const char* kFilterTable = "inet zos-nr";
inline constexpr const char* kNatTable = "ip zos-nr-nat";

struct FirewallSpec {
  std::string router_if;  // veth-<nibble>-<alloc>: the tenant's containers
  std::string wg_if;      // wg-<nibble>-<alloc>: the tenant's other NRs
  std::string pub_if;     // pub-<nibble>-<alloc> on the exit NR, else ""
  // Sources that belong where (docs/security.md): the NR's own, and the
  // whole network's (every NR's /24 and WireGuard /32, every /64).
  std::string own_v4;                // 10.a.b.0/24
  std::string own_v6;                // prefix/64
  std::string own_wg_v4;             // 10.255.a.b
  std::vector<std::string> net_v4;   // every NR's /24 and 10.255.x.y
  std::vector<std::string> net_v6;   // every NR's /64
  bool masquerade = false;
  std::vector<model::Ipv4Dnat> dnat;
  std::vector<ip::Addr> ipv6_allow;
};

FirewallSpec firewall_spec(const model::Plan& plan, const model::Network& net, const model::NetResource& nr);

// The nftables script that (re)creates the NR's tables. Each chain carries
// the digest of the script as its comment (chain_tag), so a re-apply can
// tell, over nfnetlink, that the tables are what it would load.
std::string firewall_script(const FirewallSpec& spec);
// What a script would find in the current namespace: exactly the chains
// it makes, made by it (their tags and rule counts: a re-apply then starts
// no zos-nft; rules edited by hand in place are not seen), none of its
// tables (a cold build: fresh_script() is enough), or something else.
enum class Loaded { kCurrent, kAbsent, kOther };
Loaded firewall_state(const FirewallSpec& spec);

// `script` without its "add X" / "delete X" pairs (X a table or a chain),
// for a namespace that has none of them. Deleting a table or chain, even one
// made in the same transaction, makes the kernel free it after an RCU grace
// period, and the helper's socket close waits for that (nf_tables' handler of
// the socket's release flushes the destroy work): 10-40 ms on the cold ADD,
// against nothing for a script that only adds.
std::string fresh_script(const std::string& script);

// Tags for nftables scripts whose chains say what made them: "zos <digest
// of the untagged script>", and the script with a `comment` of `tag` in
// every chain block ("  chain <name> {").
std::string chain_tag(const std::string& script);
std::string tag_chains(const std::string& script, const std::string& tag);

// The tables that script makes ("inet zos-nr", and "ip zos-nr-nat" when the
// NR masquerades or forwards ports) and their base chains: what CHECK looks
// for (over nfnetlink, without running zos-nft).
struct FirewallTable {
  std::string table;
  std::vector<std::string> chains;
};
std::vector<FirewallTable> firewall_tables(const FirewallSpec& spec);
// The chains an (untagged) script's "table <family> <name> {" blocks
// make, each with its number of rules (the lines of its block but the
// `type` and `comment` ones).
struct ChainShape {
  std::string table;  // "inet zos-nr"
  std::string chain;
  size_t rules = 0;
};
std::vector<ChainShape> chain_shapes(const std::string& script);
// True when every chain of `want` of table `table` ("inet zos-nr") is in
// `have` (name without the family) with `tag` and as many rules: a chain
// flushed or cut by hand keeps its tag, not its rules.
bool chains_tagged(const std::vector<nfnl::Chain>& have, const std::string& table, const std::vector<ChainShape>& want,
                   const std::string& tag);

}  // namespace zos::nr
