// Integration: traffic through real NRs in a node namespace.
// Nibbles used here: 0b01 (one NR), 0b02 + 0b03 (two tenants), 0b20 (parallel).
#include <atomic>
#include <set>
#include <thread>

#include "nr/nr_support.h"

using namespace zos::test;
using namespace zos::test::nr;

TEST_CASE("nr: two containers in one NR reach each other and their gateways, v4 and v6", "[nr][root]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  auto conf = node.conf(node.write_network(network("t-ping", 0x01)));
  auto a = node.container("a");
  auto b = node.container("b");
  auto ra = node.cni("ADD", conf, "ping-a", a);
  auto rb = node.cni("ADD", conf, "ping-b", b);
  json ja = succeeded(ra), jb = succeeded(rb);
  std::string a4 = ip4_of(ja), b4 = ip4_of(jb), a6 = ip6_of(ja), b6 = ip6_of(jb);
  REQUIRE(a4.rfind("10.11.1.", 0) == 0);
  REQUIRE(b4.rfind("10.11.1.", 0) == 0);
  REQUIRE(a6.rfind("2a02:1802:5e:b01:", 0) == 0);
  REQUIRE(b6.rfind("2a02:1802:5e:b01:", 0) == 0);
  CHECK(a4 != b4);
  CHECK(a6 != b6);

  CHECK(ping(a, b4));
  CHECK(ping(b, a4));
  CHECK(ping(a, b6));
  CHECK(ping(b, a6));
  CHECK(ping(a, router4(0x01)));
  CHECK(ping(b, router4(0x01)));
  CHECK(ping(a, router6(0x01)));
  CHECK(ping(b, router6(0x01)));

  CHECK(node.cni("DEL", conf, "ping-a", a).status == 0);
  CHECK(node.cni("DEL", conf, "ping-b", b).status == 0);
  CHECK(node.host_veths().empty());
  CHECK(node.all_leases().empty());
}

TEST_CASE("nr: two tenants on one node cannot reach each other", "[nr][root]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  auto c1 = node.conf(node.write_network(network("t-ten1", 0x02)), "1.1.0", "ten1");
  auto c2 = node.conf(node.write_network(network("t-ten2", 0x03)), "1.1.0", "ten2");
  auto a = node.container("a");
  auto b = node.container("b");
  auto ra = node.cni("ADD", c1, "ten-a", a);
  auto rb = node.cni("ADD", c2, "ten-b", b);
  json ja = succeeded(ra), jb = succeeded(rb);
  // Each tenant's own gateway works (so the failures below are isolation,
  // not a broken setup).
  REQUIRE(ping(a, router4(0x02)));
  REQUIRE(ping(b, router4(0x03)));
  REQUIRE(ping(a, router6(0x02)));
  REQUIRE(ping(b, router6(0x03)));

  CHECK_FALSE(ping(a, ip4_of(jb)));
  CHECK_FALSE(ping(b, ip4_of(ja)));
  CHECK_FALSE(ping(a, ip6_of(jb)));
  CHECK_FALSE(ping(b, ip6_of(ja)));
  // Nor the other tenant's router.
  CHECK_FALSE(ping(a, router4(0x03)));
  CHECK_FALSE(ping(b, router4(0x02)));
  CHECK_FALSE(ping(a, router6(0x03)));
  CHECK_FALSE(ping(b, router6(0x02)));
  // The two NRs do not share a bridge.
  CHECK(node.has_link(nr_bridge(0x02)));
  CHECK(node.has_link(nr_bridge(0x03)));

  CHECK(node.cni("DEL", c1, "ten-a", a).status == 0);
  CHECK(node.cni("DEL", c2, "ten-b", b).status == 0);
}

TEST_CASE("nr: 32 parallel ADDs into one NR, then 32 parallel DELs", "[nr][root][parallel]") {
  ZOS_REQUIRE_ROOT();
  constexpr int kN = 32;
  Node node;
  auto conf = node.conf(node.write_network(network("t-par", 0x20)));
  // No NR yet: the first ADDs race to build it.
  std::vector<std::string> ns(kN);
  for (int i = 0; i < kN; ++i) ns[i] = node.container("p" + std::to_string(i));
  std::vector<Exec> res(kN);
  {
    std::vector<std::thread> th;
    for (int i = 0; i < kN; ++i)
      th.emplace_back([&, i] { res[i] = node.cni("ADD", conf, "par-" + std::to_string(i), ns[i]); });
    for (auto& t : th) t.join();
  }
  std::set<std::string> v4, v6;
  for (int i = 0; i < kN; ++i) {
    ZOS_SHOW(res[i]);
    INFO("container " << i);
    REQUIRE(res[i].status == 0);
    json j = out_json(res[i]);
    v4.insert(ip4_of(j));
    v6.insert(ip6_of(j));
  }
  CHECK(v4.size() == kN);
  CHECK(v6.size() == kN);
  CHECK(node.host_veths().size() == kN);
  CHECK(node.leases().size() == kN);
  {
    std::vector<std::thread> th;
    std::atomic<int> ok{0};
    for (int i = 0; i < kN; ++i)
      th.emplace_back([&, i] { ok += ping(ns[i], router4(0x20)) ? 1 : 0; });
    for (auto& t : th) t.join();
    CHECK(ok == kN);
  }
  auto shown = node.show();
  REQUIRE(shown.size() == 1);
  CHECK(shown[0]["problems"].empty());
  CHECK(shown[0]["containers"].size() == kN);

  std::vector<Exec> del(kN);
  {
    std::vector<std::thread> th;
    for (int i = 0; i < kN; ++i)
      th.emplace_back([&, i] { del[i] = node.cni("DEL", conf, "par-" + std::to_string(i), ns[i]); });
    for (auto& t : th) t.join();
  }
  for (int i = 0; i < kN; ++i) {
    ZOS_SHOW(del[i]);
    CHECK(del[i].status == 0);
  }
  CHECK(node.host_veths().empty());
  CHECK(node.all_leases().empty());
  CHECK(node.records().empty());
}
