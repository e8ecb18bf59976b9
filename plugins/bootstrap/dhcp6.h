// The DHCPv6 client: dhcpcd (Debian's dhcpcd-base), for addresses only. The
// kernel keeps the router advertisements (SLAAC, the default route); dhcpcd
// runs with `noipv6rs` and a forced IA_NA, so it neither takes RAs over nor
// waits for one. Run once to probe a NIC, then for good by zinit.
#pragma once

#include <optional>
#include <string>

#include "plugins/bootstrap/dhcp.h"

namespace zos::bootstrap {

// `configured`: a dhcpcd path from the config, "" to search $PATH. None:
// DHCPv6 is not available (the uplink works without it where RAs suffice).
std::optional<std::string> find_dhcp6_client(const std::string& configured);

// dhcpcd's configuration: DHCPv6 only, addresses kept when it stops, name
// servers asked for, `script` as the only hook.
std::string dhcpcd_conf(const std::string& script);

// The hook script: name servers and search domains of a DHCPv6 reply into
// the DHCPv6 part of `resolv` (see shell_helpers).
std::string dhcpcd_script(const std::string& resolv);

// One solicitation on `iface` (-1: exit once bound), ended after
// `timeout_s`. `lease` when dhcpcd bound an address. dhcpcd turns the
// kernel's link-local addresses off on `iface` (addr_gen_mode, to make its
// own): the caller turns them on again before the link next comes up.
ProbeResult probe6(const std::string& dhcpcd, const std::string& iface, const std::string& conf, int timeout_s);

// The zinit service that keeps dhcpcd running on `iface`, and its path.
std::string service6_text(const std::string& dhcpcd, const std::string& iface, const std::string& conf);
std::string service6_path(const std::string& zinit_dir, const std::string& bridge);

}  // namespace zos::bootstrap
