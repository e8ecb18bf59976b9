#!/usr/bin/env bash
# Builds a bootable guest for tests/qemu/run-guest.sh: a Debian kernel (the
# package is downloaded with `apt-get download` and unpacked with `dpkg -x`,
# never installed) and an initramfs (busybox-static, the kernel modules the
# project needs, the caller's test script and host binaries with their shared
# libraries).
#
# usage: build-guest.sh [-o OUT_INITRD] TEST_SCRIPT [HOST_PATH...]
#
# Prints two lines on stdout:   KERNEL=<path>   INITRD=<path>
# Everything else goes to stderr.
#
# HOST_PATH: a file or directory of this machine, copied into the guest at the
# same absolute path (directories recursively). ELF files also bring their
# shared-library closure (from ldd) and the dynamic loader.
#
# Environment:
#   ZOS_QEMU_CACHE    cache directory (default <repo>/build/qemu)
#   ZOS_QEMU_KPKG     kernel meta package (default linux-image-cloud-amd64);
#                     the versioned package it depends on is what is fetched;
#                     a versioned name (linux-image-6.1.0-57-cloud-amd64) pins it
#   ZOS_QEMU_MODULES  extra module names to load in the guest (space separated)
#
# Caching: the kernel is fetched once per version; the base initramfs
# (busybox + modules + /init) is rebuilt only when its inputs change (this
# script, the module list, busybox, the kernel); the payload archive (script +
# binaries) is keyed by a hash of its content. The final initrd is the
# concatenation of the two gzip'd cpio archives, which the kernel unpacks in
# order.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${ZOS_QEMU_CACHE:-$repo/build/qemu}"
kpkg="${ZOS_QEMU_KPKG:-linux-image-cloud-amd64}"

log() { echo "build-guest: $*" >&2; }
die() { echo "build-guest: error: $*" >&2; exit 1; }

