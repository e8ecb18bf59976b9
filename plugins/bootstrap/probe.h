// One NIC's probe for the uplink: the NIC (or its VLAN link) alone behind
// the bridge, then DHCPv4, router advertisements (SLAAC) and DHCPv6 in turn.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/net/link.h"
#include "plugins/bootstrap/config.h"
#include "plugins/bootstrap/dhcp.h"
#include "plugins/bootstrap/lease.h"

namespace zos::bootstrap {

struct Prober {
  const UplinkConfig& cfg;
  const DhcpClient& client;
  std::string script;                 // udhcpc's lease script
  std::optional<std::string> dhcpcd;  // the DHCPv6 client; none: no DHCPv6
  std::string dhcpcd_conf;
};

struct Won {
  Lease lease;
  bool dhcp6 = false;     // the address came by DHCPv6
  std::string port;       // the bridge port: the NIC, or its VLAN link
};

// The name of the VLAN link `vlan` on `nic` ("eth1.100"); a ConfigError when
// that is too long for an interface name.
std::string vlan_link_name(const std::string& nic, int vlan);

// Puts `nic` (or its VLAN link, made here and named in `made` until it is
// deleted again) alone behind the bridge and waits for a lease. On failure
// the port is detached (a VLAN link deleted), the bridge is down and carries
// nothing, and `why` says what was missing or refused.
std::optional<Won> try_nic(nl::Socket& s, int br, const nl::LinkInfo& nic, const Prober& p, std::string& why,
                           std::vector<std::string>& made);

// Sets a sysctl that exists and differs (a link's IPv6 knobs).
void set_sysctl_if_exists(const std::string& key, const std::string& v);

// How a lease won: "dhcp4", "slaac", "dhcp6", "dhcp4+slaac"...
std::string method(const Lease& l, bool dhcp6);

}  // namespace zos::bootstrap
