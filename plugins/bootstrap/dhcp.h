// The DHCP client: busybox udhcpc (or a standalone udhcpc), run once with
// our own lease script to probe a NIC, and run for good by zinit afterwards.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace zos::bootstrap {

struct DhcpClient {
  std::vector<std::string> argv;  // {"/usr/bin/busybox", "udhcpc"} or {"/sbin/udhcpc"}
  std::string text() const;       // the same, space-joined
};

// `configured`: a path (udhcpc or busybox) from the config, "" to search
// $PATH for udhcpc, then busybox (which must have the udhcpc applet).
std::optional<DhcpClient> find_client(const std::string& configured);

// The lease script: checks udhcpc's lease and applies it with ip(8)
// (address, broadcast, default route via the first router in the subnet);
// refuses a /32 or a router outside the subnet, ignores classless routes
// (option 121) and unusable name servers, and keeps the last lease when it
// is the node's only route. Name servers go to `resolv` (never
// /etc/resolv.conf, which belongs to the host). See docs/bootstrap.md.
std::string lease_script(const std::string& resolv);

// Shell functions both lease scripts (udhcpc's and dhcpcd's) start with:
// say (a note on stderr), address checks, set_resolv (the DHCPv4 and DHCPv6
// parts of `resolv` together).
std::string shell_helpers(const std::string& resolv);

// One discovery run on `iface`: -n -q (exit with or without a lease), bounded
// by tries * interval plus a margin. True when udhcpc reports a lease.
struct ProbeResult {
  bool lease = false;
  std::string output;  // udhcpc's own words, for the log
  std::vector<std::string> notes;  // why a lease was refused: the script's checks, an address in use
};
ProbeResult probe(const DhcpClient& c, const std::string& iface, const std::string& script, int tries,
                  int interval);

// The zinit service that keeps the client running on `iface`.
std::string service_text(const DhcpClient& c, const std::string& iface, const std::string& script);

}  // namespace zos::bootstrap
