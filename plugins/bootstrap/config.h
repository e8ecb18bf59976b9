// The bootstrap config file (JSON, /etc/zos/bootstrap.json by default) and
// the kernel command line. Both sections are optional in the file:
//
//   { "uplink": { "allow": ["eth0", {"name": "eth1", "vlan": 100}], "deny": ["eth2"],
//                 "bridge": "zos", "carrier_timeout": 5, "dhcp_tries": 4, "dhcp_interval": 2,
//                 "ra_timeout": 10, "dhcp_client": "/usr/bin/busybox", "dhcp6_client": "" },
//     "public": { "type": "macvlan", "master": "eth1", "mac": "…",
//                 "ipv4": "185.69.166.10/24", "gw4": "185.69.166.1",
//                 "ipv6": "2a02:1802:5e::10/64", "gw6": "2a02:1802:5e::1",
//                 "host_link": "zos-public" } }
//
// Kernel command line: zos.uplink.allow=eth0,eth1 zos.uplink.deny=eth2.
#pragma once

#include "model/paths.h"
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace zos::bootstrap {

inline constexpr const char* kDefaultConfig = "/etc/zos/bootstrap.json";
inline constexpr const char* kDefaultCmdline = "/proc/cmdline";
using model::kDefaultDataDir;
inline constexpr const char* kDefaultZinitDir = "/etc/zinit";

// Bad input (config, names, command line): exit code 2 at the CLI.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct UplinkConfig {
  std::vector<std::string> allow;  // probe only these, in this order (may name virtual links)
  std::vector<std::string> deny;   // never touch these
  std::string bridge = "zos";
  int carrier_timeout = 5;  // seconds to wait for carrier on all candidates together
  int dhcp_tries = 4;       // DHCPDISCOVERs per NIC
  int dhcp_interval = 2;    // seconds between them
  int ra_timeout = 10;      // seconds per NIC for a router advertisement (SLAAC)
  std::string dhcp_client;  // udhcpc or busybox path; "" = search $PATH
  std::string dhcp6_client;  // dhcpcd path; "" = search $PATH (none: no DHCPv6)
  std::map<std::string, int> vlans;  // allowed NIC -> VLAN id to probe on (tagged uplink)
};

struct PublicConfig {
  std::string type = "macvlan";  // "macvlan" on `master`, or "veth" to the `master` bridge
  std::string master;            // NIC (macvlan) or bridge (veth, default "zos")
  std::string mac;               // optional fixed MAC of the public link
  std::string ipv4, gw4, ipv6, gw6;
  std::string host_link = "zos-public";  // host end of the veth
};

struct ConfigFile {
  UplinkConfig uplink;
  std::optional<PublicConfig> pub;
};

// Reads `path`; a missing file is the defaults unless `required`.
ConfigFile load_config(const std::string& path, bool required);
// Parses the text of a config file (for tests); `origin` names it in errors.
ConfigFile parse_config(const std::string& text, const std::string& origin);

// zos.uplink.allow / zos.uplink.deny from a kernel command line text.
struct CmdlineLists {
  std::optional<std::vector<std::string>> allow;
  std::vector<std::string> deny;
};
CmdlineLists parse_cmdline(const std::string& text);

// The uplink config with the command line applied: its allow list replaces
// the file's, its deny list adds to it.
UplinkConfig merge(UplinkConfig c, const CmdlineLists& cl);

}  // namespace zos::bootstrap