out=""
if [ "${1:-}" = "-o" ]; then out="$2"; shift 2; fi
[ $# -ge 1 ] || die "usage: build-guest.sh [-o OUT_INITRD] TEST_SCRIPT [HOST_PATH...]"
script="$1"; shift
[ -f "$script" ] || die "test script not found: $script"

for tool in dpkg-deb depmod cpio gzip ldd sha256sum; do
  command -v "$tool" >/dev/null || die "missing tool: $tool (see scripts/install-deps.sh)"
done
busybox="$(command -v busybox || true)"
[ -n "$busybox" ] || die "busybox not found: install busybox-static (scripts/install-deps.sh)"
# busybox-static replaces /bin/busybox with a static build; insist on it:
# a dynamic busybox would need its libc in the guest before anything runs.
if ldd "$busybox" >/dev/null 2>&1; then
  die "$busybox is dynamically linked: install busybox-static (scripts/install-deps.sh)"
fi

mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"

# Modules the guest loads at boot (dependencies come from modules.dep).
# Missing ones (built in, or absent from this kernel) are skipped.
modules=(
  wireguard veth bridge tun macvlan ipvlan dummy 8021q
  nf_tables nft_ct nft_nat nft_chain_nat nft_masq nft_redir nf_conntrack nf_nat
  nft_fib nft_fib_inet nft_fib_ipv4 nft_fib_ipv6 nft_reject nft_reject_inet
  nft_limit nft_log nf_conntrack_netlink nft_compat br_netfilter
  nft_meta_bridge nft_reject_bridge nf_conntrack_bridge
  ipv6
)
# shellcheck disable=SC2206
modules+=(${ZOS_QEMU_MODULES:-})

# ---------------------------------------------------------------- kernel
resolve_kernel_pkg() {
  # The meta package depends on exactly one linux-image-<ver>-<flavour>.
  apt-cache depends "$kpkg" 2>/dev/null \
    | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
# apt-cache takes seconds: remember the answer until the apt lists change.
resolved="$cache/kernel/.resolved-$kpkg"
if [[ "$kpkg" =~ ^linux-image-[0-9] ]]; then
  kver_pkg="$kpkg"                      # already a versioned package
elif [ -s "$resolved" ] && [ "$resolved" -nt /var/lib/apt/lists ]; then
  kver_pkg="$(cat "$resolved")"
else
  kver_pkg="$(resolve_kernel_pkg || true)"
  [ -n "$kver_pkg" ] && mkdir -p "$cache/kernel" && echo "$kver_pkg" > "$resolved"
fi
if [ -z "$kver_pkg" ]; then
  # No apt lists (e.g. before `apt-get update`): fall back to a cached kernel.
  kver_pkg="$(ls -1 "$cache/kernel" 2>/dev/null | grep '^linux-image-' | sort -V | tail -1 || true)"
  [ -n "$kver_pkg" ] || die "cannot resolve $kpkg (run apt-get update) and nothing is cached"
  log "apt-cache cannot resolve $kpkg; using cached $kver_pkg"
fi
kdir="$cache/kernel/$kver_pkg"
if [ ! -f "$kdir/.done" ]; then
  log "fetching $kver_pkg"
  rm -rf "$kdir"; mkdir -p "$kdir/dl"
  # apt's sandbox user must be able to write the target dir.
  chmod 0777 "$kdir/dl"
  (cd "$kdir/dl" && apt-get download -q "$kver_pkg" >&2)
  dpkg -x "$kdir"/dl/*.deb "$kdir/root"
  rm -rf "$kdir/dl"
  touch "$kdir/.done"
fi
kernel="$(ls -1 "$kdir"/root/boot/vmlinuz-* | head -1)"
[ -f "$kernel" ] || die "no vmlinuz in $kver_pkg"
kver="${kernel##*/vmlinuz-}"
moddir="$kdir/root/lib/modules/$kver"
[ -d "$moddir" ] || die "no modules for $kver"
if [ ! -f "$moddir/modules.dep" ] || [ ! -f "$kdir/.depmod" ]; then
  depmod -b "$kdir/root" "$kver"
  touch "$kdir/.depmod"
fi

# Files to copy into an image: files[guest path]=host path. Guest paths are
# canonical (usr-merged) so they never replace the base image's symlinks
# /lib -> usr/lib, /bin -> usr/bin, ...
declare -A files=()
canon() { # canonical guest path of a host path: real directory + basename
  local d; d="$(cd "$(dirname "$1")" && pwd -P)"; echo "$d/$(basename "$1")"
}
add_elf_deps() {
  local lib
  # ldd lines: "libx.so => /path (0x..)" or "/lib64/ld-linux... (0x..)"
  local out; out="$(ldd "$1" 2>&1)" || return 0   # static: nothing to add
  if grep -q 'not found' <<<"$out"; then die "$1: $(grep 'not found' <<<"$out" | tr -s ' \t\n' ' ')"; fi
  while read -r lib; do
    [ -n "$lib" ] && [ -e "$lib" ] && files["$(canon "$lib")"]="$lib"
  done < <(awk '/=>/ {print $3; next} $1 ~ /^\// {print $1}' <<<"$out")
  return 0
}
add_path_elf() { # a file, plus its library closure when it is ELF
  files["$(canon "$1")"]="$1"
  if [ "$(head -c4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; then add_elf_deps "$1"; fi
}
copy_files() { # copy_files STAGE: copy files[] into STAGE
  local d
  for d in "${!files[@]}"; do
    mkdir -p "$1$(dirname "$d")"
    cp -L --preserve=mode "${files[$d]}" "$1$d"
  done
}

# ---------------------------------------------------------------- base initramfs
base_key="$( { sha256sum < "${BASH_SOURCE[0]}"; echo "$kver_pkg ${modules[*]}"; sha256sum "$busybox"; } \
  | sha256sum | cut -c1-16)"
base="$cache/base-$kver-$base_key.cpio.gz"
if [ ! -f "$base" ]; then
  log "building base initramfs for $kver"
  stage="$(mktemp -d "$cache/base-stage.XXXXXX")"
  trap 'rm -rf "$stage"' EXIT
  # usr-merged layout like the host, so copied binaries and libraries keep
  # the paths they have here (and the ELF interpreter /lib64/ld-linux...).
  mkdir -p "$stage"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,run,tmp,root,var,mnt}
  ln -s usr/bin "$stage/bin"; ln -s usr/sbin "$stage/sbin"
  ln -s usr/lib "$stage/lib"; ln -s usr/lib64 "$stage/lib64"
  ln -s ../run "$stage/var/run"; mkdir -p "$stage/var/tmp"
  cp "$busybox" "$stage/usr/bin/busybox"
  # /bin/sh is the host's dash, not busybox ash: Debian's busybox prefers its
  # applets over PATH ("standalone shell"), so a test calling `ip` or `ping`
  # would get busybox's even when the host's binary was passed in.
  files=(); add_path_elf /usr/bin/dash; copy_files "$stage"; files=()
  ln -s dash "$stage/usr/bin/sh"
  for applet in $("$busybox" --list-full); do
    case "$applet" in
      bin/*|sbin/*) dest="usr/$applet" ;;
      *) dest="$applet" ;;
    esac
    [ -e "$stage/$dest" ] || [ -L "$stage/$dest" ] || ln -s /usr/bin/busybox "$stage/$dest"
  done
  # modules: the requested ones and everything modules.dep says they need
  : > "$stage/etc/zos-modules"
  declare -A want=()
  for m in "${modules[@]}"; do
    rel="$(awk -F: -v m="$m" '{n=$1; sub(/.*\//,"",n); sub(/\.ko(\.[a-z]+)?$/,"",n); gsub(/-/,"_",n)} n==m {print $0; exit}' "$moddir/modules.dep")"
    if [ -z "$rel" ]; then
      if grep -qE "/${m}\.ko" "$moddir/modules.builtin" 2>/dev/null; then
        log "module $m is built in"
      else
        log "module $m not in $kver, skipped"
      fi
      continue
    fi
    echo "$m" >> "$stage/etc/zos-modules"
    for f in ${rel/:/ }; do want["$f"]=1; done
  done
  for f in "${!want[@]}"; do
    mkdir -p "$stage/lib/modules/$kver/$(dirname "$f")"
    cp "$moddir/$f" "$stage/lib/modules/$kver/$f"
  done
  cp "$moddir"/modules.{order,builtin,builtin.modinfo} "$stage/lib/modules/$kver/" 2>/dev/null || true
  depmod -b "$stage" "$kver"
  log "modules: ${#want[@]} files ($(du -sh "$stage/lib/modules" | cut -f1))"
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
  printf 'root:x:0:\n' > "$stage/etc/group"
  printf '127.0.0.1 localhost\n::1 localhost\n' > "$stage/etc/hosts"
  printf 'hosts: files\n' > "$stage/etc/nsswitch.conf"
  cp /etc/protocols /etc/services "$stage/etc/" 2>/dev/null || true
  [ -d /etc/iproute2 ] && cp -r /etc/iproute2 "$stage/etc/" 2>/dev/null || true
  [ -d /usr/share/iproute2 ] && mkdir -p "$stage/usr/share" && cp -r /usr/share/iproute2 "$stage/usr/share/"
  cat > "$stage/init" <<'EOF'
#!/usr/bin/busybox sh
# zos-cni qemu guest init: prepare the system, run /test.sh, report, power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb WG_COLOR_MODE=never
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /dev/net
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
# no tmpfs on /tmp: the root file system is already in RAM, and host paths
# under /tmp that the caller passed in must stay visible
chmod 1777 /tmp
mount -t tmpfs tmpfs /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
# make / shared so `ip netns` bind mounts propagate like on a normal host
mount --make-rshared / 2>/dev/null
failed=""
for m in $(cat /etc/zos-modules); do
  modprobe "$m" 2>/dev/null || failed="$failed $m"
done
[ -n "$failed" ] && echo "zos-init: modprobe failed:$failed"
echo "zos-init: modules loaded at $(cut -d' ' -f1 /proc/uptime)s"
# host binaries the caller passed win over busybox applets of the same name
# (busybox links sit in both bin dirs; a host file lands in only one)
for f in $(cat /etc/zos-host-bins 2>/dev/null); do
  n="${f##*/}"
  for d in /usr/sbin /usr/bin; do
    [ "$d/$n" = "$f" ] && continue
    [ "$(readlink "$d/$n" 2>/dev/null)" = /usr/bin/busybox ] && ln -sf "$f" "$d/$n"
  done
