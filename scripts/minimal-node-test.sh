#!/usr/bin/env bash
# A minimal node: the .deb installed with --no-install-recommends on a fresh
# Debian 12 root (debootstrap --variant=minbase from the machine's own apt
# mirror) must build an NR and attach a container. Catches Depends that are
# missing (netbase: /etc/protocols for the firewall's protocol names).
#
#   scripts/minimal-node-test.sh <build dir>     (root; needs the network)
#
# The fresh root is cached as a tarball in $ZOS_TEST_CACHE (default
# /var/cache/zos-cni-test) so later runs skip debootstrap; an empty cache
# works, only slower. Everything runs in namespaces made here (a private
# mount, network and pid namespace), which vanish with the run. Exit 77 =
# skipped (not root, no debootstrap).
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 <build dir>}" && pwd)
CACHE=${ZOS_TEST_CACHE:-/var/cache/zos-cni-test}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v debootstrap >/dev/null || { echo "SKIP: debootstrap is not installed (scripts/install-deps.sh)"; exit 77; }

work=$(mktemp -d /tmp/zt-minimal-XXXXXX)
trap 'rm -rf "$work"' EXIT
say() { echo "== $*"; }

# The machine's Debian mirror (deb822 or one-line sources).
mirror=$(sed -n 's/^URIs: *\([^ ]*debian\)\/\?$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}

tarball=$CACHE/bookworm-minbase.tar
if [ ! -s "$tarball" ]; then
  say "debootstrap bookworm (minbase) from $mirror into the cache"
  mkdir -p "$CACHE" "$work/boot"
  debootstrap --variant=minbase bookworm "$work/boot" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
  tar -C "$work/boot" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$work/boot"
fi

root=$work/root
mkdir "$root"
tar -C "$root" -xf "$tarball"
[ ! -e "$root/etc/protocols" ] || { echo "FAIL: the fresh root already has /etc/protocols: this test would prove nothing"; exit 1; }

say "cpack"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD/CMakeCache.txt")
deb=$BUILD/zos-cni_${version}_$(dpkg --print-architecture).deb
(cd "$BUILD" && cpack -G DEB >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
cp "$deb" "$root/tmp/zos-cni.deb"
cp /etc/resolv.conf "$root/etc/resolv.conf"

say "apt-get install --no-install-recommends ./zos-cni.deb"
unshare -m --propagation private sh -c '
  mount -t proc proc "$1/proc" && exec chroot "$1" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/zos-cni.deb"' \
  sh "$root" >"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; exit 1; }
echo "  installed: $(chroot "$root" dpkg-query -W -f='${Package} ${Version}' zos-cni), $(chroot "$root" dpkg-query -W -f='${binary:Package}\n' | wc -l) packages in the root"

cat >"$root/etc/zos-net.json" <<'EOF'
{"network_id": "t-min", "version": 1, "allocation_nr": 0,
 "resources": [{"node_id": {"id": "node1"}, "prefix": "2a02:1802:5e:f70::/64", "peers": []}]}
EOF
cat >"$root/etc/zos-conf.json" <<'EOF'
{"cniVersion": "1.0.0", "name": "zos", "type": "zos-nr", "nodeId": "node1",
 "networkFile": "/etc/zos-net.json", "ipam": {"type": "zos-ipam", "ipv6": "both"}}
EOF

say "zos-nr apply and a CNI ADD/DEL inside the root (private mount, net and pid namespaces)"
# shellcheck disable=SC2016
unshare -m -n -p -f --propagation private sh -c '
  set -e
  root=$1
  mount -t proc proc "$root/proc"
  mount -t tmpfs zt-minimal-run "$root/run"
  ip link set lo up
  ns=$(chroot "$root" /usr/sbin/zos-nr apply /etc/zos-net.json --node node1)
  echo "  apply: $ns"
  unshare -n sleep 60 & c=$!  # pid in our pid namespace: its /proc is $root/proc
  sleep 0.2
  out=$(chroot "$root" env CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_IFNAME=eth0 CNI_NETNS=/proc/$c/ns/net \
        CNI_PATH=/opt/cni/bin /opt/cni/bin/zos-nr </"$root/etc/zos-conf.json")
  echo "  ADD: $out"
  echo "$out" | grep -q "\"10.15.112.2/24\"" || { echo "FAIL: ADD gave no address of the NR"; exit 1; }
  nsenter --net="$root/proc/$c/ns/net" ping -c1 -W3 10.15.112.1 >/dev/null || { echo "FAIL: the container cannot ping its gateway"; exit 1; }
  chroot "$root" env CNI_COMMAND=DEL CNI_CONTAINERID=c1 CNI_IFNAME=eth0 CNI_NETNS= \
    CNI_PATH=/opt/cni/bin /opt/cni/bin/zos-nr </"$root/etc/zos-conf.json"
  chroot "$root" /usr/sbin/zos-nr delete /etc/zos-net.json --node node1
  kill $c' sh "$root"
say "PASS"
