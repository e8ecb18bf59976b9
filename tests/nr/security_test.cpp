// Integration: the attacks of issue #11, each one tried as a hostile tenant
// would, each a test that fails if the attack works (docs/security.md).
// Where a guard has two layers, the test also removes the first and shows
// the attack still fails, and puts it back with `zos-nr apply`.
//
// Nibbles used here: 0bc0-0bc4 (0bc5-0bcf: spoof_test.cpp, tenants_test.cpp).
#include <chrono>
#include <thread>

#include "nr/exit_world.h"

using namespace zos::test;
using namespace zos::test::nr;

TEST_CASE("security: attack 1, an exit on another tenant's bridge, an NR link or lo, is refused before anything is built",
          "[nr][root][security]") {
  ZOS_REQUIRE_ROOT();
  Node n("s1");  // no public namespace: the exit's link would be on the node's side
  auto fb = n.write_network(network("sec-b", 0xc0));
  std::string b = n.container("s1b");
  json rb = succeeded(n.cni("ADD", n.conf(fb), "s1-b", b));
  std::string b_port = n.host_veths().at(0);

  for (const std::string iface : {nr_bridge(0xc0), nr_veth(0xc0), b_port, std::string("lo")}) {
    json c = exit_network("sec-c", 0xc1, exit_point("203.0.113.50/24", "", iface));
    auto fc = n.write_network(c);
    std::string cn = n.container("s1c");
    auto r = n.cni("ADD", n.conf(fc), "s1-c", cn);
    ZOS_SHOW(r);
    INFO("iface " << iface);
    CHECK(code_of(r) == 7);
    CHECK(msg_of(r).find("sec-c") != std::string::npos);
    CHECK(msg_of(r).find(iface) != std::string::npos);
    // Nothing was built: no namespace, no exit link on B's bridge.
    CHECK_FALSE(netns_exists(nr_netns(0xc1)));
    CHECK_FALSE(n.has_link("pub-0bc1-0"));
    CHECK(sh_out("ip -n " + n.name() + " -o link show master " + nr_bridge(0xc0) + " | wc -l") == "2\n");
    n.drop_container(cn);
  }
  // The operator cannot allow an NR's bridge either.
  std::string policy = n.file("node.json");
  REQUIRE(sh("echo '{\"exitLinks\": [\"" + nr_bridge(0xc0) + "\"]}' >" + policy) == 0);
  json conf = n.conf(n.write_network(exit_network("sec-c", 0xc1, exit_point("203.0.113.50/24", "", nr_bridge(0xc0)))));
  conf["nodePolicy"] = policy;
  std::string cn = n.container("s1c2");
  auto r = n.cni("ADD", conf, "s1-c2", cn);
  ZOS_SHOW(r);
  CHECK(code_of(r) == 7);
  CHECK(msg_of(r).find("link of a network resource") != std::string::npos);
  CHECK_FALSE(netns_exists(nr_netns(0xc1)));
  // B is untouched and reaches its router.
  CHECK(ping(b, router4(0xc0)));
  CHECK(n.cni("DEL", n.conf(fb), "s1-b", b).status == 0);
}

TEST_CASE("security: attack 2, an exit claiming the gateway, a node address or another tenant's exit address is refused",
          "[nr][root][security]") {
  ZOS_REQUIRE_ROOT();
  ExitWorld w("s2");
  auto fb = w.node.write_network(exit_network("sec-b", 0xc2, exit_point("203.0.113.10/24", "2001:db8:ff::10/64")));
  std::string b = w.node.container("s2b");
  succeeded(w.add(fb, "s2-b", b));
  REQUIRE(ping_retry(b, "203.0.113.1"));

  struct Claim {
    std::string v4, v6, says;
  } claims[] = {
      {"203.0.113.1/24", "", "the gateway 203.0.113.1 on inet0"},
      {"203.0.113.2/24", "", "the node's address on inet0"},
      {"203.0.113.10/24", "", "the exit address of network sec-b"},
      {"203.0.113.11/24", "2001:db8:ff::1/64", "the gateway 2001:db8:ff::1"},
      {"203.0.113.11/24", "2001:db8:ff::10/64", "the exit address of network sec-b"},
  };
  for (const auto& c : claims) {
    auto fc = w.node.write_network(exit_network("sec-c", 0xc3, exit_point(c.v4, c.v6)));
    std::string cn = w.node.container("s2c");
    auto r = w.add(fc, "s2-c", cn);
    ZOS_SHOW(r);
    CHECK(code_of(r) == 7);
    CHECK(msg_of(r).find("network sec-c") != std::string::npos);
    CHECK(msg_of(r).find(c.says) != std::string::npos);
    CHECK_FALSE(netns_exists(nr_netns(0xc3)));
    w.node.drop_container(cn);
  }
  // B's exit still owns its address and the gateway is still the gateway.
  CHECK(ping(b, "203.0.113.1"));
  CHECK(ping(b, "2001:db8:ff::1"));
  CHECK(sh_out("ip -n " + w.inet + " neigh show 203.0.113.10").find(
            sh_out("ip -n " + nr_netns(0xc2) + " -br link show pub-0bc2-0 | awk '{print $3}'").substr(0, 17)) !=
        std::string::npos);

  // The operator's ranges and links: outside them is refused, inside works.
  std::string policy = w.node.file("node.json");
  REQUIRE(sh("echo '{\"exitRanges\": [\"203.0.113.128/25\"]}' >" + policy) == 0);
  auto with_policy = [&](const std::string& file) {
    json conf = w.node.conf(file);
    conf["nodePolicy"] = policy;
    return conf;
  };
  std::string cn = w.node.container("s2c2");
  auto fc = w.node.write_network(exit_network("sec-c", 0xc3, exit_point("203.0.113.20/24")));
  auto r = w.node.cni("ADD", with_policy(fc), "s2-c", cn);
  ZOS_SHOW(r);
  CHECK(code_of(r) == 7);
  CHECK(msg_of(r).find("outside the node policy's exitRanges") != std::string::npos);
  REQUIRE(sh("ip -n " + w.node.public_ns() + " link add inet1 type veth peer name inet1p && ip -n " + w.node.public_ns() +
             " link set inet1 up") == 0);
  fc = w.node.write_network(exit_network("sec-c", 0xc3, exit_point("203.0.113.130/24", "", "inet1")));
  r = w.node.cni("ADD", with_policy(fc), "s2-c", cn);
  ZOS_SHOW(r);
  CHECK(code_of(r) == 7);
  CHECK(msg_of(r).find("not the uplink") != std::string::npos);
  fc = w.node.write_network(exit_network("sec-c", 0xc3, exit_point("203.0.113.130/24")));
  succeeded(w.node.cni("ADD", with_policy(fc), "s2-c", cn));
  CHECK(ping_retry(cn, "203.0.113.1"));
  CHECK(ping(b, "203.0.113.1"));
}

