#!/usr/bin/env bash
# Benchmark (not a test): N ADD+DEL cycles of zos-ipam and of the reference
# host-local IPAM (Debian containernetworking-plugins), interleaved in one run,
# same pool size. Prints a markdown table and the time / peak-RSS ratios.
#   bench/ipam_bench.sh [N]        (default 200)
#   ZOS_IPAM=path/to/zos-ipam HOST_LOCAL=/usr/lib/cni/host-local
#   BENCH_DIR=/dev/shm   where the dataDirs go (default $TMPDIR or /tmp). On a
#                        disk, zos-ipam's fsyncs (host-local makes none) dominate.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-${N:-200}}
zos=${ZOS_IPAM:-build/bin/zos-ipam}
hl=${HOST_LOCAL:-/usr/lib/cni/host-local}
if [ ! -x "$hl" ]; then
  echo "ipam_bench: $hl is missing: apt-get install -y containernetworking-plugins" >&2
  exit 1
fi
if [ ! -x "$zos" ]; then
  echo "ipam_bench: $zos is missing: run scripts/build.sh first" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
g++ -O2 -static -o "$tmp/spawn_rss" bench/spawn_rss.cpp
python3 bench/ipam_bench.py -n "$n" --zos "$zos" --host-local "$hl" --helper "$tmp/spawn_rss" ${BENCH_DIR:+--dir "$BENCH_DIR"}
