#!/usr/bin/env bash
# The main job: builds zos-cni and shows a tenant network spanning three
# simulated nodes: containers on every node reach each other through the
# WireGuard mesh, and the Internet through the exit node (masqueraded IPv4,
# routed IPv6, a DNAT rule into a container).
#
# Everything happens inside network namespaces this script makes and removes
# at the end; the machine's own network is not touched. Run as root.
#
#   zos-demo-sw      the underlay switch (bridge sw0)
#   zos-demo-n1..3   the nodes; zos-nr runs inside them (nsenter)
#   zos-demo-pub1    node1's public namespace (exit node): underlay + Internet link
#   zos-demo-inet    "the Internet": 203.0.113.1, 2001:db8:ff::1
#   zos-demo-cN      one container per node
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh --plugins >/dev/null
BIN=$PWD/build/bin
PY=/usr/bin/python3

nodes=(zos-demo-n1 zos-demo-n2 zos-demo-n3)
ctrs=(zos-demo-c1 zos-demo-c2 zos-demo-c3)
others=(zos-demo-sw zos-demo-pub1 zos-demo-inet)
work=$(mktemp -d /tmp/zos-demo.XXXXXX)
server_pid=""

conf() {  # conf <node index 1..3>
  printf '{"cniVersion":"1.1.0","name":"zos-demo","type":"zos-nr","nodeId":"node%s","networkFile":"%s","dataDir":"%s","publicNamespace":"zos-demo-pub%s","ipam":{"type":"zos-ipam","ipv6":"both"}}' \
    "$1" "$work/network.json" "$work/data$1" "$1"
}
cni() {  # cni <verb> <node index> <container>
  CNI_COMMAND=$1 CNI_CONTAINERID=$3 CNI_NETNS=/run/netns/$3 CNI_IFNAME=eth0 CNI_PATH="$BIN" \
    nsenter --net=/run/netns/zos-demo-n$2 "$BIN/zos-nr" < <(conf "$2")
}
manage() {  # manage <node index> <args...>
  local i=$1; shift
  nsenter --net=/run/netns/zos-demo-n$i "$BIN/zos-nr" "$@" --data-dir "$work/data$i" --public-namespace zos-demo-pub$i
}

cleanup() {
  set +e
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  for i in 1 2 3; do
    [ -e /run/netns/zos-demo-c$i ] && [ -e /run/netns/zos-demo-n$i ] && cni DEL $i zos-demo-c$i >/dev/null 2>&1
    [ -e /run/netns/zos-demo-n$i ] && [ -e "$work/network.json" ] && manage $i delete "$work/network.json" --node node$i >/dev/null 2>&1
  done
  for n in "${ctrs[@]}" "${nodes[@]}" "${others[@]}"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
for n in "${ctrs[@]}" "${nodes[@]}" "${others[@]}"; do ip netns del "$n" 2>/dev/null || true; done

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/$ns "$@"; }

say "a grid of three nodes on an underlay switch; node1 is the exit, with a public namespace and the Internet behind it"
for n in "${nodes[@]}" "${others[@]}" "${ctrs[@]}"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n zos-demo-sw link add sw0 type bridge && ip -n zos-demo-sw link set sw0 up
for i in 1 2 3; do
  side=zos-demo-n$i; [ $i = 1 ] && side=zos-demo-pub1
  ip -n zos-demo-sw link add p$i type veth peer name up0 netns $side
  ip -n zos-demo-sw link set p$i master sw0 up
  ip -n $side addr add 192.168.251.$i/24 dev up0 && ip -n $side link set up0 up
  echo "  node$i: underlay 192.168.251.$i on $side"
done
ip -n zos-demo-n2 route add default via 192.168.251.1
ip -n zos-demo-n3 route add default via 192.168.251.1
ip -n zos-demo-inet link add wan0 type veth peer name inet0 netns zos-demo-pub1
ip -n zos-demo-inet addr add 203.0.113.1/24 dev wan0
ip -n zos-demo-inet addr add 2001:db8:ff::1/64 dev wan0 nodad
ip -n zos-demo-inet link set wan0 up
ip -n zos-demo-inet route add 2a02:1802:5e::/48 via 2001:db8:ff::10
ip -n zos-demo-pub1 addr add 203.0.113.2/24 dev inet0 && ip -n zos-demo-pub1 link set inet0 up
ip -n zos-demo-pub1 route add default via 203.0.113.1
echo "  Internet: 203.0.113.1 and 2001:db8:ff::1 (no route to 10.0.0.0/8: IPv4 must be masqueraded)"

say "the network object: three resources, WireGuard keys made with wg genkey, node1 the exit"
$PY - "$work/network.json" <<'PY'
import json, subprocess, sys
def key():
    priv = subprocess.run(["wg", "genkey"], capture_output=True, text=True, check=True).stdout.strip()
    pub = subprocess.run(["wg", "pubkey"], input=priv, capture_output=True, text=True, check=True).stdout.strip()
    return priv, pub
