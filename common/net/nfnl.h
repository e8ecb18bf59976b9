// nftables over nfnetlink, in the calling thread's network namespace (use
// inside sys::in_netns), for what must not pay for the zos-nft helper (a
// process and libnftables): whether a table exists, which chains it has, and
// adding or removing elements of existing sets (a warm CNI ADD). Tables,
// chains and rules still go through nft::run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zos::nfnl {

// NFPROTO_* of an nftables family name ("inet", "ip", "ip6", "arp",
// "bridge", "netdev"). Throws std::invalid_argument for another name.
uint8_t family(std::string_view name);

// True when table `name` of `family` (NFPROTO_*) exists; false when the
// kernel says ENOENT. Throws sys::SysError on any other error.
bool table_exists(uint8_t family, std::string_view name);
// The same for "<family> <name>", as nft writes it ("inet zos-nr").
bool table_exists(std::string_view family_and_name);

// Names of the chains of table `name` of `family`, in the kernel's order
// (empty when the table has none or does not exist).
std::vector<std::string> chains(uint8_t family, std::string_view name);
std::vector<std::string> chains(std::string_view family_and_name);

// Every chain of `family` (all its tables, one dump) with the comment nft
// gave it (`comment "..."`, libnftnl's user data; "" when none) and the
// number of rules it holds (a second dump, of the family's rules: a chain
// flushed by hand keeps its comment, not its rules).
struct Chain {
  std::string table;
  std::string name;
  std::string comment;
  size_t rules = 0;
};
std::vector<Chain> chain_list(uint8_t family);

// Elements of one set: each key as the kernel stores it (the components of
// a concatenation each padded to 4 bytes, addresses in network order).
struct SetElements {
  std::string set;
  std::vector<std::vector<uint8_t>> keys;
};

// Adds the elements to their sets of table `name` of `family` in one
// transaction (all or none); elements already there are no error.
// Throws sys::SysError (ENOENT: no such table or set).
void add_elements(uint8_t family, std::string_view table, const std::vector<SetElements>& sets);
// Removes them; elements (or sets, or the table) already gone are no error.
void delete_elements(uint8_t family, std::string_view table, const std::vector<SetElements>& sets);

}  // namespace zos::nfnl
