// Kernel backend: the WG_CMD_SET_DEVICE messages (split of large peer sets)
// checked offline by parsing them back; backend choice on this machine.
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <catch2/catch.hpp>

#include "common/net/nl.h"
#include "common/sys/netns.h"
#include "common/wg/wg.h"
#include "common/wg/wg_kernel.h"
#include "support/netns.h"
#include "support/support.h"

using namespace zos;
using namespace zos::wg;

namespace {

constexpr int kFamily = 0x1c;  // any id: the messages are only parsed back

ip::Prefix pfx(const std::string& s) { return *ip::Prefix::parse(s); }

Key key_n(uint32_t n) {
  Key k{};
  for (int i = 0; i < 4; ++i) k[i] = static_cast<uint8_t>(n >> (8 * i));
  k[31] = 0x42;
  return k;
}

DeviceConfig big_config(size_t peers, size_t ips_per_peer) {
  DeviceConfig c;
  c.name = "wg-test";
  c.private_key = key_n(0xffffff);
  c.listen_port = 51820;
  c.fwmark = 0x51;
  c.replace_peers = true;
  for (size_t i = 0; i < peers; ++i) {
    PeerConfig p;
    p.public_key = key_n(static_cast<uint32_t>(i));
    p.endpoint = i % 2 ? Endpoint{*ip::Addr::parse("2001:db8::" + std::to_string(i % 9000 + 1)), 51820}
                       : Endpoint{ip::Addr::v4(0xc0000200u + static_cast<uint32_t>(i % 250)), 51820};
    p.keepalive = 25;
    p.replace_allowed_ips = true;
    for (size_t j = 0; j < ips_per_peer; ++j)
      p.allowed_ips.push_back(j % 2 ? ip::Prefix(ip::Addr::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                                static_cast<uint8_t>(i >> 8),
                                                                static_cast<uint8_t>(i), static_cast<uint8_t>(j)}),
                                                 128)
                                    : ip::Prefix(ip::Addr::v4(0x0a000000u + static_cast<uint32_t>(i * 256 + j)), 32));
    c.peers.push_back(p);
  }
  return c;
}

struct Inspected {
  size_t len = 0;
  bool has_private_key = false, has_port = false, has_fwmark = false;
  uint32_t device_flags = 0;
  std::string ifname;
  std::vector<uint32_t> peer_flags;
};

Inspected inspect(nl_msg* m) {
  Inspected r;
  nlmsghdr* h = nlmsg_hdr(m);
  r.len = h->nlmsg_len;
  auto* g = static_cast<genlmsghdr*>(nlmsg_data(h));
  REQUIRE(g->cmd == WG_CMD_SET_DEVICE);
  REQUIRE(h->nlmsg_type == kFamily);
  REQUIRE((h->nlmsg_flags & (NLM_F_REQUEST | NLM_F_ACK)) == (NLM_F_REQUEST | NLM_F_ACK));
  nlattr* tb[WGDEVICE_A_MAX + 1] = {};
  REQUIRE(genlmsg_parse(h, 0, tb, WGDEVICE_A_MAX, nullptr) == 0);
  if (tb[WGDEVICE_A_IFNAME]) r.ifname = nla_get_string(tb[WGDEVICE_A_IFNAME]);
  r.has_private_key = tb[WGDEVICE_A_PRIVATE_KEY];
  r.has_port = tb[WGDEVICE_A_LISTEN_PORT];
  r.has_fwmark = tb[WGDEVICE_A_FWMARK];
  if (tb[WGDEVICE_A_FLAGS]) r.device_flags = nla_get_u32(tb[WGDEVICE_A_FLAGS]);
  if (tb[WGDEVICE_A_PEERS]) {
    nlattr* p;
    int rem;
    nla_for_each_nested(p, tb[WGDEVICE_A_PEERS], rem) {
      nlattr* pt[WGPEER_A_MAX + 1] = {};
      REQUIRE(nla_parse_nested(pt, WGPEER_A_MAX, p, nullptr) == 0);
      r.peer_flags.push_back(pt[WGPEER_A_FLAGS] ? nla_get_u32(pt[WGPEER_A_FLAGS]) : 0);
    }
  }
  return r;
}

