#include "plugins/bootstrap/dhcp.h"

#include <sstream>

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
  return r.status == 0 && ("\n" + r.out).find("\nudhcpc\n") != std::string::npos;
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
    auto p = sys::which(configured);
    return p ? from_path(*p) : std::nullopt;
  }
  if (auto p = sys::which("udhcpc")) return DhcpClient{{*p}};
  if (auto p = sys::which("busybox")) return from_path(*p);
  return std::nullopt;
}

std::string shell_helpers(const std::string& resolv) {
  return R"sh(set -f  # server-given words never glob
RESOLV=')sh" + resolv + R"sh('
say() { echo "zos-bootstrap lease: $*" >&2; }
# A dotted quad, each part 0-255.
is_ip4() {
	case "$1" in ""|*[!0-9.]*|*..*|.*|*.) return 1 ;; esac
	_o=$IFS; IFS=.; set -- $1; IFS=$_o
	[ $# -eq 4 ] || return 1
	for _p; do
		case "$_p" in 0?*) return 1 ;; esac  # no octal in $(( ))
		[ ${#_p} -le 3 ] && [ "$_p" -le 255 ] || return 1
	done
}
ip4int() { _o=$IFS; IFS=.; set -- $1; IFS=$_o; echo $(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 )); }
# A host address a resolver can use: not 0/8, loopback, multicast or broadcast.
is_unicast4() {
	is_ip4 "$1" || return 1
	_a=${1%%.*}
	[ "$_a" -ge 1 ] && [ "$_a" -le 223 ] && [ "$_a" -ne 127 ]
}
# An IPv6 address in text form, not unspecified, loopback or multicast.
is_unicast6() {
	case "$1" in ""|*[!0-9a-fA-F:]*|::|::1|[fF][fF]*) return 1 ;; *:*) return 0 ;; esac
	return 1
}
# Host names for "search": letters, digits, dots, dashes.
good_domains() { case "$1" in *[!A-Za-z0-9.\ -]*) return 1 ;; esac; }
# set_resolv PART CHECK DOMAINS SERVERS: the usable ones as PART (dhcp4 or
# dhcp6) of resolv.conf, which is both parts together. None usable: the
# last good list stays.
set_resolv() {
	_part=$1 _check=$2 _dom=$3 _ns=$4 _lines="" _n=0
	if [ -n "$_dom" ]; then
		if good_domains "$_dom"; then _lines="search $_dom"; else say "ignored domain '$_dom'"; fi
	fi
	for _d in $_ns; do
		if $_check "$_d"; then
			_lines="$_lines${_lines:+
}nameserver $_d"
			_n=$((_n + 1))
		else
			say "ignored name server '$_d'"
		fi
	done
	[ "$_n" -gt 0 ] || return 0
	printf '%s\n' "$_lines" > "$RESOLV.$_part.tmp.$$" && mv -f "$RESOLV.$_part.tmp.$$" "$RESOLV.$_part"
	cat "$RESOLV.dhcp4" "$RESOLV.dhcp6" 2>/dev/null > "$RESOLV.tmp.$$"
	mv -f "$RESOLV.tmp.$$" "$RESOLV"
}
)sh";
}

std::string lease_script(const std::string& resolv) {
  return "#!/bin/sh\n"
         "# udhcpc lease script written by zos-bootstrap: checks the lease, applies it with ip(8).\n"
         "# Events: deconfig | bound | renew | leasefail | nak. Do not edit: rewritten.\n"
         "[ -n \"$interface\" ] || exit 1\n" +
         shell_helpers(resolv) + R"sh(
case "$1" in
deconfig)
	# The lease is gone (or the client is starting). When the last lease's
	# address and default route are the node's only way out, they stay: a
	# server that stopped answering must not take the node off the network.
	if ip -4 route show default dev "$interface" | grep -q . &&
	   ! ip -6 route show default dev "$interface" | grep -q .; then
		say "no lease: keeping the last IPv4 address and default route (no other route)"
	else
		ip -4 addr flush dev "$interface" scope global
	fi
	ip link set dev "$interface" up
	;;
