// runtimeConfig.ipRanges (CNI convention, capability "ipRanges"): range sets
// [[{subnet, rangeStart, rangeEnd, gateway}, ...], ...]. zos-ipam honours the
// ranges inside the NR: IPv4 ranges narrow the pool (.2-.254 of the NR /24),
// IPv6 ranges keep only those of the container's IPv6 addresses (per
// ipam.ipv6) that fall in them. A range outside the NR's /24 and /64, or a
// gateway other than the NR router, is error 7.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "common/ip/ip.h"
#include "model/plan.h"

namespace zos::ipam {

struct Span {
  ip::Addr first, last;  // inclusive, one family
  bool contains(const ip::Addr& a) const { return a.family() == first.family() && first <= a && a <= last; }
  std::string str() const { return first.str() + "-" + last.str(); }
};

struct Ranges {
  std::vector<Span> v4, v6;  // empty: that family is not narrowed
  bool allows(const ip::Addr& a) const;
  std::string str(int family) const;  // "a-b, c-d" of that family
};

// Parses runtimeConfig.ipRanges against the NR's plan; cni::Error(7) naming
// the range that is malformed or outside the NR.
Ranges parse_ip_ranges(const nlohmann::json& v, const model::Plan& plan);

}  // namespace zos::ipam
