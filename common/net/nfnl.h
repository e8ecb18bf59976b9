// Read-only nftables queries over nfnetlink, in the calling thread's network
// namespace (use inside sys::in_netns). For checks that must not pay for the
// zos-nft helper (a process and libnftables): whether a table exists and
// which chains it has. Changing rules still goes through nft::run.
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

}  // namespace zos::nfnl
