// What the uplink bridge carries right now: global addresses (IPv4 from
// DHCP, IPv6 from SLAAC) and the default routes through it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/ip/ip.h"
#include "common/net/nl.h"

namespace zos::bootstrap {

// Typed; text only where it is printed (to_json, describe).
struct Lease {
  std::vector<ip::Prefix> ipv4, ipv6;  // 10.0.0.5/24; IPv6 past duplicate detection only
  std::optional<ip::Addr> gw4, gw6;    // default routes out of this link
  bool v4() const { return !ipv4.empty() && gw4.has_value(); }
  bool v6() const { return !ipv6.empty() && gw6.has_value(); }
  bool ok() const { return v4() || v6(); }
  nlohmann::json to_json() const;
  std::string describe() const;  // "DHCPv4 10.0.0.5/24 via 10.0.0.1; SLAAC …"
};

Lease read_lease(nl::Socket& s, int index);

// A gateway as JSON: its text, or null when there is none.
nlohmann::json gateway_json(const std::optional<ip::Addr>& gw);

// What the kernel learnt from router advertisements on a link since it came
// up: whether one came, and whether it set the Managed flag (addresses by
// DHCPv6).
struct RaFlags {
  bool received = false;
  bool managed = false;
};
RaFlags read_ra(nl::Socket& s, int index);

// Removes the global IPv4 addresses (and with them their routes) of a link.
void flush_ipv4(nl::Socket& s, int index);

}  // namespace zos::bootstrap
