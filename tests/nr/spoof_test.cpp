// Integration: attacks 4 and 5 of issue #11 on an exit NR: a container that
// sends from addresses (or a MAC) not its own, and the Internet pinging the
// exit. Each layer of the guard is shown to hold alone (the bridge guard is
// removed, then `zos-nr apply` puts it back, with its ports' elements).
//
// Nibbles used here: 0bc5 (the exit tenant), 0bc6 and 0bc7 (other tenants'
// addresses a spoofer borrows; never applied), 0bca and 0bcb (a mesh of two
// nodes, node1 the exit).
#include <unistd.h>

#include "nr/exit_world.h"
#include "nr/mesh_world.h"

using namespace zos::test;
using namespace zos::test::nr;

TEST_CASE("security: attack 4, spoofed sources leave neither the bridge nor the exit", "[nr][root][security]") {
  ZOS_REQUIRE_ROOT();
  ExitWorld w("s4");
  auto f = w.node.write_network(exit_network("sec-spoof", 0xc5, exit_point("203.0.113.10/24", "2001:db8:ff::10/64")));
  std::string e1 = w.node.container("s4e1"), e2 = w.node.container("s4e2");
  json r1 = succeeded(w.add(f, "s4-e1", e1));
  // Real datagrams name their source: the spoofed addresses added to eth0
  // would otherwise win the kernel's source selection.
  const std::string e1v4 = ip4_of(r1), e1v6 = ip6_of(r1);
  json r2 = succeeded(w.add(f, "s4-e2", e2));
  REQUIRE(ping_retry(e1, "203.0.113.1"));
  REQUIRE(ping_retry(e1, "2001:db8:ff::1"));
  const std::string inet4 = "203.0.113.1", inet6 = "2001:db8:ff::1";

  // To the Internet: its own addresses pass, 8.8.8.8, another tenant's /24
  // or /64 and any other IPv6 do not.
  // Real and spoofed datagrams go in separate rounds: a spoofed one that
  // starts neighbour discovery does it from its spoofed source, which the
  // guard drops, and a real one waiting on the same neighbour would be lost.
  auto to_internet = [&](const std::string& round) {
    REQUIRE(ping_retry(e1, inet4));
    REQUIRE(ping_retry(e1, inet6));
    auto got = udp_arrivals(w.inet_path, 9999,
                            {{e1, e1v4, inet4, round + "real4"}, {e1, e1v6, inet6, round + "real6"}});
    auto spoofed = udp_arrivals(w.inet_path, 9999,
                                {{e1, "8.8.8.8", inet4, round + "spoof4-any"},
                                 {e1, "10.11.198.5", inet4, round + "spoof4-tenant"},
                                 {e1, "2a02:1802:5e:bc7::5", inet6, round + "spoof6-tenant"},
                                 {e1, "2001:db8:ff::99", inet6, round + "spoof6-any"}});
    got.insert(got.end(), spoofed.begin(), spoofed.end());
    return got;
  };
  auto expect_only_real = [&](const std::vector<std::string>& got, const std::string& round) {
    std::string all;
    for (const auto& g : got) all += g + " ";
    INFO("arrived: " << all);
    CHECK(arrived(got, round + "real4"));
    CHECK(arrived(got, round + "real6"));
    CHECK(got.size() == 2);
  };
  expect_only_real(to_internet("a-"), "a-");

  // To a sibling on the bridge: not even an unleased address of its own
  // /24 or /64 (the bridge guard), nor its own address under another MAC.
  const std::string e2v4 = ip4_of(r2), e2v6 = ip6_of(r2);
  REQUIRE(ping_retry(e1, e2v4));
  REQUIRE(ping_retry(e1, e2v6));
  auto got = udp_arrivals(e2, 9999, {{e1, e1v4, e2v4, "sib-real4"}, {e1, e1v6, e2v6, "sib-real6"}});
  auto spoofed = udp_arrivals(e2, 9999,
                              {{e1, "10.11.197.77", e2v4, "sib-spoof4"}, {e1, "2a02:1802:5e:bc5::77", e2v6, "sib-spoof6"}});
  got.insert(got.end(), spoofed.begin(), spoofed.end());
  CHECK(arrived(got, "sib-real4"));
  CHECK(arrived(got, "sib-real6"));
  CHECK_FALSE(arrived(got, "sib-spoof4"));
  CHECK_FALSE(arrived(got, "sib-spoof6"));
  // (/sys does not follow nsenter: ask ip.)
  std::string mac = sh_out("ip -n " + e1.substr(e1.rfind('/') + 1) + " -br link show eth0 | awk '{printf $3}'");
  REQUIRE(mac.size() == 17);
  REQUIRE(sh("nsenter --net=" + e1 + " ip link set eth0 address 02:00:5e:00:00:99") == 0);
  CHECK_FALSE(ping(e1, e2v4));
  CHECK_FALSE(ping(e1, "203.0.113.1"));
  REQUIRE(sh("nsenter --net=" + e1 + " ip link set eth0 address " + mac) == 0);
  CHECK(ping_retry(e1, e2v4));

  // The NR router alone (bridge guard removed) still drops what is not of
  // the NR's /24 and /64, and the exit what is not the network's.
  drop_bridge_guard(w.node);
  expect_only_real(to_internet("b-"), "b-");
  // apply puts the bridge guard back, with e1's and e2's addresses in it.
  CHECK(w.node.manage({"apply", f, "--node", w.node.id()}).status == 0);
  expect_only_real(to_internet("c-"), "c-");
  CHECK(ping(e1, e2v4));
}