void check_round_trip(const DeviceConfig& c, const std::vector<nl::MsgPtr>& msgs) {
  DeviceState st;
  for (const auto& m : msgs) kernel::parse_device_part(nlmsg_hdr(m.get()), st);
  CHECK(st.name == c.name);
  CHECK(st.has_private_key);
  CHECK(st.listen_port == *c.listen_port);
  CHECK(st.fwmark == *c.fwmark);
  REQUIRE(st.peers.size() == c.peers.size());
  for (size_t i = 0; i < c.peers.size(); ++i) {
    CHECK(st.peers[i].public_key == c.peers[i].public_key);
    CHECK(st.peers[i].endpoint == c.peers[i].endpoint);
    CHECK(st.peers[i].keepalive == *c.peers[i].keepalive);
    CHECK(st.peers[i].allowed_ips == c.peers[i].allowed_ips);
  }
}

}  // namespace

TEST_CASE("wg kernel: one small message", "[wg]") {
  DeviceConfig c = big_config(3, 2);
  auto msgs = kernel::build_set_device(c, kFamily, kernel::message_budget());
  REQUIRE(msgs.size() == 1);
  auto i = inspect(msgs[0].get());
  CHECK(i.ifname == "wg-test");
  CHECK(i.has_private_key);
  CHECK(i.device_flags == WGDEVICE_F_REPLACE_PEERS);
  CHECK(i.peer_flags == std::vector<uint32_t>(3, WGPEER_F_REPLACE_ALLOWEDIPS));
  check_round_trip(c, msgs);

  // Only what is set goes out; removal carries nothing but the key.
  DeviceConfig d;
  d.name = "wg-test";
  PeerConfig rm;
  rm.public_key = key_n(7);
  rm.remove = true;
  rm.allowed_ips.push_back(pfx("10.0.0.1/32"));
  PeerConfig upd;
  upd.public_key = key_n(8);
  upd.update_only = true;
  d.peers = {rm, upd};
  msgs = kernel::build_set_device(d, kFamily, kernel::message_budget());
  REQUIRE(msgs.size() == 1);
  i = inspect(msgs[0].get());
  CHECK_FALSE(i.has_private_key);
  CHECK_FALSE(i.has_port);
  CHECK_FALSE(i.has_fwmark);
  CHECK(i.device_flags == 0);
  CHECK(i.peer_flags == std::vector<uint32_t>{WGPEER_F_REMOVE_ME, WGPEER_F_UPDATE_ONLY});
  DeviceState st;
  kernel::parse_device_part(nlmsg_hdr(msgs[0].get()), st);
  REQUIRE(st.peers.size() == 2);
  CHECK(st.peers[0].allowed_ips.empty());
}

TEST_CASE("wg kernel: 1000 peers are split under the page budget", "[wg]") {
  const size_t budget = kernel::message_budget();
  DeviceConfig c = big_config(1000, 2);
  auto msgs = kernel::build_set_device(c, kFamily, budget);
  REQUIRE(msgs.size() > 1);
  size_t peers = 0;
  for (size_t n = 0; n < msgs.size(); ++n) {
    auto i = inspect(msgs[n].get());
    CHECK(i.len <= budget);
    CHECK(i.ifname == "wg-test");
    CHECK(i.has_private_key == (n == 0));
    CHECK(i.has_port == (n == 0));
    CHECK(i.device_flags == (n == 0 ? WGDEVICE_F_REPLACE_PEERS : 0u));
    peers += i.peer_flags.size();
    // Messages are filled: each but the last holds most of the budget.
    if (n + 1 < msgs.size()) CHECK(i.len > budget * 3 / 4);
  }
  // A peer may be split: its continuation is a second entry for the same key.
  CHECK(peers >= 1000);
  CHECK(peers < 1000 + msgs.size());
  check_round_trip(c, msgs);
  // The same under a tight budget: more messages, same content.
  auto small = kernel::build_set_device(c, kFamily, 1024);
  CHECK(small.size() > msgs.size());
  for (const auto& m : small) CHECK(nlmsg_hdr(m.get())->nlmsg_len <= 1024);
  check_round_trip(c, small);
}

