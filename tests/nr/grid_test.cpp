// Integration: a simulated grid. Three nodes (each a netns zos-nr runs in),
// joined by an underlay bridge in a switch netns; node1 is the network's exit
// and has a public namespace holding its underlay link and its link to an
// "Internet" netns. A second tenant lives on node1 and node2.
//
//   node1-pub: up0 192.168.251.1, fd00:251::1 | inet0 203.0.113.2 ── wan0 (Internet 203.0.113.1, 2001:db8:ff::1)
//   node2:     up0 192.168.251.2, fd00:251::2    (endpoints: node1 IPv4, node2 IPv6;
//   node3:     up0 192.168.251.3, fd00:251::3     node3 hidden: no endpoint, it keeps
//                                                 its tunnels up with keepalives)
//
// Nibbles used here: 0ba0 (node1, exit), 0ba1 (node2), 0ba2 (node3) for the
// first tenant; 0ba4 (node1), 0ba5 (node2) for the second.
// wireguard-go serves the links here (no kernel module); in the qemu guest of
// tests/qemu the same test runs on the kernel backend (ZOS_TEST_WG_BACKEND).
#include <unistd.h>

#include "common/wg/wg.h"
#include "nr/grid_support.h"
#include "nr/nr_support.h"
#include "nr/mesh_world.h"
#include "nr/probe.h"

using namespace zos::test;
using namespace zos::test::nr;

namespace {

// ping -M do: the packet must fit unfragmented. Exit status of ping.
int ping_size(const std::string& ns, const std::string& addr, int size) {
  return sh("timeout 10 nsenter --net=" + ns + " ping -n -q -M do -c 1 -W 2 -s " + std::to_string(size) + " " +
            addr + " >/dev/null 2>&1");
}

std::string wg_link(int n) { return "wg-0b" + hex2(n) + "-0"; }

}  // namespace

