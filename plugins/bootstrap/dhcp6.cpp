#include "plugins/bootstrap/dhcp6.h"

#include "common/log/log.h"
#include "plugins/bootstrap/spawn.h"

namespace zos::bootstrap {

std::optional<std::string> find_dhcp6_client(const std::string& configured) {
  return sys::which(configured.empty() ? "dhcpcd" : configured);
}

std::string dhcpcd_conf(const std::string& script) {
  return "# Written by zos-bootstrap uplink: DHCPv6 addresses on the uplink bridge. Do not edit: rewritten.\n"
         "# The kernel takes the router advertisements (SLAAC, default route): no RS/RA here.\n"
         "noipv6rs\n"
         "ipv6only\n"
         "ia_na\n"
         "persistent\n"
         "option dhcp6_name_servers, dhcp6_domain_search\n"
         "script " + script + "\n";
}

std::string dhcpcd_script(const std::string& resolv) {
  return "#!/bin/sh\n"
         "# dhcpcd hook written by zos-bootstrap: DHCPv6 name servers. Do not edit: rewritten.\n" +
         shell_helpers(resolv) + R"sh(
case "$reason" in
BOUND6|RENEW6|REBIND6|REBOOT6|INFORM6)
	set_resolv dhcp6 is_unicast6 "$new_dhcp6_domain_search" "$new_dhcp6_name_servers"
	;;
esac
exit 0
)sh";
}

ProbeResult probe6(const std::string& dhcpcd, const std::string& iface, const std::string& conf, int timeout_s) {
  std::vector<std::string> argv = {dhcpcd, "-f", conf, "-B", "-6", "-1", "-t", std::to_string(timeout_s), iface};
  spdlog::info("probe: {} -f {} -B -6 -1 -t {} {}", dhcpcd, conf, timeout_s, iface);
  // dhcpcd -1 leaves on its own with a lease, not at its -t timeout when
  // it is DHCPv6-only: our deadline ends it then.
  auto r = run_bounded(argv, timeout_s * 1000);
  spdlog::debug("dhcpcd on {} exited {}: {}", iface, r.status, r.out);
  ProbeResult p;
  p.output = r.out;
  p.lease = r.status == 0 && !r.timed_out;
  return p;
}

std::string service6_text(const std::string& dhcpcd, const std::string& iface, const std::string& conf) {
  return "# Written by zos-bootstrap uplink: keeps the DHCPv6 client running on the " + iface +
         " bridge.\nexec: " + dhcpcd + " -f " + conf + " -B -6 " + iface + "\nlog: ring\n";
}

std::string service6_path(const std::string& zinit_dir, const std::string& bridge) {
  return zinit_dir + "/dhcp6-" + bridge + ".yaml";
}

}  // namespace zos::bootstrap
