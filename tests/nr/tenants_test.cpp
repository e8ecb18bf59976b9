// Integration: attacks 6 and 7 of issue #11. Two tenants whose prefixes
// share a nibble get one IPv4 /24 on a node (allowed: their NRs never route
// to each other), served by one conflist (networksDir): each has a lease
// pool of its own and sees nothing of the other. A delete older than the
// applied version is refused unless forced.
//
// Nibbles used here: 0bc8 (two tenants: 2a02:1802:5e:bc8::/64 alloc 0 and
// 2a02:1802:5f:bc8::/64 alloc 1), 0bc9.
#include <catch2/catch.hpp>

#include "nr/nr_support.h"

using namespace zos::test;
using namespace zos::test::nr;

TEST_CASE("security: attack 6, two tenants with one /24 share no leases and see nothing of each other",
          "[nr][root][security]") {
  ZOS_REQUIRE_ROOT();
  Node node("s6");
  json na = network("sec-pa", 0xc8, 1, 0);
  json nb = network("sec-pb", 0xc8, 1, 1);
  nb["resources"][0]["prefix"] = "2a02:1802:5f:bc8::/64";
  std::string fa = node.write_network(na);
  node.write_network(nb);
  json conf = node.conf(fa);
  conf.erase("networkFile");
  conf["networksDir"] = fa.substr(0, fa.rfind('/'));
  auto add = [&](const std::string& net, const std::string& id, const std::string& ns, const std::string& ip = "") {
    std::string args = "IgnoreUnknown=1;ZOS_NETWORK=" + net + (ip.empty() ? "" : ";IP=" + ip);
    return node.cni("ADD", conf, id, ns, "eth0", {{"CNI_ARGS", args}});
  };
  std::string a1 = node.container("s6a1"), b1 = node.container("s6b1"), b2 = node.container("s6b2");
  json ra1 = succeeded(add("sec-pa", "s6-a1", a1, "10.11.200.5"));
  // B may take the address A holds; its pool knows nothing of A's leases.
  json rb1 = succeeded(add("sec-pb", "s6-b1", b1, "10.11.200.5"));
  json rb2 = succeeded(add("sec-pb", "s6-b2", b2));
  CHECK(ip4_of(ra1) == "10.11.200.5");
  CHECK(ip4_of(rb1) == "10.11.200.5");
  // A's pool is A's: the address B got next is A's next too (one shared
  // pool would have handed A another).
  std::string a2 = node.container("s6a2");
  json ra2 = succeeded(add("sec-pa", "s6-a2", a2));
  CHECK(ip4_of(ra2) == ip4_of(rb2));

  // Each reaches its own; nothing of the other (its containers over v4 and
  // v6, its router's IPv6), though the IPv4 addresses are the same.
  CHECK(ping(a1, ip4_of(ra2)));
  CHECK(ping(b1, ip4_of(rb2)));
  CHECK(ping(a1, router6(0xc8)));
  CHECK(ping(b1, "2a02:1802:5f:bc8::1"));
  CHECK_FALSE(ping(a1, ip6_of(rb1)));
  CHECK_FALSE(ping(a1, ip6_of(rb2)));
  CHECK_FALSE(ping(a1, "2a02:1802:5f:bc8::1"));
  CHECK_FALSE(ping(b1, ip6_of(ra1)));
  CHECK_FALSE(ping(b1, router6(0xc8)));
  // Same IPv4 on both sides: A's answers A with A's MAC, never B's.
  std::string mac_a2 = sh_out("ip -n " + ns_name("s6a2") + " -br link show eth0 | awk '{printf $3}'");
  REQUIRE(ping(a1, ip4_of(ra2)));
  CHECK(sh_out("ip -n " + ns_name("s6a1") + " neigh show " + ip4_of(ra2)).find(mac_a2) != std::string::npos);

  // DEL and delete of A leave B's leases alone.
  size_t before = node.leases().size();
  CHECK(node.cni("DEL", conf, "s6-a1", a1, "eth0", {{"CNI_ARGS", "IgnoreUnknown=1;ZOS_NETWORK=sec-pa"}}).status == 0);
  CHECK(node.leases().size() == before - 1);
  CHECK(node.leases_of("s6-b1") == 1);
  auto d = node.manage({"delete", fa, "--node", node.id()});
  ZOS_SHOW(d);
  CHECK(d.status == 0);
  CHECK(node.leases_of("s6-b1") == 1);
  CHECK(node.leases_of("s6-b2") == 1);
  CHECK(ping(b1, ip4_of(rb2)));
}

TEST_CASE("security: attack 7, a delete older than the applied version is refused unless forced",
          "[nr][root][security]") {
  ZOS_REQUIRE_ROOT();
  Node node("s7");
  std::string f = node.write_network(network("sec-del", 0xc9, 2));
  REQUIRE(node.manage({"apply", f, "--node", node.id()}).status == 0);
  std::string old = node.file("old.json");
  REQUIRE(sh("echo '" + network("sec-del", 0xc9, 1).dump() + "' >" + old) == 0);
  auto r = node.manage({"delete", old, "--node", node.id()});
  ZOS_SHOW(r);
  CHECK(r.status == 1);
  CHECK(r.err.find("older than the applied version 2") != std::string::npos);
  CHECK(sh("test -e /run/netns/" + nr_netns(0xc9)) == 0);
  CHECK(node.show().size() == 1);
  // The current version deletes; so does --force with an old one.
  REQUIRE(node.manage({"apply", f, "--node", node.id()}).status == 0);
  r = node.manage({"delete", old, "--force", "--node", node.id()});
  ZOS_SHOW(r);
  CHECK(r.status == 0);
  CHECK(sh("test -e /run/netns/" + nr_netns(0xc9)) != 0);
}
