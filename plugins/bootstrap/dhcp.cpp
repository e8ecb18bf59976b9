#include "plugins/bootstrap/dhcp.h"

#include "common/log/log.h"
#include "plugins/bootstrap/spawn.h"

namespace zos::bootstrap {

std::string DhcpClient::text() const {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

namespace {

bool busybox_has_udhcpc(const std::string& busybox) {
  auto r = run_bounded({busybox, "--list"}, 5000);
  return r.status == 0 && ("\n" + r.output).find("\nudhcpc\n") != std::string::npos;
}

std::optional<DhcpClient> from_path(const std::string& path) {
  auto base = path.substr(path.rfind('/') + 1);
  if (base == "udhcpc") return DhcpClient{{path}};
  if (busybox_has_udhcpc(path)) return DhcpClient{{path, "udhcpc"}};
  return std::nullopt;
}

}  // namespace

std::optional<DhcpClient> find_client(const std::string& configured) {
  if (!configured.empty()) {
    auto p = which(configured);
    return p ? from_path(*p) : std::nullopt;
  }
  if (auto p = which("udhcpc")) return DhcpClient{{*p}};
  if (auto p = which("busybox")) return from_path(*p);
  return std::nullopt;
}

std::string lease_script(const std::string& resolv) {
  return R"(#!/bin/sh
# udhcpc lease script written by zos-bootstrap: applies the lease with ip(8).
# Events: deconfig | bound | renew | leasefail | nak. Do not edit: rewritten.
[ -n "$interface" ] || exit 1
RESOLV=')" + resolv + R"('
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface" scope global
	ip link set dev "$interface" up
	;;
bound|renew)
	[ -n "$ip" ] && [ -n "$mask" ] || exit 1
	ip -4 -o addr show dev "$interface" scope global | while read -r _ _ _ a _; do
		[ "$a" = "$ip/$mask" ] || ip addr del "$a" dev "$interface"
	done
	ip addr replace "$ip/$mask" broadcast "${broadcast:-+}" dev "$interface"
	for r in $router; do
		ip -4 route replace default via "$r" dev "$interface"
		break
	done
	if [ -n "$dns" ]; then
		tmp="$RESOLV.tmp.$$"
		: > "$tmp"
		[ -n "$domain" ] && echo "search $domain" >> "$tmp"
		for d in $dns; do echo "nameserver $d" >> "$tmp"; done
		mv -f "$tmp" "$RESOLV"
	fi
	;;
leasefail|nak)
	;;
esac
exit 0
)";
}

ProbeResult probe(const DhcpClient& c, const std::string& iface, const std::string& script, int tries,
                  int interval) {
  auto argv = c.argv;
  for (const char* a : {"-f", "-q", "-n", "-i"}) argv.push_back(a);
  argv.push_back(iface);
  argv.insert(argv.end(), {"-t", std::to_string(tries), "-T", std::to_string(interval), "-A", "1", "-s", script});
  spdlog::info("probe: {}", [&] {
    std::string s;
    for (const auto& a : argv) s += a + " ";
    return s;
  }());
  auto r = run_bounded(argv, (tries * interval + 10) * 1000);
  ProbeResult p;
  p.output = r.output;
  p.lease = r.status == 0 && !r.timed_out;
  spdlog::debug("udhcpc on {} exited {}: {}", iface, r.status, r.output);
  return p;
}

std::string service_text(const DhcpClient& c, const std::string& iface, const std::string& script) {
  return "# Written by zos-bootstrap uplink: keeps the DHCP client running on the " + iface +
         " bridge.\nexec: " + c.text() + " -f -i " + iface + " -t 20 -T 1 -s " + script + "\nlog: ring\n";
}

}  // namespace zos::bootstrap