members = [(i, "2a02:1802:5e:10%s::/64" % "abc"[i - 1], "192.168.251.%d" % i, 51820 + i, *key()) for i in (1, 2, 3)]
res = []
for i, prefix, ip, port, priv, pub in members:
    peers = []
    for j, pp, pip, pport, ppriv, ppub in members:
        c = {"ip": pip, "port": pport, "key": ppub}
        if j == i: c["private_key"] = priv
        peers.append({"type": 0, "prefix": pp, "connection": c})
    r = {"node_id": {"id": "node%d" % i}, "prefix": prefix, "peers": peers}
    if i == 1: r["exit_point"] = True
    res.append(r)
net = {"network_id": "demo", "version": 1, "allocation_nr": 0, "resources": res,
       "exit_point": {"ipv4_conf": {"cidr": "203.0.113.10/24", "gateway": "203.0.113.1", "iface": "inet0", "enable_nat": True},
                      "ipv6_conf": {"addr": "2001:db8:ff::10/64", "gateway": "2001:db8:ff::1", "iface": "inet0"},
                      "ipv4_dnat": [{"internal_ip": "10.1.11.2", "internal_port": 8080, "external_ip": "203.0.113.10",
                                     "external_port": 80, "protocol": "tcp"}]}}
json.dump(net, open(sys.argv[1], "w"), indent=1)
for i, prefix, ip, port, priv, pub in members:
    print("  node%d  %-24s endpoint %s:%d%s" % (i, prefix, ip, port, "  (exit: 203.0.113.10, 2001:db8:ff::10)" if i == 1 else ""))
print("  DNAT 203.0.113.10:80 -> 10.1.11.2:8080 (the container on node2)")
PY

say "CNI ADD of one container per node through zos-nr (the first ADD on a node builds its NR)"
declare -A v4 v6
for i in 1 2 3; do
  start=$(date +%s%N)
  out=$(cni ADD $i zos-demo-c$i)
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  read -r a4 a6 _ < <(echo "$out" | $PY -c 'import json,sys; r=json.load(sys.stdin); print(" ".join(i["address"].split("/")[0] for i in r["ips"]))')
  v4[$i]=$a4; v6[$i]=$a6
  printf '  node%s  %-12s %-12s %-28s mtu %s  (%d ms)\n' "$i" zos-demo-c$i "$a4" "$a6" \
    "$(in_ns zos-demo-c$i ip -o link show eth0 | sed -n 's/.* mtu \([0-9]*\).*/\1/p')" "$ms"
done

say "node2's network resource, as zos-nr show reports it"
manage 2 show

say "who reaches whom (ping over the WireGuard mesh, IPv4 and IPv6)"
ok=0; fail=0
probe() {  # probe <from ns> <label> <target>
  local tries=3
  while [ $tries -gt 0 ]; do
    if in_ns "$1" ping -c1 -W2 "$3" >/dev/null 2>&1; then
      printf '  %-12s -> %-14s %-28s ok\n' "$1" "$2" "$3"; ok=$((ok+1)); return
    fi
    tries=$((tries-1))
  done
  printf '  %-12s -> %-14s %-28s FAILED\n' "$1" "$2" "$3"; fail=$((fail+1))
}
for i in 1 2 3; do
  for j in 1 2 3; do
    [ $i = $j ] && continue
    probe zos-demo-c$i zos-demo-c$j "${v4[$j]}"
    probe zos-demo-c$i zos-demo-c$j "${v6[$j]}"
  done
done

say "out through the exit (node1): IPv4 masqueraded, IPv6 routed"
for i in 1 2 3; do
  probe zos-demo-c$i Internet 203.0.113.1
  probe zos-demo-c$i Internet 2001:db8:ff::1
done

say "in through the exit: DNAT 203.0.113.10:80 -> the container on node2 (port 8080)"
nsenter --net=/run/netns/zos-demo-c2 $PY -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 8080)); s.listen()
while True:
    k, a = s.accept(); k.sendall(b"hello from zos-demo-c2, you are %s\n" % a[0].encode()); k.close()' &
server_pid=$!
sleep 0.5
if reply=$(in_ns zos-demo-inet $PY -c 'import socket; s=socket.create_connection(("203.0.113.10",80),timeout=3); print(s.recv(200).decode().strip())' 2>&1); then
  echo "  Internet -> 203.0.113.10:80: $reply"; ok=$((ok+1))
else
  echo "  Internet -> 203.0.113.10:80: FAILED ($reply)"; fail=$((fail+1))
fi
kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; server_pid=""
echo "  $ok reachable, $fail failed"

say "CNI DEL of every container, then DeleteNetResource on every node"
for i in 1 2 3; do
  cni DEL $i zos-demo-c$i && echo "  DEL zos-demo-c$i: ok"
  manage $i delete "$work/network.json" --node node$i && echo "  node$i: NR deleted"
done
[ "$fail" -eq 0 ]
