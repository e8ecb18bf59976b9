// Kernel backend against the real wireguard module: two namespaces joined by a
// veth, a wireguard link in each made and configured only through the backend
// API (generic netlink), traffic across the tunnel (IPv4 and IPv6), read back,
// large peer sets (split SET_DEVICE messages, multi-part GET_DEVICE dump),
// replace and remove. Needs root and the module: it skips without them (this
// build host); tests/qemu/kernel-wg.sh runs it inside a real Debian kernel.
#include <chrono>
#include <cstdlib>
#include <string>
#include <tuple>

#include <catch2/catch.hpp>

#include "common/sys/netns.h"
#include "common/wg/wg.h"
#include "support/netns.h"
#include "support/support.h"

using namespace zos;
using namespace zos::wg;
using zos::test::Netns;
using zos::test::sh;

namespace {

const std::string kNsA = "zt-kwg-a";
const std::string kNsB = "zt-kwg-b";
const std::string kWg = "zkwg0";
constexpr uint16_t kPortA = 51821;
constexpr uint16_t kPortB = 51822;

ip::Addr addr(const std::string& s) { return *ip::Addr::parse(s); }
ip::Prefix pfx(const std::string& s) { return *ip::Prefix::parse(s); }

// Both namespaces, under the names the qemu guest script knows, deleted
// (with their links) at the end whatever happens.
struct Namespaces {
  Netns a{Netns::Named{kNsA}}, b{Netns::Named{kNsB}};
  // ZOS_KWG_KEEP=1 (the qemu guest script) keeps them for a post-mortem.
  Namespaces() {
    if (std::getenv("ZOS_KWG_KEEP")) {
      a.keep();
      b.keep();
    }
  }
};

// A peer that exists only to fill the device: distinct, deterministic keys.
Key dummy_key(uint32_t n) {
  Key k{};
  for (int i = 0; i < 4; ++i) k[i] = static_cast<uint8_t>(n >> (8 * i));
  k[30] = 0x5a;
  k[31] = 0x42;
  return k;
}

bool ping(const std::string& ns, const std::string& dst) {
  // The first packet waits for the handshake, slow under TCG: a few tries.
  for (int i = 0; i < 5; ++i)
    if (sh("ip netns exec " + ns + " ping -c1 -W2 " + dst + " >/dev/null 2>&1") == 0) return true;
  return false;
}

const PeerState* find_peer(const DeviceState& st, const Key& k) {
  for (const auto& p : st.peers)
    if (p.public_key == k) return &p;
  return nullptr;
}

}  // namespace

