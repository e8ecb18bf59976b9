// `zos-bootstrap uplink`: find the NIC that is plugged into a network with
// DHCP (IPv4), router advertisements (IPv6 SLAAC) or DHCPv6, put it (or its
// VLAN link) behind the zos bridge, and hand the DHCP clients to zinit. See docs/bootstrap.md.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugins/bootstrap/config.h"
#include "plugins/bootstrap/lease.h"
#include "plugins/bootstrap/nics.h"

namespace zos::bootstrap {

struct UplinkOptions {
  std::string config = kDefaultConfig;
  std::string cmdline = kDefaultCmdline;
  std::string data_dir = kDefaultDataDir;
  std::string zinit_dir = kDefaultZinitDir;
  bool zinit = true;  // ask a present zinit to monitor the service
};

struct Attempt {
  std::string nic;
  std::string result;  // "no carrier after 5s", "no DHCPv4 lease; no router advertisement in 10s", "chosen"
};

struct UplinkResult {
  std::string bridge, nic, mac;
  std::string port;  // the bridge's port: the NIC, or its VLAN link
  int vlan = 0;      // the port's VLAN tag; 0: untagged
  bool dhcp6 = false;  // the IPv6 address came by DHCPv6 (dhcpcd keeps it)
  bool already = false;  // the uplink worked before this run and was left alone
  Lease lease;
  std::vector<Attempt> tried;
  std::vector<Skipped> skipped;
  std::string client, service_file, zinit;
  std::string service6_file, zinit6;  // dhcpcd's, when dhcp6
  nlohmann::json to_json() const;
  std::string human() const;
};

// No NIC got a lease: the node is left as it was found.
struct NoUplink : std::runtime_error {
  NoUplink(const std::string& msg, std::vector<Attempt> t, std::vector<Skipped> s)
      : std::runtime_error(msg), tried(std::move(t)), skipped(std::move(s)) {}
  std::vector<Attempt> tried;
  std::vector<Skipped> skipped;
  nlohmann::json to_json() const;
};

// Runs in the calling thread's network namespace.
UplinkResult uplink(const UplinkOptions& o);

// The zinit service file for `bridge` under `zinit_dir` (dhcp-<bridge>.yaml).
std::string service_path(const std::string& zinit_dir, const std::string& bridge);

}  // namespace zos::bootstrap
