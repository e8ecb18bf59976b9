// Userspace backend, offline: the UAPI text it sends and the replies it reads.
#include <catch2/catch.hpp>

#include "common/wg/wg.h"
#include "common/wg/wg_process.h"
#include "common/wg/wg_uapi.h"

using namespace zos;
using namespace zos::wg;

namespace {
Key filled(uint8_t b) {
  Key k;
  k.fill(b);
  return k;
}
}  // namespace

TEST_CASE("wg uapi: set request", "[wg]") {
  DeviceConfig c;
  c.name = "wg0";
  c.private_key = filled(0x11);
  c.listen_port = 51820;
  c.fwmark = 7;
  c.replace_peers = true;
  PeerConfig a;
  a.public_key = filled(0x22);
  a.endpoint = Endpoint{*ip::Addr::parse("2001:db8::1"), 1234};
  a.keepalive = 25;
  a.replace_allowed_ips = true;
  a.allowed_ips = {*ip::Prefix::parse("10.1.0.0/16"), *ip::Prefix::parse("fd00::/64")};
  PeerConfig b;
  b.public_key = filled(0x33);
  b.remove = true;
  b.allowed_ips = {*ip::Prefix::parse("10.2.0.0/16")};
  PeerConfig u;
  u.public_key = filled(0x44);
  u.update_only = true;
  u.endpoint = Endpoint{*ip::Addr::parse("192.0.2.1"), 51820};
  c.peers = {a, b, u};
  CHECK(uapi::format_set(c) ==
        "set=1\n"
        "private_key=" + std::string(32, '1') + std::string(32, '1') + "\n"
        "listen_port=51820\n"
        "fwmark=7\n"
        "replace_peers=true\n"
        "public_key=" + std::string(64, '2') + "\n"
        "endpoint=[2001:db8::1]:1234\n"
        "persistent_keepalive_interval=25\n"
        "replace_allowed_ips=true\n"
        "allowed_ip=10.1.0.0/16\n"
        "allowed_ip=fd00::/64\n"
        "public_key=" + std::string(64, '3') + "\n"
        "remove=true\n"
        "public_key=" + std::string(64, '4') + "\n"
        "update_only=true\n"
        "endpoint=192.0.2.1:51820\n"
        "\n");
  DeviceConfig empty;
  empty.name = "wg0";
  CHECK(uapi::format_set(empty) == "set=1\n\n");
}

TEST_CASE("wg uapi: endpoints", "[wg]") {
  auto e = uapi::parse_endpoint("[fe80::1%eth0]:51820");
  REQUIRE(e);
  CHECK(e->addr.str() == "fe80::1");
  CHECK(e->port == 51820);
  e = uapi::parse_endpoint("192.0.2.1:1");
  REQUIRE(e);
  CHECK(uapi::format_endpoint(*e) == "192.0.2.1:1");
  CHECK_FALSE(uapi::parse_endpoint("192.0.2.1"));
  CHECK_FALSE(uapi::parse_endpoint("192.0.2.1:70000"));
  CHECK_FALSE(uapi::parse_endpoint("[192.0.2.1]:1"));
  CHECK_FALSE(uapi::parse_endpoint("2001:db8::1:51820"));
}

TEST_CASE("wg uapi: get reply", "[wg]") {
  const Key priv = generate_private_key();
  const std::string reply =
      "private_key=" + key_to_hex(priv) + "\n"
      "listen_port=51820\n"
      "fwmark=3\n"
      "public_key=" + std::string(64, 'a') + "\n"
      "preshared_key=" + std::string(64, '0') + "\n"
      "protocol_version=1\n"
      "endpoint=192.168.250.2:51821\n"
      "last_handshake_time_sec=1700000000\n"
      "last_handshake_time_nsec=5\n"
      "tx_bytes=100\n"
      "rx_bytes=200\n"
      "persistent_keepalive_interval=25\n"
      "allowed_ip=10.99.0.2/32\n"
      "allowed_ip=fd99::2/128\n"
      "public_key=" + std::string(64, 'b') + "\n"
      "last_handshake_time_sec=0\n"
      "last_handshake_time_nsec=0\n"
      "tx_bytes=0\n"
      "rx_bytes=0\n"
      "persistent_keepalive_interval=0\n"
      "errno=0\n\n";
  CHECK(uapi::reply_errno(reply) == 0);
  CHECK(uapi::reply_errno("errno=-22\n\n") == -22);
  CHECK_FALSE(uapi::reply_errno("listen_port=1\n\n"));
  DeviceState st = uapi::parse_get("wg0", reply);
  CHECK(st.name == "wg0");
  CHECK(st.has_private_key);
  CHECK(st.public_key == public_key_of(priv));
  CHECK(st.listen_port == 51820);
  CHECK(st.fwmark == 3);
  REQUIRE(st.peers.size() == 2);
  CHECK(st.peers[0].public_key == filled(0xaa));
  CHECK(st.peers[0].endpoint == Endpoint{*ip::Addr::parse("192.168.250.2"), 51821});
  REQUIRE(st.peers[0].last_handshake);
  CHECK(std::chrono::duration_cast<std::chrono::nanoseconds>(st.peers[0].last_handshake->time_since_epoch()).count() ==
        1700000000000000005LL);
  CHECK(st.peers[0].tx_bytes == 100);
  CHECK(st.peers[0].rx_bytes == 200);
  CHECK(st.peers[0].keepalive == 25);
  CHECK(st.peers[0].allowed_ips ==
        std::vector<ip::Prefix>{*ip::Prefix::parse("10.99.0.2/32"), *ip::Prefix::parse("fd99::2/128")});
  CHECK(st.peers[1].public_key == filled(0xbb));
  CHECK_FALSE(st.peers[1].last_handshake);
  CHECK_FALSE(st.peers[1].endpoint);

  // An empty device.
  st = uapi::parse_get("wg1", "listen_port=0\nerrno=0\n\n");
  CHECK_FALSE(st.has_private_key);
  CHECK_FALSE(st.public_key);
  CHECK(st.peers.empty());
  CHECK_THROWS(uapi::parse_get("wg1", "public_key=zz\nerrno=0\n\n"));
}

TEST_CASE("wg process: pid files", "[wg]") {
  proc::Tracked t{1234, 98765};
  CHECK(proc::parse_pid_file(proc::format_pid_file(t)) == t);
  CHECK_FALSE(proc::parse_pid_file(""));
  CHECK_FALSE(proc::parse_pid_file("abc 1"));
  CHECK_FALSE(proc::parse_pid_file("-1 5"));
  // Our own process is alive under its own start time, not another.
  auto st = proc::start_time(::getpid());
  REQUIRE(st);
  CHECK(proc::alive({::getpid(), *st}));
  CHECK_FALSE(proc::alive({::getpid(), *st + 1}));
}
