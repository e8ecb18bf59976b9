#!/usr/bin/env bash
# The main job: builds zos-cni and shows it working on one simulated node.
# Everything happens inside network namespaces this script makes (the node
# and its containers) and is removed at the end; the machine's own network
# is not touched. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh --plugins >/dev/null
BIN=$PWD/build/bin

node=zos-demo-node
containers=(zos-demo-a zos-demo-b zos-demo-c)
work=$(mktemp -d /tmp/zos-demo.XXXXXX)
conf="$work/conf.json"

cleanup() {
  set +e
  for c in "${containers[@]}"; do
    [ -e "/run/netns/$c" ] && CNI_COMMAND=DEL CNI_CONTAINERID="$c" CNI_NETNS="/run/netns/$c" CNI_IFNAME=eth0 \
      CNI_PATH="$BIN" nsenter --net=/run/netns/$node "$BIN/zos-nr" <"$conf" >/dev/null 2>&1
    ip netns del "$c" 2>/dev/null
  done
  [ -e /run/netns/$node ] && ZOS_DATA_DIR="$work/data" nsenter --net=/run/netns/$node \
    "$BIN/zos-nr" delete "$work/network.json" --node node1 2>/dev/null
  ip netns del $node 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cleanup_pre() { ip netns del $node 2>/dev/null || true; for c in "${containers[@]}"; do ip netns del "$c" 2>/dev/null || true; done; }
cleanup_pre

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cp conf/network-demo.json "$work/network.json"
cat >"$conf" <<JSON
{"cniVersion":"1.1.0","name":"zos-demo","type":"zos-nr","nodeId":"node1",
 "networkFile":"$work/network.json","dataDir":"$work/data",
 "ipam":{"type":"zos-ipam","ipv6":"both"}}
JSON

say "zos-ipam alone: addresses for three containers in the NR of prefix 2a02:1802:5e:10a::/64"
ipam_conf='{"cniVersion":"1.0.0","name":"ipam-demo","ipam":{"type":"zos-ipam","prefix":"2a02:1802:5e:10a::/64","ipv6":"ipv4","dataDir":"'"$work"'/ipam-only"}}'
for c in one two three; do
  printf '%-6s ' "$c"
  echo "$ipam_conf" | CNI_COMMAND=ADD CNI_CONTAINERID=$c CNI_NETNS=/dev/null CNI_IFNAME=eth0 CNI_PATH="$BIN" "$BIN/zos-ipam" |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print("  ".join(i["address"] for i in r["ips"]))'
done

say "a node ($node) and three containers (${containers[*]})"
ip netns add $node
ip -n $node link set lo up
for c in "${containers[@]}"; do ip netns add "$c"; done

say "CNI ADD of each container through zos-nr (the first one builds the network resource)"
for c in "${containers[@]}"; do
  start=$(date +%s%N)
  out=$(CNI_COMMAND=ADD CNI_CONTAINERID="$c" CNI_NETNS="/run/netns/$c" CNI_IFNAME=eth0 CNI_PATH="$BIN" \
        nsenter --net=/run/netns/$node "$BIN/zos-nr" <"$conf")
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "$out" | python3 -c 'import json,sys
r=json.load(sys.stdin)
print("%-11s %-4s %s  (%d ms)" % (sys.argv[1], r["interfaces"][2]["name"], "  ".join(i["address"] for i in r["ips"]), int(sys.argv[2])))' "$c" "$ms"
done

say "the network resource, as zos-nr show reports it"
ZOS_DATA_DIR="$work/data" nsenter --net=/run/netns/$node "$BIN/zos-nr" show

addr() { ip -n "$1" -"$2" -o addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1 | head -1; }
say "who reaches whom (ping, IPv4 and IPv6)"
ok=0; fail=0
for src in "${containers[@]}"; do
  for dst in "${containers[@]}" gateway; do
    [ "$src" = "$dst" ] && continue
    for fam in 4 6; do
      if [ "$dst" = gateway ]; then
        target=$([ $fam = 4 ] && echo 10.1.10.1 || echo 2a02:1802:5e:10a::1)
      else
        target=$(addr "$dst" $fam)
      fi
      if ip netns exec "$src" ping -$fam -c1 -W2 "$target" >/dev/null 2>&1; then
        printf '  %-11s -> %-11s %-28s ok\n' "$src" "$dst" "$target"; ok=$((ok+1))
      else
        printf '  %-11s -> %-11s %-28s FAILED\n' "$src" "$dst" "$target"; fail=$((fail+1))
      fi
    done
  done
done
echo "  $ok reachable, $fail failed"

say "CNI DEL of every container, then DeleteNetResource"
for c in "${containers[@]}"; do
  CNI_COMMAND=DEL CNI_CONTAINERID="$c" CNI_NETNS="/run/netns/$c" CNI_IFNAME=eth0 CNI_PATH="$BIN" \
    nsenter --net=/run/netns/$node "$BIN/zos-nr" <"$conf" && echo "  DEL $c: ok"
done
ZOS_DATA_DIR="$work/data" nsenter --net=/run/netns/$node "$BIN/zos-nr" delete "$work/network.json" --node node1 && echo "  NR deleted"
[ "$fail" -eq 0 ]