TEST_CASE("wg kernel: a peer with many allowed IPs continues in the next message", "[wg]") {
  DeviceConfig c = big_config(3, 600);  // ~600 * 28 bytes: several pages per peer
  auto msgs = kernel::build_set_device(c, kFamily, kernel::message_budget());
  REQUIRE(msgs.size() > 3);
  std::vector<uint32_t> flags;
  for (size_t n = 0; n < msgs.size(); ++n) {
    auto i = inspect(msgs[n].get());
    CHECK(i.len <= kernel::message_budget());
    CHECK((i.device_flags != 0) == (n == 0));
    flags.insert(flags.end(), i.peer_flags.begin(), i.peer_flags.end());
  }
  // Each peer's first part replaces its allowed IPs; continuations only add.
  size_t firsts = 0;
  for (uint32_t f : flags) {
    if (f == WGPEER_F_REPLACE_ALLOWEDIPS) ++firsts;
    else CHECK(f == WGPEER_F_UPDATE_ONLY);
  }
  CHECK(firsts == 3);
  check_round_trip(c, msgs);
}

TEST_CASE("wg kernel: bad configs are refused", "[wg]") {
  DeviceConfig c = big_config(1, 1);
  c.name = "";
  CHECK_THROWS_AS(kernel::build_set_device(c, kFamily, 4096), std::invalid_argument);
  c.name = "a-name-too-long-for-a-link";
  CHECK_THROWS_AS(kernel::build_set_device(c, kFamily, 4096), std::invalid_argument);
  c.name = "wg0";
  CHECK_THROWS_AS(kernel::build_set_device(c, kFamily, 64), std::invalid_argument);
}

TEST_CASE("wg backend choice: kernel when the module is there, else userspace", "[wg][root]") {
  ZOS_REQUIRE_ROOT();
  auto b = make_backend();
  if (kernel_supported()) {
    CHECK(std::string(b->kind()) == "kernel");
  } else {
    CHECK(std::string(b->kind()) == "userspace");
  }
  CHECK(std::string(make_backend(Kind::kKernel)->kind()) == "kernel");
  CHECK(std::string(make_backend(Kind::kUserspace)->kind()) == "userspace");
}

TEST_CASE("wg kernel backend: create, configure, read back (where the module exists)", "[wg][root]") {
  ZOS_REQUIRE_ROOT();
  test::Netns ns("wg", "k");
  KernelBackend k;
  ns.run([&] {
    if (!KernelBackend::available()) {
      // The link kind is unknown to this kernel: the request is refused, not
      // mangled.
      try {
        k.create("wgk0");
        FAIL("created a wireguard link without the module");
      } catch (const nl::NlError& e) {
        CHECK(e.err() == EOPNOTSUPP);
      }
      WARN("no wireguard module here: kernel backend checked offline only");
      return;
    }
    REQUIRE(k.create("wgk0"));
    CHECK_FALSE(k.create("wgk0"));
    DeviceConfig c = big_config(300, 3);
    c.name = "wgk0";
    k.configure(c);
    DeviceState st = k.get("wgk0");
    CHECK(st.public_key == public_key_of(*c.private_key));
    CHECK(st.listen_port == 51820);
    REQUIRE(st.peers.size() == 300);
    for (size_t i = 0; i < 300; ++i) {
      CHECK(st.peers[i].public_key == c.peers[i].public_key);
      CHECK(st.peers[i].allowed_ips.size() == 3);
    }
    DeviceConfig r;
    r.name = "wgk0";
    r.peers.push_back(PeerConfig{.public_key = c.peers[0].public_key, .remove = true});
    k.configure(r);
    CHECK(k.get("wgk0").peers.size() == 299);
    CHECK(k.remove("wgk0"));
    CHECK_FALSE(k.remove("wgk0"));
  });
}