TEST_CASE("wg kernel backend live: two namespaces, tunnel, read back, large peer sets", "[root][kernel-live]") {
  ZOS_REQUIRE_ROOT();
  if (!kernel_supported()) {
    WARN("skipped: this kernel has no wireguard module (tests/qemu/kernel-wg.sh runs this test in a guest)");
    return;
  }
  Namespaces nss;
  // The underlay: a veth between the namespaces, IPv4 and IPv6 (no DAD, so
  // the IPv6 endpoint is usable at once).
  REQUIRE(sh("ip -n " + kNsA + " link add zkv-a type veth peer name zkv-b netns " + kNsB) == 0);
  REQUIRE(sh("ip -n " + kNsA + " addr add 192.168.251.1/24 dev zkv-a && ip -n " + kNsA +
             " addr add fd00:251::1/64 dev zkv-a nodad && ip -n " + kNsA + " link set zkv-a up && ip -n " + kNsA +
             " link set lo up") == 0);
  REQUIRE(sh("ip -n " + kNsB + " addr add 192.168.251.2/24 dev zkv-b && ip -n " + kNsB +
             " addr add fd00:251::2/64 dev zkv-b nodad && ip -n " + kNsB + " link set zkv-b up && ip -n " + kNsB +
             " link set lo up") == 0);

  auto fd_a = sys::open_netns(kNsA);
  auto fd_b = sys::open_netns(kNsB);
  auto wg = make_backend(Kind::kKernel);
  REQUIRE(std::string(wg->kind()) == "kernel");
  const uint64_t rt0 = wg->round_trips();

  const Key priv_a = generate_private_key(), priv_b = generate_private_key();
  const Key pub_a = public_key_of(priv_a), pub_b = public_key_of(priv_b);
  REQUIRE(pub_a != pub_b);

  // A reaches B over IPv4, B reaches A over IPv6: both sockaddr layouts.
  PeerConfig peer_b;  // on A
  peer_b.public_key = pub_b;
  peer_b.endpoint = Endpoint{addr("192.168.251.2"), kPortB};
  peer_b.keepalive = 25;
  peer_b.replace_allowed_ips = true;
  peer_b.allowed_ips = {pfx("10.99.0.2/32"), pfx("fd99::2/128")};
  PeerConfig peer_a;  // on B
  peer_a.public_key = pub_a;
  peer_a.endpoint = Endpoint{addr("fd00:251::1"), kPortA};
  peer_a.keepalive = 25;
  peer_a.replace_allowed_ips = true;
  peer_a.allowed_ips = {pfx("10.99.0.1/32"), pfx("fd99::1/128")};

  DeviceConfig cfg_a;
  cfg_a.name = kWg;
  cfg_a.private_key = priv_a;
  cfg_a.listen_port = kPortA;
  cfg_a.replace_peers = true;
  cfg_a.peers = {peer_b};
  DeviceConfig cfg_b;
  cfg_b.name = kWg;
  cfg_b.private_key = priv_b;
  cfg_b.listen_port = kPortB;
  cfg_b.replace_peers = true;
  cfg_b.peers = {peer_a};

  sys::in_netns(fd_a.get(), [&] {
    REQUIRE(wg->create(kWg));
    CHECK_FALSE(wg->create(kWg));
    wg->configure(cfg_a);
  });
  sys::in_netns(fd_b.get(), [&] {
    REQUIRE(wg->create(kWg));
    wg->configure(cfg_b);
  });
  CHECK(wg->round_trips() > rt0);

  // Before any traffic the endpoints read back exactly as configured.
  DeviceState a0 = sys::in_netns(fd_a.get(), [&] { return wg->get(kWg); });
  DeviceState b0 = sys::in_netns(fd_b.get(), [&] { return wg->get(kWg); });
  CHECK(a0.name == kWg);
  CHECK(a0.has_private_key);
  CHECK(a0.public_key == pub_a);
  CHECK(a0.listen_port == kPortA);
  CHECK(b0.public_key == pub_b);
  CHECK(b0.listen_port == kPortB);
  REQUIRE(a0.peers.size() == 1);
  REQUIRE(b0.peers.size() == 1);
  CHECK(a0.peers[0].public_key == pub_b);
  CHECK(a0.peers[0].endpoint == peer_b.endpoint);
  CHECK(a0.peers[0].keepalive == 25);
  CHECK(a0.peers[0].allowed_ips == peer_b.allowed_ips);
  CHECK_FALSE(a0.peers[0].last_handshake);
  CHECK(b0.peers[0].public_key == pub_a);
  CHECK(b0.peers[0].endpoint == peer_a.endpoint);
  CHECK(b0.peers[0].allowed_ips == peer_a.allowed_ips);

  for (const auto& [ns, v4, v6] : {std::tuple{kNsA, "10.99.0.1/24", "fd99::1/64"},
                                   std::tuple{kNsB, "10.99.0.2/24", "fd99::2/64"}}) {
    REQUIRE(sh("ip -n " + ns + " addr add " + v4 + " dev " + kWg + " && ip -n " + ns + " addr add " + v6 + " dev " +
               kWg + " nodad && ip -n " + ns + " link set " + kWg + " up") == 0);
  }

  // B speaks first: its handshake goes out over the IPv6 endpoint.
  CHECK(ping(kNsB, "10.99.0.1"));
  CHECK(ping(kNsB, "fd99::1"));
  CHECK(ping(kNsA, "10.99.0.2"));
  CHECK(ping(kNsA, "fd99::2"));

  const auto now = std::chrono::system_clock::now();
  DeviceState a1 = sys::in_netns(fd_a.get(), [&] { return wg->get(kWg); });
  DeviceState b1 = sys::in_netns(fd_b.get(), [&] { return wg->get(kWg); });
  for (const DeviceState* st : {&a1, &b1}) {
    INFO("side " << (st == &a1 ? "A" : "B"));
    REQUIRE(st->peers.size() == 1);
    const PeerState& p = st->peers[0];
    CHECK(p.keepalive == 25);
    REQUIRE(p.last_handshake);
    // Guest clocks under TCG are rough: only "set, and not absurd".
    CHECK(*p.last_handshake > now - std::chrono::hours(24));
    CHECK(*p.last_handshake < now + std::chrono::hours(24));
    CHECK(p.rx_bytes > 0);
    CHECK(p.tx_bytes > 0);
  }
  CHECK(a1.peers[0].public_key == pub_b);
  CHECK(a1.peers[0].allowed_ips == peer_b.allowed_ips);
  CHECK(b1.peers[0].public_key == pub_a);
  CHECK(b1.peers[0].allowed_ips == peer_a.allowed_ips);
  // B initiated, so A roamed to B's IPv6 source; B keeps A's IPv6 endpoint.
  REQUIRE(a1.peers[0].endpoint);
  CHECK(a1.peers[0].endpoint->port == kPortB);
  CHECK((a1.peers[0].endpoint->addr == addr("fd00:251::2") || a1.peers[0].endpoint->addr == addr("192.168.251.2")));
  CHECK(b1.peers[0].endpoint == peer_a.endpoint);

  // 300 more peers on A, added (replace_peers=false): several SET_DEVICE
  // messages, and a dump of 301 peers over several parts.
  DeviceConfig more;
  more.name = kWg;
  for (uint32_t i = 0; i < 300; ++i) {
    PeerConfig p;
    p.public_key = dummy_key(i);
    p.endpoint = i % 2 ? Endpoint{addr("2001:db8::" + std::to_string(i + 1)), static_cast<uint16_t>(20000 + i)}
                       : Endpoint{ip::Addr::v4(0xc6336400u + i % 250), static_cast<uint16_t>(20000 + i)};
    p.keepalive = static_cast<uint16_t>(i % 60);
    p.replace_allowed_ips = true;
    p.allowed_ips = {ip::Prefix(ip::Addr::v4(0x0a620000u + i), 32),
                     ip::Prefix(ip::Addr::v6({0xfd, 0x98, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(i >> 8),
                                              static_cast<uint8_t>(i)}),
                                128)};
    more.peers.push_back(p);
  }
  const uint64_t rt1 = wg->round_trips();
  sys::in_netns(fd_a.get(), [&] { wg->configure(more); });
  CHECK(wg->round_trips() - rt1 >= 2);  // did not fit one message
  DeviceState a2 = sys::in_netns(fd_a.get(), [&] { return wg->get(kWg); });
  CHECK(a2.public_key == pub_a);
  CHECK(a2.listen_port == kPortA);
  REQUIRE(a2.peers.size() == 301);
  const PeerState* real = find_peer(a2, pub_b);
  REQUIRE(real);
  CHECK(real->allowed_ips == peer_b.allowed_ips);
  size_t matched = 0;
  for (const auto& want : more.peers) {
    const PeerState* got = find_peer(a2, want.public_key);
    if (!got) continue;
    ++matched;
    CHECK(got->endpoint == want.endpoint);
    CHECK(got->keepalive == *want.keepalive);
    CHECK(got->allowed_ips == want.allowed_ips);
  }
  CHECK(matched == 300);
  // B is untouched.
  CHECK(sys::in_netns(fd_b.get(), [&] { return wg->get(kWg); }).peers.size() == 1);

  // Replace: only the real peer is left, its settings intact.
  DeviceConfig only;
  only.name = kWg;
  only.replace_peers = true;
  only.peers = {peer_b};
  DeviceState a3 = sys::in_netns(fd_a.get(), [&] {
    wg->configure(only);
    return wg->get(kWg);
  });
  REQUIRE(a3.peers.size() == 1);
  CHECK(a3.peers[0].public_key == pub_b);
  CHECK(a3.peers[0].allowed_ips == peer_b.allowed_ips);
  CHECK(a3.peers[0].endpoint == peer_b.endpoint);
  CHECK(a3.public_key == pub_a);
  // WGDEVICE_F_REPLACE_PEERS removes every peer and adds the listed ones
  // afresh (kernel wg_set_device), so even the kept peer restarts: counters
  // from zero, session gone (its persistent keepalive may already have
  // started a new handshake, so neither is asserted). The tunnel comes back.
  CHECK(ping(kNsA, "10.99.0.2"));
  CHECK(ping(kNsA, "fd99::2"));
  DeviceState a3b = sys::in_netns(fd_a.get(), [&] { return wg->get(kWg); });
  REQUIRE(a3b.peers.size() == 1);
  CHECK(a3b.peers[0].last_handshake);
  CHECK(a3b.peers[0].rx_bytes > 0);

  // Remove the peer.
  DeviceConfig rm;
  rm.name = kWg;
  PeerConfig gone;
  gone.public_key = pub_b;
  gone.remove = true;
  rm.peers = {gone};
  DeviceState a4 = sys::in_netns(fd_a.get(), [&] {
    wg->configure(rm);
    return wg->get(kWg);
  });
  CHECK(a4.peers.empty());
  CHECK(a4.public_key == pub_a);
  CHECK(a4.listen_port == kPortA);

  // remove() deletes the links; a second time there is nothing to delete.
  const uint64_t rt2 = wg->round_trips();
  sys::in_netns(fd_a.get(), [&] {
    CHECK(wg->remove(kWg));
    CHECK_FALSE(wg->remove(kWg));
  });
  sys::in_netns(fd_b.get(), [&] { CHECK(wg->remove(kWg)); });
  CHECK(wg->round_trips() > rt2);
  CHECK(sh("ip -n " + kNsA + " link show " + kWg + " >/dev/null 2>&1") != 0);
  CHECK(sh("ip -n " + kNsB + " link show " + kWg + " >/dev/null 2>&1") != 0);
}
