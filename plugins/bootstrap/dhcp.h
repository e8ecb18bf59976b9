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

// The lease script: applies udhcpc's events with ip(8) (address, broadcast,
// default route via the first router) and writes name servers to `resolv`
// (never /etc/resolv.conf, which belongs to the host).
std::string lease_script(const std::string& resolv);

// One discovery run on `iface`: -n -q (exit with or without a lease), bounded
// by tries * interval plus a margin. True when udhcpc reports a lease.
struct ProbeResult {
  bool lease = false;
  std::string output;  // udhcpc's own words, for the log
};
ProbeResult probe(const DhcpClient& c, const std::string& iface, const std::string& script, int tries,
                  int interval);

// The zinit service that keeps the client running on `iface`.
std::string service_text(const DhcpClient& c, const std::string& iface, const std::string& script);

}  // namespace zos::bootstrap