done
ip link set lo up
hostname zos-guest
# kernel command line "zos.env=K=V,K=V" becomes the test's environment
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    zos.env=*) for kv in $(echo "${arg#zos.env=}" | tr ',' ' '); do export "$kv"; done ;;
  esac
done
echo "zos-init: kernel $(uname -r), running /test.sh"
cd /root
/test.sh </dev/null 2>&1
rc=$?
echo "ZOS-QEMU-RESULT rc=$rc"
sync
poweroff -f
EOF
  chmod 0755 "$stage/init"
  (cd "$stage" && find . -print0 | LC_ALL=C sort -z \
     | cpio --null -o -H newc --owner=0:0 --quiet | gzip -1 > "$base.tmp.$$")
  mv "$base.tmp.$$" "$base"
  rm -rf "$stage"; trap - EXIT
  # drop stale base images and what was built on them
  find "$cache" -maxdepth 1 \( -name 'base-*.cpio.gz' ! -name "${base##*/}" \
    -o -name 'payload-*.cpio.gz' -o -name 'initrd-*.img' \) -delete
fi

# ---------------------------------------------------------------- payload
add_path() {
  local p="$1" f
  [ -e "$p" ] || die "host path not found: $p"
  p="$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"
  if [ -d "$p" ]; then
    while IFS= read -r -d '' f; do add_path "$f"; done < <(find "$p" -mindepth 1 \( -type f -o -type l \) -print0)
    return 0
  fi
  add_path_elf "$p"
}
for p in "$@"; do add_path "$p"; done

