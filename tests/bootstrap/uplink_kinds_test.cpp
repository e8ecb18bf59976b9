// zos-bootstrap uplink on the other network kinds of docs/bootstrap.md, in
// the four-NIC world (uplink_world.h), each served on eth1's segment: an
// IPv6-only router with DHCPv6 (Managed flag), a VLAN-tagged segment, and
// DHCPv4 servers that lie or break.
#include <signal.h>

#include "bootstrap/uplink_world.h"

using namespace zos::test;
using namespace zos::test::bs;
using nlohmann::json;

namespace {

// Short waits: eth1 has no RAs in the DHCPv4 cases.
const char* kQuick = R"("carrier_timeout": 2, "dhcp_tries": 2, "dhcp_interval": 1, "ra_timeout": 2)";

// This kernel can make 802.1Q links (tried in a namespace of the world).
bool kernel_has_vlan(UplinkWorld& w) {
  return sh(w.p1.in() + "ip link add link srv name vt type vlan id 9 2>/dev/null") == 0 &&
         sh(w.p1.in() + "ip link del vt") == 0;
}

std::string allow(const std::string& list) { return std::string(R"({"allow": )") + list + ", " + kQuick + "}"; }

// Runs the uplink and returns its JSON report (REQUIREs exit 0).
json won(UplinkWorld& w, const std::string& cfg, std::vector<std::string> more = {"--no-zinit"}) {
  more.push_back("--json");
  auto r = w.uplink(cfg, more);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  return json::parse(r.out);
}

// eth1's honest parts: a range of 50 addresses for 1 h and its router.
const char* kRange = "--dhcp-range=10.99.1.50,10.99.1.99,255.255.255.0,1h";
const char* kRouter = "--dhcp-option=option:router,10.99.1.1";

// eth1 (the only NIC allowed) won with sane values: its router is zos's
// only default route.
json eth1_wins(UplinkWorld& w) {
  auto j = won(w, w.config(allow(R"(["eth1"])")));
  CHECK(j["nic"] == "eth1");
  CHECK(w.ip("-4 route show default") == "default via 10.99.1.1 dev zos \n");
  return j;
}

// eth1 lied and was refused with `because`; the honest eth2 won instead.
void refused_then_eth2(UplinkWorld& w, const std::string& because) {
  auto j = won(w, w.config(allow(R"(["eth1", "eth2"])")));
  CHECK(j["nic"] == "eth2");
  REQUIRE(j["tried"].size() == 2);
  CHECK(j["tried"][0]["nic"] == "eth1");
  INFO(j["tried"][0]["result"]);
  CHECK(j["tried"][0]["result"].get<std::string>().find(because) != std::string::npos);
  CHECK(w.ip("-4 route show default") == "default via 10.99.2.1 dev zos \n");
  w.others_untouched("eth2");
}

}  // namespace

