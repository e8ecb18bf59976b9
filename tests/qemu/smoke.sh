#!/bin/sh
# Guest test proving the qemu harness (run by tests/qemu/run-guest.sh, inside
# the guest, as /test.sh, under busybox sh). Needs the host's ip (iproute2),
# wg (wireguard-tools) and nft (nftables) in the guest:
#
#   tests/qemu/run-guest.sh tests/qemu/smoke.sh /usr/bin/ip /usr/bin/wg /usr/sbin/nft
#
# 1. kernel WireGuard: two netns joined by veth, a wg link in each, a tunnel
#    configured with `wg set`, IPv4 and IPv6 pings through it, handshake and
#    counters read back.
# 2. nf_tables: a router netns with a bridge and an inet nat table that
#    masquerades; a client reaches a server that has no route back, which only
#    works when masquerade does; the rule's counter is checked.
set -eu

fail() { echo "SMOKE FAIL: $*"; exit 1; }
step() { echo "--- [$(cut -d" " -f1 /proc/uptime)s] $*"; }
t_start=$(cut -d' ' -f1 /proc/uptime)

step "kernel $(uname -r); $(ip -V)"
ip link add probe0 type wireguard 2>/dev/null || fail "no wireguard link type"
ip link del probe0
step "wireguard link type available"

# ---- WireGuard between two namespaces ----------------------------------
ip netns add a
ip netns add b
ip link add va netns a type veth peer name vb netns b
ip -n a addr add 192.168.77.1/24 dev va
ip -n b addr add 192.168.77.2/24 dev vb
for ns in a b; do ip -n $ns link set lo up; done
ip -n a link set va up
ip -n b link set vb up

umask 077
wg genkey > /tmp/ka
wg genkey > /tmp/kb
pa=$(wg pubkey < /tmp/ka)
pb=$(wg pubkey < /tmp/kb)

ip -n a link add wg0 type wireguard
ip -n b link add wg0 type wireguard

# a has no endpoint for b: it learns it from b's first handshake
ip netns exec a wg set wg0 private-key /tmp/ka listen-port 51820 \
  peer "$pb" allowed-ips 10.9.0.2/32,fd00:9::2/128
ip netns exec b wg set wg0 private-key /tmp/kb listen-port 51821 fwmark 0x51 \
  peer "$pa" endpoint 192.168.77.1:51820 allowed-ips 10.9.0.1/32,fd00:9::1/128 \
  persistent-keepalive 25
ip -n a addr add 10.9.0.1/24 dev wg0
ip -n b addr add 10.9.0.2/24 dev wg0
ip -n a addr add fd00:9::1/64 dev wg0 nodad
ip -n b addr add fd00:9::2/64 dev wg0 nodad
ip -n a link set wg0 up
ip -n b link set wg0 up

step "ping over wireguard (IPv4); b initiates the handshake"
ip netns exec b ping -c 2 -i 0.2 -W 5 10.9.0.1 || fail "ipv4 b->a through wg"
ip netns exec a ping -c 2 -i 0.2 -W 5 10.9.0.2 || fail "ipv4 a->b through wg"
step "ping over wireguard (IPv6)"
ip netns exec a ping -c 2 -i 0.2 -W 5 fd00:9::2 || fail "ipv6 a->b through wg"
step "ping with a packet filling the 1420-byte wg MTU"
ip netns exec a ping -c 1 -i 0.2 -W 5 -s 1392 10.9.0.2 || fail "large ping"

step "wg show"
ip netns exec a wg show
ip netns exec b wg show
hs=$(ip netns exec a wg show wg0 latest-handshakes | awk '{print $2}')
[ -n "$hs" ] && [ "$hs" -gt 0 ] || fail "no handshake recorded"
rx=$(ip netns exec a wg show wg0 transfer | awk '{print $2}')
[ "$rx" -gt 0 ] || fail "no bytes received"
ep=$(ip netns exec a wg show wg0 endpoints | awk '{print $2}')
[ "$ep" = "192.168.77.2:51821" ] || fail "a learnt endpoint '$ep'"
ip netns exec a wg show wg0 private-key >/dev/null
step "wireguard OK (handshake $hs, rx $rx bytes, endpoint learnt $ep)"

# ---- nf_tables: masquerade through a bridged router ----------------------
ip netns add c   # client 10.1.0.2
ip netns add r   # router: br0 10.1.0.1 toward c, vs 10.2.0.1 toward s
ip netns add s   # server 10.2.0.2, no route back to 10.1.0.0/24
ip link add vc netns c type veth peer name vrc netns r
ip link add vs netns s type veth peer name vrs netns r
ip -n r link add br0 type bridge
ip -n r link set vrc master br0
for ns in c r s; do ip -n $ns link set lo up; done
ip -n r link set vrc up
ip -n r link set br0 up
ip -n r link set vrs up
ip -n c link set vc up
ip -n s link set vs up
ip -n r addr add 10.1.0.1/24 dev br0
ip -n r addr add 10.2.0.1/24 dev vrs
ip -n c addr add 10.1.0.2/24 dev vc
ip -n s addr add 10.2.0.2/24 dev vs
ip -n c route add default via 10.1.0.1
ip netns exec r sysctl -q -w net.ipv4.ip_forward=1

step "without masquerade the server cannot answer"
if ip netns exec c ping -c 1 -W 1 10.2.0.2 >/dev/null 2>&1; then
  fail "reached the server without NAT"
fi

ip netns exec r nft -f - <<'EOF'
table inet zos_smoke {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 10.1.0.0/24 oifname "vrs" counter masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related counter accept
    iifname "br0" oifname "vrs" counter accept
    fib daddr type local counter reject
  }
}
EOF
step "with masquerade"
ip netns exec c ping -c 2 -i 0.2 -W 5 10.2.0.2 || fail "no reply through masquerade"
ip netns exec r nft list ruleset
n=$(ip netns exec r nft list chain inet zos_smoke post | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
[ "${n:-0}" -gt 0 ] || fail "masquerade counter is ${n:-empty}"
step "nftables OK (masquerade counter $n)"

# the root namespace too, as the firewall of a node without netns would
nft add table inet zos_root
nft add chain inet zos_root input '{ type filter hook input priority 0; policy accept; }'
nft list ruleset | grep -q 'table inet zos_root' || fail "root ruleset"

t_end=$(cut -d' ' -f1 /proc/uptime)
step "SMOKE OK (guest uptime at start ${t_start}s, at end ${t_end}s)"
exit 0