TEST_CASE("nr: a three-node grid with an exit: mesh, Internet through the exit, NAT, DNAT, MTU, updates",
          "[nr][root][grid]") {
  ZOS_REQUIRE_ROOT();
  Node n1("g1", "node1"), n2("g2", "node2"), n3("g3", "node3");
  Netns sw_ns("nr", "gsw"), inet_ns("nr", "ginet");
  const std::string sw = sw_ns.name(), inet = inet_ns.name();
  const std::string pub1 = n1.public_ns();
  const std::string inet_path = "/run/netns/" + inet;

  // Underlay: a bridge in the switch namespace, one port per node (node1's in
  // its public namespace). The Internet hangs off node1's public side.
  REQUIRE(sh("ip netns add " + pub1) == 0);
  REQUIRE(sh("ip -n " + sw + " link add sw0 type bridge && ip -n " + sw + " link set sw0 up") == 0);
  const std::string node_side[3] = {pub1, n2.name(), n3.name()};
  for (int i = 0; i < 3; ++i) {
    std::string port = "p" + std::to_string(i + 1);
    REQUIRE(sh("ip -n " + sw + " link add " + port + " type veth peer name up0 netns " + node_side[i]) == 0);
    REQUIRE(sh("ip -n " + sw + " link set " + port + " master sw0 up") == 0);
    std::string ns = node_side[i], k = std::to_string(i + 1);
    REQUIRE(sh("ip -n " + ns + " link set lo up && ip -n " + ns + " addr add 192.168.251." + k +
               "/24 dev up0 && ip -n " + ns + " addr add fd00:251::" + k + "/64 dev up0 nodad && ip -n " + ns +
               " link set up0 up") == 0);
  }
  REQUIRE(sh("ip -n " + n2.name() + " route add default via 192.168.251.1") == 0);
  REQUIRE(sh("ip -n " + n3.name() + " route add default via 192.168.251.1") == 0);
  REQUIRE(sh("ip -n " + inet + " link set lo up && ip -n " + inet + " link add wan0 type veth peer name inet0 netns " +
             pub1) == 0);
  REQUIRE(sh("ip -n " + inet + " addr add 203.0.113.1/24 dev wan0 && ip -n " + inet +
             " addr add 2001:db8:ff::1/64 dev wan0 nodad && ip -n " + inet + " link set wan0 up") == 0);
  // The Internet knows the tenant's IPv6 (routed, not translated) but not 10/8.
  REQUIRE(sh("ip -n " + inet + " route add 2a02:1802:5e::/48 via 2001:db8:ff::10") == 0);
  REQUIRE(sh("ip -n " + pub1 + " addr add 203.0.113.2/24 dev inet0 && ip -n " + pub1 + " link set inet0 up && ip -n " +
             pub1 + " route add default via 203.0.113.1") == 0);

  int base = 20000 + (::getpid() % 2000) * 10;
  std::vector<Member> t1 = {{0xa0, "node1", "192.168.251.1", base},
                            {0xa1, "node2", "fd00:251::2", base + 1},
                            {0xa2, "node3", "", base + 2}};
  std::vector<Member> t2 = {{0xa4, "node1", "192.168.251.1", base + 4}, {0xa5, "node2", "192.168.251.2", base + 5}};
  json exit_conf = {{"ipv4_conf", {{"cidr", "203.0.113.10/24"}, {"gateway", "203.0.113.1"}, {"iface", "inet0"},
                                   {"enable_nat", true}}},
                    {"ipv6_conf", {{"addr", "2001:db8:ff::10/64"}, {"gateway", "2001:db8:ff::1"}, {"iface", "inet0"}}}};
  json net1 = network_of("t-grid", 1, t1, 0xa0);
  net1["exit_point"] = exit_conf;
  json net2 = network_of("t-grid2", 1, t2, -1);
  Node* nodes[3] = {&n1, &n2, &n3};
  std::string f1[3], f2[2];
  for (int i = 0; i < 3; ++i) f1[i] = nodes[i]->write_network(net1, "t-grid.json");
  for (int i = 0; i < 2; ++i) f2[i] = nodes[i]->write_network(net2, "t-grid2.json");

  // Containers: c1..c3 of the first tenant, d1 d2 of the second.
  std::string c[3], c4[3], c6[3];
  json cres[3];
  for (int i = 0; i < 3; ++i) {
    c[i] = nodes[i]->container("gc" + std::to_string(i + 1));
    cres[i] = succeeded(nodes[i]->cni("ADD", nodes[i]->conf(f1[i]), "grid-c" + std::to_string(i), c[i]));
    c4[i] = ip4_of(cres[i]);
    c6[i] = ip6_of(cres[i]);
  }
  std::string d[2], d4[2];
  for (int i = 0; i < 2; ++i) {
    d[i] = nodes[i]->container("gd" + std::to_string(i + 1));
    json r = succeeded(nodes[i]->cni("ADD", nodes[i]->conf(f2[i], "1.1.0", "zos2"), "grid-d" + std::to_string(i), d[i]));
    d4[i] = ip4_of(r);
  }
  REQUIRE(c4[1].rfind("10.11.161.", 0) == 0);
  REQUIRE(c6[2].rfind("2a02:1802:5e:ba2:", 0) == 0);

  {
    // The mesh: every container reaches the others, v4 and v6.
    check_all_pairs({c[0], c[1], c[2]}, {c4[0], c4[1], c4[2]}, {c6[0], c6[1], c6[2]});

    // The backend zos-nr picked by itself (the kernel's in the qemu guest).
    for (int n : {0xa0, 0xa1, 0xa2}) CHECK(wg_backend_of(nr_netns(n), wg_link(n)) == expected_wg_backend());

    // node3 is hidden: it keeps its tunnels up with keepalives, and the
    // others learnt its endpoint from its packets (none was configured).
    {
      std::string ka = sh_out("nsenter --net=/run/netns/" + nr_netns(0xa2) + " wg show " + wg_link(0xa2) +
                              " persistent-keepalive");
      INFO(ka);
      CHECK(ka.find("\t25") != std::string::npos);
      std::string ep = sh_out("nsenter --net=/run/netns/" + nr_netns(0xa0) + " wg show " + wg_link(0xa0) + " endpoints");
      INFO(ep);
      CHECK(ep.find(pub64(t1[2].key) + "\t192.168.251.3:") != std::string::npos);
    }

    // node1's WireGuard lives on its public side: wireguard-go's UDP socket
    // is in node1-pub, not in node1.
    CHECK(sh("nsenter --net=/run/netns/" + pub1 + " ss -uln | grep -q ':" + std::to_string(base) + " '") == 0);
    CHECK(sh("nsenter --net=" + n1.path() + " ss -uln | grep -q ':" + std::to_string(base) + " '") != 0);
    CHECK(sh("nsenter --net=" + n2.path() + " ss -uln | grep -q ':" + std::to_string(base + 1) + " '") == 0);

    // The Internet through the exit: IPv4 masqueraded (the Internet has no
    // route to 10/8), IPv6 routed.
    for (int i = 0; i < 3; ++i) {
      INFO("c" << i + 1 << " -> Internet");
      CHECK(ping_retry(c[i], "203.0.113.1"));
      CHECK(ping_retry(c[i], "2001:db8:ff::1"));
    }
    CHECK(sh("ip -n " + inet + " route get " + c4[1] + " >/dev/null 2>&1") != 0);
    // The exit peer carries the defaults; non-exit NRs route them to it.
    CHECK(sh_out("ip -n " + nr_netns(0xa1) + " route show default").find("10.255.11.160") != std::string::npos);
    CHECK(sh_out("ip -n " + nr_netns(0xa2) + " -6 route show default").find("fe80::ba0") != std::string::npos);
    // Nothing enters from the Internet unasked.
    CHECK_FALSE(ping(inet_path, c6[2]));
    CHECK(tcp_fetch(inet_path, "203.0.113.10", 80).empty());

    // MTU: uplink 1500 - 80 on the WireGuard link and the containers; the
    // largest packet that fits crosses, one byte more fails at once.
    CHECK(sh_out("nsenter --net=" + c[1] + " ip link show eth0").find("mtu 1420") != std::string::npos);
    CHECK(sh_out("ip -n " + nr_netns(0xa1) + " link show " + wg_link(0xa1)).find("mtu 1420") != std::string::npos);
    CHECK(ping_size(c[1], c4[2], 1420 - 28) == 0);
    CHECK(ping_size(c[1], c4[2], 1420 - 28 + 1) != 0);
    CHECK(ping_size(c[1], c6[2], 1420 - 48) == 0);
    CHECK(ping_size(c[1], c6[2], 1420 - 48 + 1) != 0);

    // The second tenant: its own mesh, nothing of the first, no Internet.
    CHECK(ping_retry(d[0], d4[1]));
    for (int j = 0; j < 3; ++j) {
      CHECK_FALSE(ping(d[0], c4[j]));
      CHECK_FALSE(ping(d[1], c6[j]));
      CHECK_FALSE(ping(c[j], d4[0]));
      CHECK_FALSE(ping(c[j], d4[1]));
    }
    CHECK_FALSE(ping(d[1], "203.0.113.1"));

    // Version 2 opens DNAT 203.0.113.10:80 -> c2:8080 and IPv6 to c3, applied
    // on every node while c2 pings c3: the mesh keeps working through it.
    Background server("exec nsenter --net=" + c[1] + " busybox nc -ll -p 8080 -e echo hello-from-c2");
    json v2 = network_of("t-grid", 2, t1, 0xa0);
    v2["exit_point"] = exit_conf;
    v2["exit_point"]["ipv4_dnat"] = json::array({{{"internal_ip", c4[1]}, {"internal_port", 8080},
                                                  {"external_ip", "203.0.113.10"}, {"external_port", 80},
                                                  {"protocol", "tcp"}}});
    v2["exit_point"]["ipv6_allow"] = json::array({c6[2]});
    std::string pinglog = n2.file("ping.log");
    Background pinger("exec nsenter --net=" + c[1] + " ping -n -i 0.1 -c 40 " + c4[2] + " >" + pinglog + " 2>&1");
    for (int i = 0; i < 3; ++i) {
      nodes[i]->write_network(v2, "t-grid.json");
      auto a = nodes[i]->manage({"apply", f1[i], "--node", nodes[i]->id()});
      ZOS_SHOW(a);
      CHECK(a.status == 0);
    }
    pinger.wait();
    std::string plog = zos::test::sh_out("cat " + pinglog);
    INFO(plog);
    auto rx = plog.find(" received");
    REQUIRE(rx != std::string::npos);
    int received = std::stoi(plog.substr(plog.rfind(", ", rx) + 2));
    CHECK(received >= 37);  // at most a moment lost out of 4 s

    std::string got;
    for (int i = 0; i < 5 && got.find("hello-from-c2") == std::string::npos; ++i) got = tcp_fetch(inet_path, "203.0.113.10", 80);
    CHECK(got.find("hello-from-c2") != std::string::npos);
    CHECK(ping_retry(inet_path, c6[2]));   // allowed
    CHECK_FALSE(ping(inet_path, c6[1]));   // not allowed
    server.stop();

    // CHECK of the exit's pub link and NAT table, and apply puts them back.
    REQUIRE(sh("ip -n " + nr_netns(0xa0) + " link del pub-0ba0-0") == 0);
    REQUIRE(sh("nsenter --net=/run/netns/" + nr_netns(0xa0) + " nft delete table ip zos-nr-nat") == 0);
    auto seen_in_show = [&](const std::string& what) {
      json shown = n1.show();
      INFO(shown.dump(2));
      bool seen = false;
      for (const auto& n : shown) {
        if (n.value("network_id", "") != "t-grid") continue;
        CHECK(n.value("mtu", 0) == 1420);
        CHECK(n.value("exit_link", "") == "pub-0ba0-0");
        for (const auto& p : n.value("problems", json::array())) seen = seen || p.get<std::string>().find(what) != std::string::npos;
      }
      return seen;
    };
    CHECK(seen_in_show("pub-0ba0-0"));
    CHECK(seen_in_show("firewall table ip zos-nr-nat is missing"));
    CHECK(n1.manage({"apply", f1[0], "--node", "node1"}).status == 0);
    CHECK_FALSE(seen_in_show("firewall"));
    CHECK(ping_retry(c[1], "203.0.113.1"));

    // Version 3 drops node3: node1 and node2 stop reaching it, the rest works.
    json v3 = network_of("t-grid", 3, {t1[0], t1[1]}, 0xa0);
    v3["exit_point"] = exit_conf;
    for (int i = 0; i < 2; ++i) {
      nodes[i]->write_network(v3, "t-grid.json");
      auto a = nodes[i]->manage({"apply", f1[i], "--node", nodes[i]->id()});
      ZOS_SHOW(a);
      CHECK(a.status == 0);
    }
    CHECK_FALSE(ping(c[1], c4[2]));
    CHECK_FALSE(ping(c[0], c6[2]));
    CHECK(ping_retry(c[1], c4[0]));
    CHECK(ping_retry(c[1], "203.0.113.1"));
  }

  for (int i = 0; i < 3; ++i) CHECK(nodes[i]->cni("DEL", nodes[i]->conf(f1[i]), "grid-c" + std::to_string(i), c[i]).status == 0);
  for (int i = 0; i < 2; ++i)
    CHECK(nodes[i]->cni("DEL", nodes[i]->conf(f2[i], "1.1.0", "zos2"), "grid-d" + std::to_string(i), d[i]).status == 0);
}
