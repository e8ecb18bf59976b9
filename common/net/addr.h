// Interface addresses over rtnetlink. Addresses are "addr/len" strings
// ("10.1.10.1/24", "2a02:1802:5e:10a::1/64"); a bare address means a host
// prefix (/32, /128).
#pragma once

#include <string>
#include <vector>

#include "common/net/nl.h"

namespace zos::nl {

struct AddrOptions {
  bool nodad = false;    // IFA_F_NODAD: usable at once, no duplicate detection (IPv6)
  bool replace = false;  // update the address if present instead of reporting it
};

struct AddrInfo {
  int family = 0;      // AF_INET / AF_INET6
  std::string prefix;  // "10.1.10.1/24"
  int index = 0;       // link
  unsigned flags = 0;  // IFA_F_* (IFA_F_NODAD, IFA_F_TENTATIVE, ...)
  int scope = 0;       // RT_SCOPE_*
};

// Adds `prefix` to link `index`; an IPv4 address also gets its broadcast
// (as `ip addr add ... brd +`). Returns false when the address is on the link
// already (with opts.replace: updates it and returns true).
bool add_addr(Socket& s, int index, const std::string& prefix, const AddrOptions& opts = {});

// Removes `prefix` from link `index`; false when it was not there.
bool delete_addr(Socket& s, int index, const std::string& prefix);

// Makes the link's global (universe scope) addresses of `family` exactly
// `want`, or none when it is empty; link-local ones stay. True on a change.
bool sync_global_addr(Socket& s, int index, int family, const std::string& want);

// Addresses of link `index` (0: of all links), of `family` (AF_UNSPEC: both).
std::vector<AddrInfo> list_addrs(Socket& s, int index, int family = 0);

}  // namespace zos::nl
