#!/bin/sh
# Guest test: zos-nr's multi-node tests (test_nr "[mesh]", and "[grid]" once
# it exists) with the KERNEL WireGuard backend, which zos-nr picks by itself
# because the guest kernel has the wireguard link type. Run by
# tests/qemu/run-guest.sh inside the guest as /test.sh (the ctest
# qemu_nr_kernel_mesh):
#
#   ZOS_QEMU_ENV=ZOS_TEST_NR=$B/bin/test_nr \
#   tests/qemu/run-guest.sh tests/qemu/nr-kernel.sh \
#       $B/bin/test_nr $B/bin/zos-nr $B/bin/zos-ipam $B/bin/zos-nft \
#       /usr/bin/ip /usr/bin/ping /usr/bin/wg /usr/bin/nsenter /usr/bin/pgrep
#
# Environment (through ZOS_QEMU_ENV, whose items are split on commas):
#   ZOS_TEST_NR   the test binary (a HOST_PATH too); default: the first
#                 */bin/test_nr in the guest
#   ZOS_NR_TAGS   Catch2 test specs separated by ':' (or ','), default
#                 "[mesh]:[grid]". Specs that match no test are skipped with a
#                 note; the rest run in one go. Nothing matching is a failure.
#
# Proof that the kernel backend did the work, beside the tests' own checks
# (ZOS_TEST_WG_BACKEND=kernel makes them insist the links are of kind
# wireguard and no wireguard-go runs): zos-nr's info log, collected from every
# call, must have "WireGuard round trip(s) (kernel)" and never "(userspace)".
# Also fails when the tests leave a network namespace behind.
# Exit status: 0 pass; 1 a test or a check failed; 2 the guest lacks something.
set -u
set -f  # specs like [mesh] are not file patterns

up() { cut -d' ' -f1 /proc/uptime; }
t0=$(up)
say() { echo "nr-kernel: $*"; }

bin="${ZOS_TEST_NR:-}"
[ -n "$bin" ] || bin="$(find / -xdev -path '*/bin/test_nr' -type f 2>/dev/null | head -n 1)"
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  say "test binary not found (ZOS_TEST_NR='${ZOS_TEST_NR:-}'); pass it as a HOST_PATH"
  exit 2
fi
for tool in ip ping wg nsenter pgrep; do
  command -v "$tool" >/dev/null 2>&1 || { say "missing $tool in the guest: pass it as a HOST_PATH"; exit 2; }
done
bindir="$(dirname "$bin")"
for p in zos-nr zos-ipam zos-nft; do
  [ -x "$bindir/$p" ] || { say "missing $bindir/$p: pass it as a HOST_PATH"; exit 2; }
done
if ! ip link add zt-probe0 type wireguard 2>/dev/null; then
  say "this kernel has no wireguard link type: the kernel backend cannot be tested"
  exit 2
fi
ip link del zt-probe0
mkdir -p /run/netns /run/wireguard
say "kernel $(uname -r); $bin; $(ip -V 2>&1)"

# The specs that match something.
specs=""
for spec in $(echo "${ZOS_NR_TAGS:-[mesh]:[grid]}" | tr ':,' '  '); do
  n=$("$bin" "$spec" --list-test-names-only 2>/dev/null | grep -c .)
  if [ "$n" -gt 0 ]; then
    say "$spec: $n test case(s)"
    specs="${specs:+$specs,}$spec"
  else
    say "$spec: no test case matches, skipped"
  fi
done
if [ -z "$specs" ]; then
  say "no test case matches ${ZOS_NR_TAGS:-[mesh]:[grid]}: nothing would be proven"
  exit 1
fi

log=/tmp/zos-nr-guest.log
: > "$log"
export ZOS_TEST_WG_BACKEND=kernel ZOS_LOG_LEVEL=info ZOS_LOG_FILE="$log"
t1=$(up)
"$bin" "$specs" --durations yes --use-colour no
rc=$?
t2=$(up)
say "test_nr $specs rc=$rc ($(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.1f", b-a}')s guest uptime)"

kernel=$(grep -c 'WireGuard round trip(s) (kernel)' "$log")
user=$(grep -c 'WireGuard round trip(s) (userspace)' "$log")
say "zos-nr applied WireGuard $kernel time(s) with the kernel backend, $user with userspace"
if [ "$kernel" -eq 0 ] || [ "$user" -ne 0 ]; then
  say "FAIL: the kernel backend was not the one used"
  grep 'WireGuard round trip' "$log"
  [ "$rc" = 0 ] && rc=1
fi
if pgrep -a wireguard-go; then
  say "FAIL: wireguard-go is running"
  [ "$rc" = 0 ] && rc=1
fi
left="$(ip netns list)"
if [ -n "$left" ]; then
  say "FAIL: namespaces left behind:"
  echo "$left"
  [ "$rc" = 0 ] && rc=1
fi
if [ "$rc" != 0 ]; then
  say "--- zos-nr log (last 60 lines)"
  tail -n 60 "$log"
fi
say "done in $(awk -v a="$t0" -v b="$(up)" 'BEGIN{printf "%.1f", b-a}')s guest uptime, rc=$rc"
exit "$rc"
