// Interface addresses over rtnetlink, as typed prefixes: the address with
// its prefix length (10.1.10.1/24, 2a02:1802:5e:10a::1/64).
#pragma once

#include <optional>
#include <vector>

#include "common/ip/ip.h"
#include "common/net/nl.h"

namespace zos::nl {

struct AddrOptions {
  bool nodad = false;    // IFA_F_NODAD: usable at once, no duplicate detection (IPv6)
  bool replace = false;  // update the address if present instead of reporting it
};

struct AddrInfo {
  int family = 0;      // AF_INET / AF_INET6
  ip::Prefix prefix;   // 10.1.10.1/24
  int index = 0;       // link
  unsigned flags = 0;  // IFA_F_* (IFA_F_NODAD, IFA_F_TENTATIVE, ...)
  int scope = 0;       // RT_SCOPE_*
};

// Adds `prefix` to link `index`; an IPv4 address also gets its broadcast
// (as `ip addr add ... brd +`). Returns false when the address is on the link
// already (with opts.replace: updates it and returns true).
bool add_addr(Socket& s, int index, const ip::Prefix& prefix, const AddrOptions& opts = {});

// Removes `prefix` from link `index`; false when it was not there.
bool delete_addr(Socket& s, int index, const ip::Prefix& prefix);

// Makes the link's global (universe scope) addresses of `family` (AF_INET /
// AF_INET6) exactly `want`, or none without one; link-local ones stay. True
// on a change.
bool sync_global_addr(Socket& s, int index, int family, const std::optional<ip::Prefix>& want);

// Addresses of link `index` (0: of all links), of `family` (AF_UNSPEC: both).
// IPv4 and IPv6 only.
std::vector<AddrInfo> list_addrs(Socket& s, int index, int family = 0);

// Whether `addrs` holds `prefix` (address and length).
bool has_addr(const std::vector<AddrInfo>& addrs, const ip::Prefix& prefix);

}  // namespace zos::nl