TEST_CASE("security: attack 5, the Internet cannot ping the exit NR, its own containers can", "[nr][root][security]") {
  ZOS_REQUIRE_ROOT();
  ExitWorld w("s5");
  auto f = w.node.write_network(exit_network("sec-echo", 0xc5, exit_point("203.0.113.10/24", "2001:db8:ff::10/64")));
  std::string e = w.node.container("s5e");
  json r = succeeded(w.add(f, "s5-e", e));
  // Neighbour discovery and path MTU work from outside: the container
  // reaches the Internet over IPv6 (the Internet answers ND for its address).
  CHECK(ping_retry(e, "2001:db8:ff::1"));
  CHECK(ping(e, "2001:db8:ff::10"));  // echo from inside the network
  CHECK(ping(e, router6(0xc5)));
  CHECK_FALSE(ping(w.inet_path, "2001:db8:ff::10"));
  CHECK_FALSE(ping(w.inet_path, "203.0.113.10"));
  CHECK_FALSE(ping(w.inet_path, router6(0xc5)));
  CHECK_FALSE(ping(w.inet_path, ip6_of(r)));
  // Packet too big from the Internet is taken (path MTU discovery).
  std::string rules = sh_out("ip netns exec " + nr_netns(0xc5) + " nft list chain inet zos-nr input");
  INFO(rules);
  CHECK(rules.find("packet-too-big") != std::string::npos);
  CHECK(rules.find("echo-request") == std::string::npos);
}

TEST_CASE("security: attack 4 across WireGuard, the exit peer's 0.0.0.0/0 carries no spoofed source to another node",
          "[nr][root][security]") {
  ZOS_REQUIRE_ROOT();
  ExitWorld w("s4w", "node1");
  Node n2("s4w2", "node2");
  REQUIRE(sh("ip -n " + w.node.public_ns() + " link add up0 type veth peer name up0 netns " + n2.name()) == 0);
  REQUIRE(sh("ip -n " + w.node.public_ns() + " addr add 192.168.252.1/24 dev up0 && ip -n " + w.node.public_ns() +
             " link set up0 up && ip -n " + n2.name() + " addr add 192.168.252.2/24 dev up0 && ip -n " + n2.name() +
             " link set up0 up") == 0);
  int base = 30000 + (::getpid() % 2000) * 2;
  std::vector<Member> ms = {{0xca, "node1", "192.168.252.1", base}, {0xcb, "node2", "192.168.252.2", base + 1}};
  json net = network_of("sec-wg", 1, ms, 0xca);
  net["exit_point"] = exit_point("203.0.113.10/24");
  auto f1 = w.node.write_network(net, "sec-wg.json");
  auto f2 = n2.write_network(net, "sec-wg.json");
  std::string x1 = w.node.container("s4wx1"), x2 = n2.container("s4wx2");
  json r1 = succeeded(w.add(f1, "s4w-x1", x1));
  json r2 = succeeded(n2.cni("ADD", n2.conf(f2), "s4w-x2", x2));
  const std::string x1v4 = ip4_of(r1), x2v4 = ip4_of(r2);
  REQUIRE(ping_retry(x1, x2v4, 10));

  // From the exit NR's container: other tenants' and the Internet's
  // addresses, and the receiving NR's own, stay on the exit node.
  auto spoofs = [&](const std::string& round) {
    return udp_arrivals(x2, 9999,
                        {{x1, "8.8.8.8", x2v4, round + "spoof-any"},
                         {x1, "10.11.198.5", x2v4, round + "spoof-tenant"},
                         {x1, "10.11.203.77", x2v4, round + "spoof-own"}});
  };
  auto real = udp_arrivals(x2, 9999, {{x1, x1v4, x2v4, "real"}});
  CHECK(arrived(real, "real"));
  CHECK(spoofs("a-").empty());
  // Without the exit node's guards (bridge and router), WireGuard takes
  // the Internet's addresses from the exit peer (its AllowedIPs are
  // 0.0.0.0/0), but node2's own /24 is dropped by node2's guard chain.
  drop_bridge_guard(w.node);
  REQUIRE(sh("ip netns exec " + nr_netns(0xca) + " nft flush chain inet zos-nr guard") == 0);
  auto got = spoofs("b-");
  CHECK_FALSE(arrived(got, "b-spoof-own"));
  CHECK(arrived(got, "b-spoof-any"));  // the test reaches node2 at all
  // And it is that chain: without it, node2's own /24 comes in too.
  REQUIRE(sh("ip netns exec " + nr_netns(0xcb) + " nft flush chain inet zos-nr guard") == 0);
  CHECK(arrived(spoofs("c-"), "c-spoof-own"));
}
