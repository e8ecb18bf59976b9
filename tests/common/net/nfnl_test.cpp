// common/net/nfnl: nftables tables and chains read over nfnetlink, checked
// against tables the nft CLI makes in a namespace of the test's own.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <stdexcept>

#include "common/net/nfnl.h"
#include "common/sys/netns.h"
#include "support/netns.h"
#include "support/support.h"

using namespace zos;
using zos::test::Netns;

TEST_CASE("nfnl: nftables family names", "[nfnl]") {
  CHECK(nfnl::family("inet") == 1);  // NFPROTO_INET
  CHECK(nfnl::family("ip") == 2);    // NFPROTO_IPV4
  CHECK(nfnl::family("ip6") == 10);  // NFPROTO_IPV6
  CHECK_THROWS_AS(nfnl::family("ipv4"), std::invalid_argument);
  CHECK_THROWS_AS(nfnl::table_exists("zos-nr"), std::invalid_argument);
  CHECK_THROWS_AS(nfnl::table_exists(1, ""), std::invalid_argument);
  CHECK_THROWS_AS(nfnl::table_exists(1, std::string(300, 'x')), std::invalid_argument);
}

TEST_CASE("nfnl: tables and chains the nft CLI made", "[nfnl][root]") {
  ZOS_REQUIRE_ROOT();
  Netns ns("nc", "nfnl");
  auto nft = [&](const std::string& cmd) { REQUIRE(test::sh(ns.in() + "nft '" + cmd + "'") == 0); };
  auto in_ns = [&](auto f) { return ns.run(f); };

  CHECK_FALSE(in_ns([] { return nfnl::table_exists("inet zt-nfnl"); }));
  CHECK(in_ns([] { return nfnl::chains("inet zt-nfnl"); }).empty());

  nft("add table inet zt-nfnl");
  nft("add chain inet zt-nfnl input { type filter hook input priority 0; policy accept; }");
  nft("add chain inet zt-nfnl forward { type filter hook forward priority 0; policy accept; }");
  nft("add table ip zt-other");
  nft("add chain ip zt-other input { type filter hook input priority 0; }");
  CHECK(in_ns([] { return nfnl::table_exists("inet zt-nfnl"); }));
  CHECK(in_ns([] { return nfnl::table_exists("ip zt-other"); }));
  // Same name, other family; other name, same family.
  CHECK_FALSE(in_ns([] { return nfnl::table_exists("ip zt-nfnl"); }));
  CHECK_FALSE(in_ns([] { return nfnl::table_exists("ip6 zt-nfnl"); }));
  CHECK_FALSE(in_ns([] { return nfnl::table_exists("inet zt-nfnl2"); }));
  CHECK(in_ns([] { return nfnl::chains("inet zt-nfnl"); }) == std::vector<std::string>{"input", "forward"});
  CHECK(in_ns([] { return nfnl::chains("ip zt-other"); }) == std::vector<std::string>{"input"});
  CHECK(in_ns([] { return nfnl::chains("ip zt-nfnl"); }).empty());
  // The query follows the thread's namespace: not in the machine's own.
  CHECK_FALSE(nfnl::table_exists("inet zt-nfnl"));

  nft("delete chain inet zt-nfnl forward");
  CHECK(in_ns([] { return nfnl::chains("inet zt-nfnl"); }) == std::vector<std::string>{"input"});
  nft("delete table inet zt-nfnl");
  CHECK_FALSE(in_ns([] { return nfnl::table_exists("inet zt-nfnl"); }));
  CHECK(in_ns([] { return nfnl::table_exists("ip zt-other"); }));
}

TEST_CASE("nfnl: chain_list gives each chain's comment and rule count", "[nfnl][root]") {
  ZOS_REQUIRE_ROOT();
  Netns ns("nc", "nfnl2");
  auto nft = [&](const std::string& cmd) { REQUIRE(test::sh(ns.in() + "nft '" + cmd + "'") == 0); };
  nft("add table inet zt-a");
  nft("add chain inet zt-a input { type filter hook input priority 0; comment \"zos x\"; }");
  nft("add chain inet zt-a other");
  nft("add table inet zt-b");
  nft("add chain inet zt-b input");
  nft("add rule inet zt-a input iifname \"lo\" accept");
  nft("add rule inet zt-a input ct state invalid drop");
  nft("add rule inet zt-b input ip saddr { 10.0.0.1, 10.0.0.2 } drop");
  auto count = [&](const std::string& table, const std::string& chain) -> long {
    auto all = ns.run([] { return nfnl::chain_list(nfnl::family("inet")); });
    for (const auto& c : all)
      if (c.table == table && c.name == chain) return static_cast<long>(c.rules);
    return -1;
  };
  CHECK(count("zt-a", "input") == 2);
  CHECK(count("zt-a", "other") == 0);
  CHECK(count("zt-b", "input") == 1);
  auto all = ns.run([] { return nfnl::chain_list(nfnl::family("inet")); });
  REQUIRE(all.size() == 3);
  CHECK(all[0].comment == "zos x");
  nft("flush chain inet zt-a input");
  CHECK(count("zt-a", "input") == 0);
  CHECK(count("zt-b", "input") == 1);
}

TEST_CASE("nfnl: set elements of hundreds of ports go in one transaction and come out again", "[nfnl][root]") {
  // An unchanged re-apply puts every attached port back in the bridge
  // guard's sets at once: a node with hundreds of containers on one NR.
  ZOS_REQUIRE_ROOT();
  Netns ns("nc", "nfnl3");
  REQUIRE(test::sh(ns.in() + "nft 'add table bridge zt-g; add set bridge zt-g v6 { type ifname . ipv6_addr; }; "
                             "add set bridge zt-g mac { type ifname . ether_addr; }'") == 0);
  auto port = [](int i) {
    std::vector<uint8_t> k(16, 0);
    std::string name = "zv" + std::to_string(100000 + i);
    std::copy(name.begin(), name.end(), k.begin());
    return k;
  };
  nfnl::SetElements v6{"v6", {}}, mac{"mac", {}};
  const int n = 600;
  for (int i = 0; i < n; ++i) {
    auto k = port(i);
    std::vector<uint8_t> a(16, 0);
    a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8, a[14] = static_cast<uint8_t>(i >> 8), a[15] = static_cast<uint8_t>(i);
    k.insert(k.end(), a.begin(), a.end());
    v6.keys.push_back(k);
    auto m = port(i);
    for (int b : {0x02, 0, 0, 0, i >> 8, i & 0xff}) m.push_back(static_cast<uint8_t>(b));
    m.resize(24, 0);  // ether_addr padded to 8
    mac.keys.push_back(m);
  }
  auto count = [&](const std::string& set) {
    return test::sh_out(ns.in() + "nft list set bridge zt-g " + set + " | grep -o '\"zv1[0-9]*\"' | wc -l");
  };
  ns.run([&] { nfnl::add_elements(nfnl::family("bridge"), "zt-g", {v6, mac}); });
  CHECK(count("v6") == std::to_string(n) + "\n");
  CHECK(count("mac") == std::to_string(n) + "\n");
  ns.run([&] { nfnl::delete_elements(nfnl::family("bridge"), "zt-g", {v6, mac}); });
  CHECK(count("v6") == "0\n");
  CHECK(count("mac") == "0\n");
}