payload_key="$( {
  echo "$base_key"; sha256sum < "$script"
  for d in $(printf '%s\n' "${!files[@]}" | LC_ALL=C sort); do
    echo "$d $(stat -L -c '%s %Y %a' "${files[$d]}")"
  done
} | sha256sum | cut -c1-16)"
payload="$cache/payload-$payload_key.cpio.gz"
if [ ! -f "$payload" ]; then
  stage="$(mktemp -d "$cache/payload-stage.XXXXXX")"
  trap 'rm -rf "$stage"' EXIT
  cp "$script" "$stage/test.sh"; chmod 0755 "$stage/test.sh"
  mkdir -p "$stage/etc"
  printf '%s\n' "${!files[@]}" | grep -E '^/usr/s?bin/[^/]+$' > "$stage/etc/zos-host-bins" || true
  copy_files "$stage"
  # only list what we put there: no directory entries for /, /usr, /usr/lib
  # would be harmless, but a regular dir named like a base symlink is not.
  (cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z \
     | cpio --null -o -H newc --owner=0:0 --quiet | gzip -1 > "$payload.tmp.$$")
  mv "$payload.tmp.$$" "$payload"
  rm -rf "$stage"; trap - EXIT
  # keep the payload cache small: the 8 newest
  ls -1t "$cache"/payload-*.cpio.gz 2>/dev/null | tail -n +9 | xargs -r rm -f || true
fi

if [ -z "$out" ]; then
  out="$cache/initrd-$base_key-$payload_key.img"
  ls -1t "$cache"/initrd-*.img 2>/dev/null | tail -n +9 | xargs -r rm -f || true
fi
cat "$base" "$payload" > "$out.tmp.$$" && mv "$out.tmp.$$" "$out"
echo "KERNEL=$kernel"
echo "INITRD=$out"
