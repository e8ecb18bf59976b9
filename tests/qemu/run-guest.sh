#!/usr/bin/env bash
# Boots a Debian kernel under qemu (TCG, no KVM needed) with an initramfs that
# holds TEST_SCRIPT (run as /test.sh) and the given host files, streams the
# guest's serial console, and exits with the script's exit status.
#
# usage: run-guest.sh TEST_SCRIPT [HOST_PATH...]
#
# Exit status: the guest script's status; 124 when the guest ran out of time;
# 125 when the harness failed (build error, qemu error, no result marker).
#
# Environment (all optional):
#   ZOS_QEMU_TIMEOUT  seconds before the guest is killed (default 300)
#   ZOS_QEMU_MEM      guest memory in MiB (default 1024)
#   ZOS_QEMU_SMP      guest CPUs (default 1)
#   ZOS_QEMU_ENV      K=V,K=V exported to the test script in the guest
#   ZOS_QEMU_APPEND   extra kernel command line
#   ZOS_QEMU_LOG      also write the console (\r stripped) to this file
#   ZOS_QEMU_QUIET=1  do not stream the console, print it only on failure
#   plus those of build-guest.sh (ZOS_QEMU_CACHE, ZOS_QEMU_KPKG, ZOS_QEMU_MODULES)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -ge 1 ] || { echo "usage: run-guest.sh TEST_SCRIPT [HOST_PATH...]" >&2; exit 125; }

timeout_s="${ZOS_QEMU_TIMEOUT:-300}"
mem="${ZOS_QEMU_MEM:-1024}"
smp="${ZOS_QEMU_SMP:-1}"

command -v qemu-system-x86_64 >/dev/null \
  || { echo "run-guest: qemu-system-x86_64 missing (scripts/install-deps.sh)" >&2; exit 125; }

work="$(mktemp -d "${TMPDIR:-/tmp}/zos-qemu.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

t0=$(date +%s.%N)
if ! "$here/build-guest.sh" -o "$work/initrd.img" "$@" > "$work/build.out"; then
  echo "run-guest: building the guest failed" >&2
  exit 125
fi
kernel="$(sed -n 's/^KERNEL=//p' "$work/build.out")"
initrd="$(sed -n 's/^INITRD=//p' "$work/build.out")"
t1=$(date +%s.%N)

append="console=ttyS0 panic=-1 quiet loglevel=3 random.trust_cpu=on"
[ -n "${ZOS_QEMU_ENV:-}" ] && append="$append zos.env=${ZOS_QEMU_ENV}"
[ -n "${ZOS_QEMU_APPEND:-}" ] && append="$append ${ZOS_QEMU_APPEND}"

console="$work/console.log"
qemu=(qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -smp "$smp"
      -nographic -no-reboot -monitor none -serial stdio -nodefaults -vga none
      -kernel "$kernel" -initrd "$initrd" -append "$append")

# qemu runs in the background so that a SIGTERM/SIGINT to this script (ctest
# timeout, ^C) stops it too; `timeout` hands the signal on to qemu.
timeout -k 5 "$timeout_s" "${qemu[@]}" </dev/null >"$work/raw.log" 2>&1 &
qpid=$!
trap 'kill -TERM $qpid 2>/dev/null; wait $qpid 2>/dev/null; cleanup; exit 130' INT TERM
tpid=""
if [ "${ZOS_QEMU_QUIET:-0}" != 1 ]; then
  tail -n +1 -s 0.2 -F --pid=$qpid "$work/raw.log" 2>/dev/null | tr -d '\r' &
  tpid=$!
fi
wait $qpid; qrc=$?
[ -n "$tpid" ] && wait "$tpid"
trap - INT TERM
tr -d '\r' < "$work/raw.log" > "$console"
t2=$(date +%s.%N)
[ -n "${ZOS_QEMU_LOG:-}" ] && cp "$console" "$ZOS_QEMU_LOG"

rc="$(sed -n 's/^ZOS-QEMU-RESULT rc=\([0-9]\+\)$/\1/p' "$console" | tail -1)"
timing="$(awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN{printf "build %.1fs, guest %.1fs", b-a, c-b}')"
if [ -z "$rc" ]; then
  [ "${ZOS_QEMU_QUIET:-0}" = 1 ] && cat "$console"
  if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    echo "run-guest: TIMEOUT after ${timeout_s}s, no result marker ($timing)" >&2
    exit 124
  fi
  echo "run-guest: FAILED: no result marker (qemu exit $qrc; $timing)" >&2
  exit 125
fi
if [ "$rc" != 0 ] && [ "${ZOS_QEMU_QUIET:-0}" = 1 ]; then cat "$console"; fi
echo "run-guest: guest test exited rc=$rc ($timing)" >&2
exit "$rc"