bound|renew)
	if ! is_ip4 "$ip" || ! [ "${mask:-x}" -ge 0 ] 2>/dev/null; then
		say "rejected: '$ip/$mask' is not an IPv4 address"
		exit 1
	fi
	if [ "$mask" -eq 32 ]; then
		say "rejected: a /32 lease ($ip/32) has no subnet to reach a router in"
		exit 1
	fi
	if [ "$mask" -lt 8 ] || [ "$mask" -gt 32 ]; then
		say "rejected: /$mask is not a subnet mask for a lease"
		exit 1
	fi
	m=$(( (0xffffffff << (32 - mask)) & 0xffffffff ))
	net=$(( $(ip4int "$ip") & m ))
	gw=""
	for r in $router; do
		if is_ip4 "$r" && [ "$r" != "$ip" ] && [ $(( $(ip4int "$r") & m )) -eq "$net" ]; then
			gw=$r
			break
		fi
	done
	if [ -n "$router" ] && [ -z "$gw" ]; then
		say "rejected: router $router is outside $ip/$mask"
		exit 1
	fi
	[ -n "$staticroutes" ] && say "ignored classless static routes (option 121): $staticroutes"
	ip -4 -o addr show dev "$interface" scope global | while read -r _ _ _ a _; do
		[ "$a" = "$ip/$mask" ] || ip addr del "$a" dev "$interface"
	done
	ip addr replace "$ip/$mask" broadcast "${broadcast:-+}" dev "$interface"
	[ -n "$gw" ] && ip -4 route replace default via "$gw" dev "$interface"
	set_resolv dhcp4 is_unicast4 "$domain" "$dns"
	;;
leasefail|nak)
	;;
esac
exit 0
)sh";
}

namespace {

// Before taking an address udhcpc asks the segment (ARP) whether someone
// has it already, and declines an offer that is in use; 1 s for the answer.
constexpr const char* kArpCheck = "-a1000";

// What the lease script and udhcpc said about a refused lease.
std::vector<std::string> notes_of(const std::string& output) {
  std::vector<std::string> out;
  std::istringstream in(output);
  const std::string ours = "zos-bootstrap lease: ";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(ours, 0) == 0) out.push_back(line.substr(ours.size()));
    else if (line.find("is in use") != std::string::npos)
      out.push_back("offered address is in use on the segment, declined");
  }
  return out;
}

}  // namespace

ProbeResult probe(const DhcpClient& c, const std::string& iface, const std::string& script, int tries,
                  int interval) {
  auto argv = c.argv;
  for (const char* a : {"-f", "-q", "-n", "-i"}) argv.push_back(a);
  argv.push_back(iface);
  argv.insert(argv.end(),
              {"-t", std::to_string(tries), "-T", std::to_string(interval), "-A", "1", kArpCheck, "-s", script});
  spdlog::info("probe: {}", [&] {
    std::string s;
    for (const auto& a : argv) s += a + " ";
    return s;
  }());
  auto r = run_bounded(argv, (tries * interval + 10) * 1000);
  ProbeResult p;
  p.output = r.out;
  p.lease = r.status == 0 && !r.timed_out;
  p.notes = notes_of(r.out);
  spdlog::debug("udhcpc on {} exited {}: {}", iface, r.status, r.out);
  return p;
}

std::string service_text(const DhcpClient& c, const std::string& iface, const std::string& script) {
  return "# Written by zos-bootstrap uplink: keeps the DHCP client running on the " + iface +
         " bridge.\nexec: " + c.text() + " -f -i " + iface + " -t 20 -T 1 " + kArpCheck + " -s " + script +
         "\nlog: ring\n";
}

}  // namespace zos::bootstrap
