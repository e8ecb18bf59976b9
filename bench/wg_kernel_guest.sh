#!/bin/sh
# Guest half of bench/wg_kernel_bench.sh: the apply part of bench/wg_bench.py
# with the kernel WireGuard backend (generic netlink), inside the qemu guest of
# tests/qemu (real wireguard module, TCG-emulated CPU: times are slow in
# absolute terms, round trips are exact). Run as /test.sh by
# tests/qemu/run-guest.sh; needs WB_BIN (zos-nr, zos-ipam, zos-nft) and WB_DIR
# (the network objects written by `wg_bench.py --emit`) in ZOS_QEMU_ENV, and
# /usr/bin/date, /usr/bin/nsenter, /usr/bin/ip, /usr/bin/wg as HOST_PATHs.
# Prints one line per operation:
#   WB-KERNEL <peers> <op> <wall ms> <round trips> <peers on the device>
set -u
: "${WB_BIN:?}" "${WB_DIR:?}"
REPS="${WB_REPS:-3}"
node=zt-wb-kn
data=/tmp/wb-data
grep -q '^wireguard ' /proc/modules || { echo "wg-kernel-guest: no wireguard module"; exit 2; }
echo "WB-KERNEL-VERSION $(uname -r)"
ip netns add "$node" && ip -n "$node" link set lo up || exit 2
rc=0

op() {  # op <peers> <label> <verb> <file> <nibble>
  t0=$(date +%s%N)
  ZOS_LOG_LEVEL=info nsenter --net=/run/netns/$node "$WB_BIN/zos-nr" "$3" "$4" --node bench --data-dir "$data" \
    >/tmp/wb-out 2>/tmp/wb-err
  s=$?
  t1=$(date +%s%N)
  if [ "$s" != 0 ]; then
    echo "wg-kernel-guest: zos-nr $3 $4 failed:"; cat /tmp/wb-out /tmp/wb-err; rc=1; return
  fi
  rt=$(sed -n 's/.*peer(s), \([0-9]*\) WireGuard round trip(s) (\([a-z]*\)).*/\1 \2/p' /tmp/wb-err | tail -n 1)
  [ -n "$rt" ] || rt="- -"
  on=-
  if [ "$3" = apply ]; then
    on=$(nsenter --net=/run/netns/net-0$5-0 wg show wg-0$5-0 peers | wc -l)
  fi
  echo "WB-KERNEL $1 $2 $(( (t1 - t0) / 1000000 )) $rt $on"
}

for f in "$WB_DIR"/wb-*-v1.json; do
  n=${f##*/wb-}; n=${n%-v1.json}
  case $n in 1) nib=f11 ;; 10) nib=f12 ;; 100) nib=f13 ;; 1000) nib=f14 ;; *) continue ;; esac
  i=0
  while [ "$i" -lt "$REPS" ]; do
    op "$n" create apply "$WB_DIR/wb-$n-v1.json" "$nib"
    op "$n" reapply apply "$WB_DIR/wb-$n-v1.json" "$nib"
    op "$n" newver apply "$WB_DIR/wb-$n-v2.json" "$nib"
    op "$n" change1 apply "$WB_DIR/wb-$n-v3.json" "$nib"
    op "$n" delete delete "$WB_DIR/wb-$n-v3.json" "$nib"
    i=$((i + 1))
  done
done
ip netns del "$node"
exit "$rc"
