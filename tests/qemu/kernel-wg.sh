#!/bin/sh
# Guest test: the kernel WireGuard backend (generic netlink) against the real
# wireguard module, i.e. test_common_wg's "[kernel-live]" test case
# (tests/common/wg/kernel_live_test.cpp), which skips on hosts without the module.
# Run by tests/qemu/run-guest.sh inside the guest as /test.sh:
#
#   ZOS_QEMU_ENV=ZOS_TEST_WG=/work/main/build/bin/test_common_wg \
#   tests/qemu/run-guest.sh tests/qemu/kernel-wg.sh \
#       /work/main/build/bin/test_common_wg /usr/bin/ip /usr/bin/ping /usr/bin/wg
#
# ZOS_TEST_WG: the test binary's path (it must also be a HOST_PATH). Without
# it the first */bin/test_common_wg found in the guest is used. /usr/bin/wg is
# optional: it only prints the devices when the test fails. Exit status: the
# test's (0 pass, non-zero fail; 2 when the binary is missing).
set -u

t0=$(cut -d' ' -f1 /proc/uptime)
bin="${ZOS_TEST_WG:-}"
if [ -z "$bin" ]; then
  bin="$(find / -xdev -path '*/bin/test_common_wg' -type f 2>/dev/null | head -n 1)"
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  echo "kernel-wg: test binary not found (ZOS_TEST_WG='${ZOS_TEST_WG:-}'); pass it as a HOST_PATH"
  exit 2
fi
echo "kernel-wg: kernel $(uname -r); $bin; $(ip -V 2>&1)"
if ! grep -q '^wireguard ' /proc/modules; then
  echo "kernel-wg: the wireguard module is not loaded"
  exit 2
fi

# Keep the namespaces after a failure for the post-mortem below.
export ZOS_KWG_KEEP=1
"$bin" "[kernel-live]" --warn NoTests --durations yes
rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
echo "kernel-wg: test_common_wg [kernel-live] rc=$rc ($(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')s guest uptime)"

if [ "$rc" != 0 ]; then
  for ns in zt-kwg-a zt-kwg-b; do
    [ -e "/run/netns/$ns" ] || continue
    echo "=== $ns"
    ip -n "$ns" -br addr
    if command -v wg >/dev/null 2>&1; then
      ip netns exec "$ns" wg show all
    else
      echo "(no wg in the guest: pass /usr/bin/wg as a HOST_PATH to see the devices)"
    fi
  done
fi
for ns in zt-kwg-a zt-kwg-b; do ip netns del "$ns" 2>/dev/null; done
exit "$rc"
