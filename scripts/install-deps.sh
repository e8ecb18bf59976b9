#!/usr/bin/env bash
# Installs what zos-cni needs to build, test and demo on Debian 12.
# Safe to run again: apt-get only installs what is missing.
set -euo pipefail

packages=(
  # build
  cmake g++ make pkg-config git
  nlohmann-json3-dev libnl-3-dev libnl-route-3-dev libnl-genl-3-dev
  libspdlog-dev libfmt-dev libnftables-dev catch2
  # zos-nr's link: lld orders its hot functions (plugins/nr/CMakeLists.txt)
  lld
  # fuzzing (libFuzzer ships with clang's runtime)
  clang libclang-rt-14-dev
  # runtime and tests: reference plugins, iproute2, nftables, ping, time
  containernetworking-plugins iproute2 nftables iputils-ping procps time util-linux python3
  # zos-bootstrap: DHCP client (busybox udhcpc), dnsmasq for the test world
  busybox-static dnsmasq-base ethtool
  # zos-bootstrap: DHCPv6 client (dhcpcd)
  dhcpcd-base
  # WireGuard: userspace implementation and tools
  wireguard-go wireguard-tools
  # the kernel WireGuard path, proven in a qemu guest (tests/qemu)
  qemu-system-x86 kmod cpio gzip
  # tests/runtime and bench/runtimes_bench.py: the plugins under real runtimes
  containerd runc podman conmon
  # the .deb (cpack, dpkg-shlibdeps) and its test (scripts/package-test.sh)
  dpkg-dev file
  # cni-test (libcni harness, GOPATH build) and the portmap chain it tests
  golang-go golang-github-appc-cni-dev iptables
  # bench/wg_bench.py: iperf3 (tunnel throughput), strace (netlink request counts), linux-perf (--profile)
  iperf3 strace linux-perf
  # zos-nr serve (zbus over Redis) and its test: a real redis-server, a Python client
  libhiredis-dev libmsgpack-cxx-dev redis-server python3-redis python3-msgpack
  # tests/runtime/cri_test.py: a CRI v1 client (gRPC stubs compiled from a subset .proto)
  python3-grpcio python3-grpc-tools
  # tests/package: a fresh bookworm root for the minimal-install test
  debootstrap
  # tests/zbus/go_encoder_test.sh: a Go module's Network from vmihailenco/msgpack v4 (zbus') and v5
  golang-go golang-gopkg-vmihailenco-msgpack.v2-dev golang-github-vmihailenco-msgpack.v5-dev
  # zos-nr: 0-OS's sealed private keys (NaCl crypto_box_seal), linked statically
  libsodium-dev
  # zos-agent: etcd's JSON gateway over libcurl (OpenSSL: TLS client certificates);
  # its test: a real etcd 3.4 cluster, openssl for the test's certificates
  libcurl4-openssl-dev etcd-server etcd-client openssl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