TEST_CASE("uplink: an IPv6-only segment with DHCPv6 (Managed flag) wins, a host behind the router answers",
          "[root][uplink][dhcp6]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  Netns far("bs", "far");
  // p1 routes between eth1's segment (fd00:99:1::/64, addresses by DHCPv6
  // only: RAs with M set, no SLAAC prefix) and far's (fd00:99:5::/64).
  must("ip link add up0 netns " + w.p1.name() + " type veth peer name eth0 netns " + far.name());
  must(w.p1.in() + "sysctl -qw net.ipv6.conf.all.forwarding=1");
  must(w.p1.in() + "ip addr add fd00:99:1::1/64 dev srv nodad");
  must(w.p1.in() + "ip link set up0 up");
  must(w.p1.in() + "ip addr add fd00:99:5::1/64 dev up0 nodad");
  must(far.in() + "ip link set lo up");
  must(far.in() + "ip link set eth0 up");
  must(far.in() + "ip addr add fd00:99:5::2/64 dev eth0 nodad");
  must(far.in() + "ip -6 route add default via fd00:99:5::1");
  w.dnsmasq(w.p1, {"--enable-ra", "--dhcp-range=fd00:99:1::100,fd00:99:1::1ff,64,1h",
                   "--dhcp-option=option6:dns-server,[fd00:99:1::53]"});

  auto cfg = w.config(std::string(R"({"allow": ["eth1"], )") + kFast + "}");
  auto j = won(w, cfg, {});
  CHECK(j["nic"] == "eth1");
  CHECK(j["dhcp6"] == true);
  CHECK(j["lease"]["ipv4"].empty());
  REQUIRE(j["lease"]["ipv6"].size() == 1);
  const std::string addr = j["lease"]["ipv6"][0];
  CHECK(addr.rfind("fd00:99:1::1", 0) == 0);  // from the DHCPv6 range ::100-::1ff
  CHECK(addr.ends_with("/128"));
  CHECK(j["lease"]["gateway6"].get<std::string>().rfind("fe80::", 0) == 0);
  CHECK(j["tried"][0]["result"] == "chosen (dhcp6)");
  CHECK(read(w.tmp / "data/bootstrap/resolv.conf") == "nameserver fd00:99:1::53\n");

  // dhcpcd keeps it: its service beside udhcpc's, both monitored.
  const std::string conf = w.tmp / "data/bootstrap/dhcpcd.conf";
  CHECK(read(w.tmp / "zinit/dhcp6-zos.yaml") ==
        "# Written by zos-bootstrap uplink: keeps the DHCPv6 client running on the zos bridge.\n"
        "exec: /usr/sbin/dhcpcd -f " + conf + " -B -6 zos\nlog: ring\n");
  CHECK(read(conf).find("noipv6rs\n") != std::string::npos);
  CHECK(read(w.tmp / "zinit.log") == "monitor dhcp-zos\nmonitor dhcp6-zos\n");
  CHECK(json::parse(read(w.tmp / "data/bootstrap/uplink.json"))["method"] == "dhcp6");

  // Over the router to the host behind it.
  CHECK(sh(w.node.in() + "ping -6 -c 1 -W 3 fd00:99:5::2 >/dev/null") == 0);

  // A second run changes nothing.
  auto before = w.snapshot();
  auto r2 = w.uplink(cfg);
  INFO(r2.out << r2.err);
  REQUIRE(r2.status == 0);
  CHECK(r2.out.find("already up") != std::string::npos);
  CHECK(w.snapshot() == before);
  CHECK(exists(w.tmp / "zinit/dhcp6-zos.yaml"));

  // status: ok, and it misses dhcpcd's service when that goes.
  const std::vector<std::string> st = {"status", "--data-dir", w.tmp / "data", "--zinit-dir", w.tmp / "zinit"};
  auto s = bootstrap(w.node, st);
  INFO(s.out << s.err);
  CHECK(s.status == 0);
  ::unlink((w.tmp / "zinit/dhcp6-zos.yaml").c_str());
  s = bootstrap(w.node, st);
  CHECK(s.status == 3);
  CHECK(s.out.find("dhcp6-zos.yaml is missing") != std::string::npos);
}

TEST_CASE("uplink: a VLAN-tagged NIC wins when configured, its VLAN link behind zos", "[root][uplink][vlan]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  if (!kernel_has_vlan(w)) {
    WARN("skipped: this kernel has no 802.1Q VLAN support (8021q)");
    return;
  }
  // eth1's segment has DHCP only on VLAN 100; untagged it has nothing.
  must(w.p1.in() + "ip link add link srv name srv.100 type vlan id 100");
  must(w.p1.in() + "ip link set srv.100 up");
  must(w.p1.in() + "ethtool -K srv.100 tx off");
  must(w.p1.in() + "ip addr add 10.99.1.1/24 dev srv.100");
  w.dnsmasq(w.p1, {kRange, kRouter},
            "srv.100");
  auto cfg = w.config(allow(R"([{"name": "eth1", "vlan": 100}])"));
  auto j = won(w, cfg);
  CHECK(j["nic"] == "eth1");
  CHECK(j["port"] == "eth1.100");
  CHECK(j["vlan"] == 100);
  CHECK(w.ip("-o -d link show eth1.100").find("vlan protocol 802.1Q id 100") != std::string::npos);
  CHECK(w.ip("-o link show eth1.100").find("master zos") != std::string::npos);
  CHECK(w.ip("-o link show eth1").find("master") == std::string::npos);
  CHECK(w.ip("-4 route show default") == "default via 10.99.1.1 dev zos \n");
  CHECK(sh(w.node.in() + "ping -c 1 -W 3 10.99.1.1 >/dev/null") == 0);
  auto rec = json::parse(read(w.tmp / "data/bootstrap/uplink.json"));
  CHECK(rec["port"] == "eth1.100");

  auto before = w.snapshot();
  auto r2 = w.uplink(cfg);
  INFO(r2.out << r2.err);
  REQUIRE(r2.status == 0);
  CHECK(r2.out.find("uplink: zos on eth1.100 (VLAN 100 on eth1)") != std::string::npos);
  CHECK(r2.out.find("already up") != std::string::npos);
  CHECK(w.snapshot() == before);
}

TEST_CASE("uplink: a VLAN probe that fails (or a kernel without VLANs) leaves no VLAN link", "[root][uplink][vlan]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  auto before = w.snapshot();
  auto r = w.uplink(w.config(allow(R"([{"name": "eth1", "vlan": 7}])")), {"--no-zinit"});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  if (kernel_has_vlan(w)) CHECK(r.err.find("eth1 (no DHCPv4 lease") != std::string::npos);
  else CHECK(r.err.find("add vlan eth1.7 (id 7)") != std::string::npos);
  CHECK(w.snapshot() == before);
  CHECK(!exists(w.tmp / "data/bootstrap/uplink.json"));
}

