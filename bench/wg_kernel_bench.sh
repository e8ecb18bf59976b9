#!/usr/bin/env bash
# The apply part of bench/wg_bench.py with the KERNEL WireGuard backend
# (generic netlink), run inside the qemu guest of tests/qemu (Debian's cloud
# kernel with the real wireguard module; this machine's kernel has none).
# The guest CPU is emulated (TCG, 1 vCPU): wall times are many times those of
# real hardware and only compare with each other; round trips are exact.
#
#   sudo bench/wg_kernel_bench.sh [--quick] [--bin build/bin]
#
# --quick: 1 repetition and N = 1, 100, 1000 (default 3 repetitions of
# 1, 10, 100, 1000). Prints the median wall time and the round trips per
# operation. Needs scripts/install-deps.sh and scripts/build.sh --plugins.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/build/bin"
reps=3
peers=1,10,100,1000
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) reps=1; peers=1,100,1000 ;;
    --bin) bin="$(cd "$2" && pwd)"; shift ;;
    *) echo "usage: wg_kernel_bench.sh [--quick] [--bin DIR]" >&2; exit 2 ;;
  esac
  shift
done
for b in zos-nr zos-ipam zos-nft; do
  [ -x "$bin/$b" ] || { echo "wg_kernel_bench: $bin/$b missing: run scripts/build.sh --plugins" >&2; exit 2; }
done

work="$(mktemp -d /tmp/zos-wg-kbench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$root/bench/wg_bench.py" --emit "$work/nets" --peers "$peers"
export ZOS_QEMU_ENV="WB_BIN=$bin,WB_DIR=$work/nets,WB_REPS=$reps"
export ZOS_QEMU_QUIET=1 ZOS_QEMU_LOG="$work/console.log" ZOS_QEMU_TIMEOUT="${ZOS_QEMU_TIMEOUT:-900}"
export ZOS_QEMU_CACHE="${ZOS_QEMU_CACHE:-$root/build/qemu}"
rc=0
nice -n 10 "$root/tests/qemu/run-guest.sh" "$root/bench/wg_kernel_guest.sh" "$bin" "$work/nets" \
  /usr/bin/date /usr/bin/nsenter /usr/bin/ip /usr/bin/wg || rc=$?
if [ "$rc" != 0 ]; then
  echo "wg_kernel_bench: the guest run failed (rc $rc)" >&2
  [ -f "$work/console.log" ] && tail -n 40 "$work/console.log" >&2
  exit 1
fi
kernel="$(sed -n 's/^WB-KERNEL-VERSION \([^ ]*\).*/\1/p' "$work/console.log" | tr -d '\r' | head -n 1)"
grep '^WB-KERNEL ' "$work/console.log" | tr -d '\r' | /usr/bin/python3 -c '
import statistics, sys
rows = {}
for line in sys.stdin:
    _, n, op, ms, rt, backend, on = line.split()
    rows.setdefault((int(n), op), []).append((int(ms), rt, backend, on))
label = {"create": "first apply (creates the NR)", "reapply": "re-apply, same version",
         "newver": "new version, same peers", "change1": "new version, 1 peer changed", "delete": "delete"}
print("Apply, kernel backend (generic netlink) in a TCG-emulated qemu guest, kernel %s, median of %d" % (
    sys.argv[1] or "?", len(next(iter(rows.values())))))
print()
print("| peers | operation | wall ms (TCG) | WG round trips | peers on the device |")
print("|---:|---|---:|---:|---:|")
for (n, op), xs in sorted(rows.items(), key=lambda kv: (kv[0][0], list(label).index(kv[0][1]))):
    ms = statistics.median(x[0] for x in xs)
    print("| %d | %s | %.0f | %s | %s |" % (n, label[op], ms, xs[0][1], xs[0][3]))
' "$kernel"