TEST_CASE("security: attack 3, a container's router advertisements and DHCP server packets never reach its neighbours",
          "[nr][root][security]") {
  ZOS_REQUIRE_ROOT();
  Node n("s3");
  auto f = n.write_network(network("sec-ra", 0xc4));
  std::string a = n.container("s3a"), b = n.container("s3b");
  succeeded(n.cni("ADD", n.conf(f), "s3-a", a));
  json rb = succeeded(n.cni("ADD", n.conf(f), "s3-b", b));
  // Containers take no router advertisements (routes are static)...
  CHECK(sh_out("nsenter --net=" + b + " cat /proc/sys/net/ipv6/conf/eth0/accept_ra") == "0\n");
  // ...and the bridge drops them even for one that takes them again.
  REQUIRE(sh("nsenter --net=" + b + " sysctl -qw net.ipv6.conf.eth0.accept_ra=1") == 0);
  TempDir tmp;
  std::string ra = tmp / "ra.py";
  // A high-preference default router with prefix 2001:db8:bad::/64 (autoconf).
  REQUIRE(sh("cat >" + ra + " <<'EOF'\n"
             "import socket,struct,time\n"
             "s=socket.socket(socket.AF_INET6,socket.SOCK_RAW,socket.IPPROTO_ICMPV6)\n"
             "s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_MULTICAST_HOPS,255)\n"
             "ra=struct.pack('!BBHBBHII',134,0,0,64,0x08,1800,0,0)\n"
             "pi=struct.pack('!BBBBIII',3,4,64,0xc0,86400,14400,0)+socket.inet_pton(socket.AF_INET6,'2001:db8:bad::')\n"
             "for i in range(3):\n"
             "  s.sendto(ra+pi,('ff02::1',0,0,socket.if_nametoindex('eth0')))\n"
             "  time.sleep(0.2)\n"
             "EOF") == 0);
  auto took_ra = [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return sh_out("nsenter --net=" + b + " ip -6 route show default").find("proto ra") != std::string::npos ||
           sh_out("nsenter --net=" + b + " ip -6 addr show").find("2001:db8:bad:") != std::string::npos;
  };
  REQUIRE(sh("nsenter --net=" + a + " python3 " + ra) == 0);
  CHECK_FALSE(took_ra());
  // DHCP and DHCPv6 server ports are dropped; the same datagram from another port passes.
  std::string b4 = ip4_of(rb), b6 = ip6_of(rb);
  auto got = udp_arrivals(b, 68, {{a, "", b4, "dhcp4", 68, 67}, {a, "", b4, "other4", 68, 1067}});
  CHECK_FALSE(arrived(got, "dhcp4"));
  CHECK(arrived(got, "other4"));
  got = udp_arrivals(b, 546, {{a, "", b6, "dhcp6", 546, 547}, {a, "", b6, "other6", 546, 1547}});
  CHECK_FALSE(arrived(got, "dhcp6"));
  CHECK(arrived(got, "other6"));

  // Without the bridge guard the same advertisement works: the test is real.
  drop_bridge_guard(n);
  REQUIRE(sh("nsenter --net=" + a + " python3 " + ra) == 0);
  CHECK(took_ra());
  CHECK(n.manage({"apply", f, "--node", n.id()}).status == 0);
  auto guard_v4 = [&] { return sh_out("ip netns exec " + n.name() + " nft list set bridge zos-guard v4"); };
  CHECK(guard_v4().find(b4) != std::string::npos);  // put back from the attachment records
  // DEL takes the port's addresses out of the guard.
  CHECK(n.cni("DEL", n.conf(f), "s3-b", b).status == 0);
  CHECK(guard_v4().find(b4) == std::string::npos);
}