TEST_CASE("lying DHCP: a router outside the offered subnet is refused", "[root][uplink][lying]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  w.dhcp4_on_eth1({kRange, "--dhcp-option=option:router,10.77.0.1"});
  refused_then_eth2(w, "DHCPv4 lease refused (rejected: router 10.77.0.1 is outside 10.99.1.");
}

TEST_CASE("lying DHCP: a /32 lease is refused", "[root][uplink][lying]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  w.dhcp4_on_eth1({kRange, kRouter,
                   "--dhcp-option=option:netmask,255.255.255.255"});
  refused_then_eth2(w, "a /32 lease (10.99.1.");
}

TEST_CASE("lying DHCP: an offer for an address in use on the segment is declined", "[root][uplink][lying]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  // 10.99.1.50, the only address of the range, is taken (the server's side
  // answers ARP for it); dnsmasq does not ping first (--no-ping).
  must(w.p1.in() + "ip link add squat type veth peer name squat1");
  must(w.p1.in() + "ip addr add 10.99.1.50/32 dev squat");
  must(w.p1.in() + "ip link set squat up");
  must(w.p1.in() + "ip link set squat1 up");
  w.dhcp4_on_eth1({"--dhcp-range=10.99.1.50,10.99.1.50,255.255.255.0,1h", kRouter});
  refused_then_eth2(w, "offered address is in use on the segment, declined");
}

TEST_CASE("lying DHCP: option 121 routes do not replace the default route", "[root][uplink][lying]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  w.dhcp4_on_eth1({kRange, kRouter,
                   "--dhcp-option-force=121,0.0.0.0/0,10.99.1.254,0.0.0.0/1,10.99.1.254,128.0.0.0/1,10.99.1.254"});
  eth1_wins(w);
  CHECK(w.ip("-4 route").find("10.99.1.254") == std::string::npos);
}

TEST_CASE("lying DHCP: garbage name servers are left out of resolv.conf", "[root][uplink][lying]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  w.dhcp4_on_eth1({kRange, kRouter,
                   "--dhcp-option=option:dns-server,127.0.0.1,255.255.255.255,224.0.0.9,10.99.1.53,0.1.2.3"});
  eth1_wins(w);
  CHECK(read(w.tmp / "data/bootstrap/resolv.conf") == "nameserver 10.99.1.53\n");
}

TEST_CASE("lying DHCP: a lease of years works", "[root][uplink][lying]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  w.dhcp4_on_eth1({"--dhcp-range=10.99.1.50,10.99.1.99,255.255.255.0,infinite", kRouter});
  eth1_wins(w);
}

TEST_CASE("lying DHCP: a lease time of 0 works (udhcpc renews on its own floor)", "[root][uplink][lying]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  auto log = w.scripted_dhcp4_on_eth1({"--router", "10.99.1.1", "--lease", "0"});
  auto j = eth1_wins(w);
  CHECK(j["lease"]["ipv4"] == json::array({"10.99.1.50/24"}));
  // The address does not expire with the server's 0: udhcpc owns the timing.
  CHECK(w.ip("-4 addr show dev zos").find("valid_lft forever") != std::string::npos);
  CHECK(read(log).find("ack 1") != std::string::npos);
}

TEST_CASE("lying DHCP: a server that answers, then disappears, leaves the node its route",
          "[root][uplink][lying]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  // Two answers: the probe's lease and the service's; renewals then fail.
  auto log = w.scripted_dhcp4_on_eth1({"--router", "10.99.1.1", "--answers", "2"});
  eth1_wins(w);
  // Run the service as zinit would, until its lease is lost.
  std::string exec = read(w.tmp / "zinit/dhcp-zos.yaml");
  exec = exec.substr(exec.find("exec: ") + 6);
  exec = exec.substr(0, exec.find('\n'));
  const std::string out = w.tmp / "service.log";
  Proc service({"sh", "-c", "exec " + w.node.in() + exec + " > " + out + " 2>&1"});
  REQUIRE(wait_for([&] { return read(log).find("ack 2") != std::string::npos; }, 15));
  REQUIRE(wait_for([&] { return read(out).find("lease of 10.99.1.50 obtained") != std::string::npos; }, 5));
  service.signal(SIGUSR1);  // renew now: the server is silent
  INFO(read(out));
  REQUIRE(wait_for([&] { return read(out).find("lease lost") != std::string::npos; }, 30));
  REQUIRE(wait_for([&] { return read(out).find("keeping the last IPv4 address") != std::string::npos; }, 5));
  CHECK(w.ip("-4 -o addr show dev zos").find("10.99.1.50/24") != std::string::npos);
  CHECK(w.ip("-4 route show default") == "default via 10.99.1.1 dev zos \n");
}
