#!/bin/sh
# Guest test: test_bootstrap's "[vlan]" cases (tests/bootstrap/uplink_kinds_test.cpp),
# which skip on hosts whose kernel has no 8021q. Run by tests/qemu/run-guest.sh
# inside the guest as /test.sh:
#
#   ZOS_QEMU_ENV=ZOS_TEST_BS=/work/main/build/bin/test_bootstrap \
#   tests/qemu/run-guest.sh tests/qemu/bootstrap-vlan.sh \
#       /work/main/build/bin/test_bootstrap /work/main/build/bin/zos-bootstrap \
#       /usr/bin/ip /usr/bin/nsenter /usr/sbin/ethtool /usr/sbin/dnsmasq /usr/bin/ping
#
# Exit status: the test's (0 pass); 2 when the binary or 8021q is missing
# (the test would skip and prove nothing).
set -u
bin="${ZOS_TEST_BS:-}"
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  echo "bootstrap-vlan: test binary not found (ZOS_TEST_BS='${ZOS_TEST_BS:-}'); pass it as a HOST_PATH"
  exit 2
fi
if ! grep -q '^8021q ' /proc/modules; then
  echo "bootstrap-vlan: the 8021q module is not loaded"
  exit 2
fi
echo "bootstrap-vlan: kernel $(uname -r); $bin"
out="$("$bin" "[vlan]" --warn NoTests 2>&1)"
rc=$?
echo "$out"
# A skip passes too: insist that the VLAN win test ran.
if echo "$out" | grep -q "skipped: this kernel has no 802.1Q"; then
  echo "bootstrap-vlan: the VLAN test skipped in the guest"
  exit 2
fi
exit "$rc"
