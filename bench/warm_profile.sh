#!/bin/bash
# One warm ADD (and CHECK, DEL) of zos-nr under callgrind, and the page faults
# of 8 more warm ADDs (perf stat), into an NR with no peers as nr_bench.py's.
# Root; it runs itself in a network and mount namespace of its own (with a
# private /run/netns), so the NR it builds never touches the machine's:
#   bench/warm_profile.sh build/bin /tmp/prof
# writes /tmp/prof.add.cg, .check.cg, .del.cg (callgrind, --demangle=no: what
# bench/hot_symbols.py reads) and prints the instruction and fault counts.
set -euo pipefail
if [ -z "${ZWP_INNER:-}" ]; then
  mkdir -p /run/netns
  exec env ZWP_INNER=1 unshare --net --mount --propagation private -- \
    bash -c 'mount -t tmpfs zwp-netns /run/netns && exec "$0" "$@"' "$0" "$@"
fi
BIN=$(realpath "$1"); OUT=$2
T=$(mktemp -d /dev/shm/zos-warm-profile-XXXX)
cleanup() {
  for n in $(ip netns list | awk '/^zwp-/{print $1}'); do ip netns del "$n"; done
  CNI_PATH=$BIN ZOS_DATA_DIR=$T/zos "$BIN/zos-nr" delete zwpbench >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
ip link set lo up
mkdir -p "$T/zos"
echo '{"network_id":"zwpbench","version":1,"allocation_nr":0,"resources":[{"node_id":{"id":"node1"},"prefix":"2a02:1802:5e:c00::/64","peers":[]}]}' > "$T/net.json"
CONF='{"cniVersion":"1.0.0","name":"zosbench","type":"zos-nr","nodeId":"node1","networkFile":"'$T/net.json'","dataDir":"'$T/zos'","ipam":{"type":"zos-ipam","ipv6":"ipv4"}}'
cni() {  # cni CMD i CONF [wrapper...]
  local cmd=$1 i=$2 conf=$3; shift 3
  env -i PATH=/usr/bin:/bin CNI_COMMAND="$cmd" CNI_CONTAINERID="c$i" CNI_NETNS="/run/netns/zwp-$i" \
    CNI_IFNAME=eth0 CNI_PATH="$BIN" "$@" "$BIN/zos-nr" <<<"$conf"
}
for i in 1 2 3; do ip netns add "zwp-$i"; cni ADD "$i" "$CONF" >/dev/null; done  # #1 builds the NR
CG="valgrind -q --tool=callgrind --demangle=no --callgrind-out-file"
ip netns add zwp-4
cni ADD 4 "$CONF" $CG="$OUT.add.cg" > "$T/add4"
PREV=$(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); c["prevResult"]=json.load(open(sys.argv[2])); print(json.dumps(c))' "$CONF" "$T/add4")
cni CHECK 4 "$PREV" $CG="$OUT.check.cg" >/dev/null
cni DEL 4 "$PREV" $CG="$OUT.del.cg" >/dev/null
for f in add check del; do echo "$f: $(sed -n 's/^summary: //p' "$OUT.$f.cg") instructions (callgrind)"; done
faults=()
for i in 5 6 7 8 9 10 11 12; do
  ip netns add "zwp-$i"
  cni ADD "$i" "$CONF" perf stat -x, -e page-faults -o "$T/pf" >/dev/null
  faults+=("$(awk -F, '/page-faults/{print $1}' "$T/pf")")
done
echo "warm ADD page faults: ${faults[*]}"
