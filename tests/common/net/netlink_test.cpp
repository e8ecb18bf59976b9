// common/net: links, addresses, routes and sysctl, inside scratch namespaces.
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <netlink/addr.h>

#include "common/net/addr.h"
#include "common/net/link.h"
#include "common/net/nl.h"
#include "common/net/route.h"
#include "common/net/sysctl.h"
#include "common/sys/syscall.h"
#include "support/netns.h"
#include "support/support.h"

using namespace zos;
using namespace zos::nl;
using zos::test::A;
using zos::test::Netns;
using zos::test::P;

namespace {

std::vector<AddrInfo>::const_iterator find_addr(const std::vector<AddrInfo>& v, const char* p) {
  return std::find_if(v.begin(), v.end(), [&](const AddrInfo& a) { return a.prefix == P(p); });
}

std::vector<RouteInfo> routes_to(Socket& s, int family, const char* dst, std::optional<uint32_t> table = std::nullopt) {
  std::vector<RouteInfo> out;
  for (auto& r : list_routes(s, family, table))
    if (r.dst == P(dst)) out.push_back(r);
  return out;
}

bool has_link(Socket& s, const std::string& name) {
  auto all = list_links(s);
  return std::any_of(all.begin(), all.end(), [&](const LinkInfo& l) { return l.name == name; });
}

}  // namespace

TEST_CASE("typed addresses to and from libnl, MAC parsing", "[netlink]") {
  for (const char* p : {"10.1.10.1/24", "2a02:1802:5e:10a::1/64", "0.0.0.0/0", "::/0"}) {
    NlAddrPtr a = to_nl(P(p));
    CHECK(ip::Prefix(to_ip(a.get()), static_cast<int>(nl_addr_get_prefixlen(a.get()))) == P(p));
  }
  NlAddrPtr host = to_nl(A("fe80::1"));
  CHECK(nl_addr_get_prefixlen(host.get()) == 128);
  CHECK(nl_addr_get_family(host.get()) == AF_INET6);
  CHECK(to_ip(host.get()) == A("fe80::1"));
  CHECK(nl_addr_get_prefixlen(to_nl(A("10.1.10.1")).get()) == 32);
  CHECK(to_ip(nullptr).empty());
  CHECK(to_ip(parse_mac("02:00:0a:01:0a:02").get()).empty());  // not IP
  CHECK_THROWS_AS(to_nl(ip::Addr()), NlError);
  CHECK(default_dst(AF_INET) == P("0.0.0.0/0"));
  CHECK(default_dst(AF_INET6) == P("::/0"));
  CHECK(format_mac(parse_mac("02:00:0a:01:0a:02").get()) == "02:00:0a:01:0a:02");
  CHECK_THROWS_AS(parse_mac("02:00:0a:01:0a"), NlError);
  CHECK_THROWS_AS(parse_mac("02:00:0a:01:0a:02:03"), NlError);
}

TEST_CASE("sysctl keys in both spellings", "[netlink][sysctl]") {
  CHECK(sysctl_path("net.ipv4.ip_forward") == "/proc/sys/net/ipv4/ip_forward");
  CHECK(sysctl_path("net/ipv4/ip_forward") == "/proc/sys/net/ipv4/ip_forward");
  CHECK(sysctl_path("net/ipv4/conf/eth0.100/forwarding") == "/proc/sys/net/ipv4/conf/eth0.100/forwarding");
  CHECK_THROWS_AS(sysctl_path("net/../../etc/passwd"), sys::SysError);
  CHECK_FALSE(sysctl_get_if_exists("net/ipv4/conf/zt-nope0/forwarding").has_value());
  CHECK_THROWS_AS(sysctl_get("net/ipv4/conf/zt-nope0/forwarding"), sys::SysError);
  auto v = sysctl_get("net.ipv4.ip_forward");
  CHECK((v == "0" || v == "1"));
}

TEST_CASE("link lookups: absent is a value", "[netlink][root]") {
  ZOS_REQUIRE_ROOT();
  Netns a("nl", "lk");
  auto s = a.socket();
  auto lo = get_link(s, "lo");
  REQUIRE(lo);
  CHECK(lo->index == 1);
  CHECK(lo->name == "lo");
  CHECK(lo->kind.empty());
  auto by_index = get_link_by_index(s, lo->index);
  REQUIRE(by_index);
  CHECK(by_index->name == "lo");
  CHECK_FALSE(get_link(s, "zt-nope0"));
  CHECK_FALSE(get_link_by_index(s, 99999));
  CHECK_FALSE(delete_link(s, "zt-nope0"));
  auto all = list_links(s);
  REQUIRE(all.size() == 1);
  CHECK(all[0].name == "lo");
}

TEST_CASE("bridges", "[netlink][root]") {
  ZOS_REQUIRE_ROOT();
  Netns a("nl", "br");
  auto s = a.socket();

  REQUIRE(create_bridge(s, "br-010a-0", {.mtu = 1400, .mac = "02:00:00:00:0a:01"}));
  CHECK_FALSE(create_bridge(s, "br-010a-0"));  // exists: false
  auto br = get_link(s, "br-010a-0");
  REQUIRE(br);
  CHECK(br->kind == "bridge");
  CHECK(br->mtu == 1400);
  CHECK(br->mac == "02:00:00:00:0a:01");
  CHECK_FALSE(br->up);
  set_up(s, br->index);
  CHECK(get_link(s, "br-010a-0")->up);
  set_down(s, br->index);
  CHECK_FALSE(get_link(s, "br-010a-0")->up);

  // The name taken by another kind is an error that says so.
  try {
    create_veth(s, "br-010a-0", "zt-peer0");
    FAIL("create_veth over a bridge name did not throw");
  } catch (const NlError& e) {
    CHECK(e.err() == EEXIST);
    CHECK_THAT(e.what(), Catch::Contains("add veth br-010a-0") && Catch::Contains("bridge"));
  }
  CHECK_FALSE(has_link(s, "zt-peer0"));

  CHECK(delete_link(s, "br-010a-0"));
  CHECK_FALSE(delete_link(s, "br-010a-0"));
  CHECK_FALSE(get_link(s, "br-010a-0"));
}

TEST_CASE("veth pairs across namespaces, master, mtu, mac, rename, netns", "[netlink][root]") {
  ZOS_REQUIRE_ROOT();
  Netns a("nl", "va"), b("nl", "vb");
  auto sa = a.socket();
  auto sb = b.socket();

  REQUIRE(create_veth(sa, "veth-010a-0", "eth0",
                      {.mac = "02:00:00:00:0a:02", .peer_mac = "02:00:00:00:0a:03", .mtu = 1300,
                       .peer_netns_fd = b.fd()}));
  auto v = get_link(sa, "veth-010a-0");
  REQUIRE(v);
  CHECK(v->kind == "veth");
  CHECK(v->mac == "02:00:00:00:0a:02");
  CHECK(v->mtu == 1300);
  CHECK_FALSE(get_link(sa, "eth0"));  // the peer was born in b
  auto p = get_link(sb, "eth0");
  REQUIRE(p);
  CHECK(p->kind == "veth");
  CHECK(p->mac == "02:00:00:00:0a:03");
  CHECK(p->mtu == 1300);
  // Independent cross-check through iproute2.
  CHECK_THAT(test::sh_out("ip -n " + b.name() + " -o link show eth0"), Catch::Contains("02:00:00:00:0a:03"));

  CHECK_FALSE(create_veth(sa, "veth-010a-0", "eth0", {.peer_netns_fd = b.fd()}));

  SECTION("master and nomaster") {
    REQUIRE(create_bridge(sa, "br0"));
    auto br = get_link(sa, "br0");
    set_master(sa, v->index, br->index);
    CHECK(get_link(sa, "veth-010a-0")->master == br->index);
    set_nomaster(sa, v->index);
    CHECK(get_link(sa, "veth-010a-0")->master == 0);
  }
  SECTION("mtu, mac, up, oper state") {
    set_mtu(sa, v->index, 1280);
    CHECK(get_link(sa, "veth-010a-0")->mtu == 1280);
    set_mac(sa, v->index, "02:00:00:00:0b:02");
    CHECK(get_link(sa, "veth-010a-0")->mac == "02:00:00:00:0b:02");
    set_up(sa, v->index);
    set_up(sb, p->index);
    auto now = get_link(sa, "veth-010a-0");
    CHECK(now->up);
    CHECK(now->oper_up);
  }
  SECTION("errors name the operation and the link") {
    try {
      set_mtu(sa, v->index, 70000);
      FAIL("mtu 70000 accepted");
    } catch (const NlError& e) {
      CHECK(e.err() == EINVAL);
      CHECK_THAT(e.what(), Catch::Contains("set mtu 70000") && Catch::Contains("veth-010a-0"));
      CHECK_FALSE(e.detail().empty());  // the kernel's extended ack: "mtu greater than device maximum"
    }
    try {
      set_up(sa, 99999);
      FAIL("set_up of an absent link did not throw");
    } catch (const NlError& e) {
      CHECK(e.err() == ENODEV);
      CHECK_THAT(e.what(), Catch::Contains("link 99999"));
    }
  }
  SECTION("rename") {
    rename_link(sa, v->index, "veth-renamed");
    CHECK_FALSE(get_link(sa, "veth-010a-0"));
    auto r = get_link(sa, "veth-renamed");
    REQUIRE(r);
    CHECK(r->index == v->index);
  }
  SECTION("move to another namespace, delete takes the peer along") {
    set_netns(sa, v->index, b.fd());
    CHECK_FALSE(get_link(sa, "veth-010a-0"));
    REQUIRE(get_link(sb, "veth-010a-0"));
    CHECK(delete_link(sb, "veth-010a-0"));
    CHECK_FALSE(delete_link(sb, "veth-010a-0"));
    CHECK_FALSE(get_link(sb, "eth0"));
  }
  SECTION("delete from the first end removes the peer in the other namespace") {
    CHECK(delete_link(sa, "veth-010a-0"));
    CHECK_FALSE(get_link(sb, "eth0"));
    CHECK_FALSE(delete_link(sa, "veth-010a-0"));
  }
}

TEST_CASE("addresses, both families", "[netlink][root]") {
  ZOS_REQUIRE_ROOT();
  Netns a("nl", "ad"), b("nl", "ad2");
  auto s = a.socket();
  REQUIRE(create_veth(s, "v0", "v0p", {.peer_netns_fd = b.fd()}));
  const int idx = get_link(s, "v0")->index;
  set_up(s, idx);

  CHECK(add_addr(s, idx, P("10.1.10.1/24")));
  CHECK_FALSE(add_addr(s, idx, P("10.1.10.1/24")));  // present: false
  CHECK(add_addr(s, idx, P("10.1.10.1/24"), {.replace = true}));
  CHECK(add_addr(s, idx, P("2a02:1802:5e:10a::1/64"), {.nodad = true}));
  CHECK(add_addr(s, idx, P("fd00::5/64")));

  auto v4 = list_addrs(s, idx, AF_INET);
  REQUIRE(v4.size() == 1);
  CHECK(v4[0].prefix == P("10.1.10.1/24"));
  CHECK(v4[0].family == AF_INET);
  CHECK(v4[0].index == idx);
  CHECK_THAT(test::sh_out("ip -n " + a.name() + " -4 -o addr show dev v0"), Catch::Contains("brd 10.1.10.255"));

  auto v6 = list_addrs(s, idx, AF_INET6);
  auto nodad = find_addr(v6, "2a02:1802:5e:10a::1/64");
  REQUIRE(nodad != v6.end());
  CHECK(nodad->family == AF_INET6);
  CHECK((nodad->flags & IFA_F_NODAD) != 0);
  CHECK((nodad->flags & IFA_F_TENTATIVE) == 0);
  auto dad = find_addr(v6, "fd00::5/64");
  REQUIRE(dad != v6.end());
  CHECK((dad->flags & IFA_F_NODAD) == 0);
  CHECK(list_addrs(s, idx).size() == v4.size() + v6.size());

  CHECK(delete_addr(s, idx, P("10.1.10.1/24")));
  CHECK_FALSE(delete_addr(s, idx, P("10.1.10.1/24")));
  CHECK(delete_addr(s, idx, P("2a02:1802:5e:10a::1/64")));
  CHECK_FALSE(delete_addr(s, idx, P("2a02:1802:5e:10a::1/64")));
  CHECK(list_addrs(s, idx, AF_INET).empty());
  const auto v6_after = list_addrs(s, idx, AF_INET6);
  CHECK(find_addr(v6_after, "2a02:1802:5e:10a::1/64") == v6_after.end());
  CHECK(find_addr(v6_after, "fd00::5/64") != v6_after.end());

  try {
    add_addr(s, 99999, P("10.9.9.9/24"));
    FAIL("address on an absent link accepted");
  } catch (const NlError& e) {
    CHECK_THAT(e.what(), Catch::Contains("add address 10.9.9.9/24 to link 99999"));
  }
}

TEST_CASE("routes, both families, replace semantics", "[netlink][root]") {
  ZOS_REQUIRE_ROOT();
  Netns a("nl", "rt"), b("nl", "rt2");
  auto s = a.socket();
  REQUIRE(create_veth(s, "v0", "v0p", {.peer_netns_fd = b.fd()}));
  const int idx = get_link(s, "v0")->index;
  set_up(s, idx);
  b.run([] {
    Socket sb;
    set_up(sb, get_link(sb, "v0p")->index);
  });
  REQUIRE(add_addr(s, idx, P("10.1.10.1/24")));
  REQUIRE(add_addr(s, idx, P("fd00::1/64"), {.nodad = true}));

  SECTION("IPv4: replace is idempotent and updates the gateway") {
    Route r{.dst = P("10.2.0.0/16"), .gw = A("10.1.10.2"), .oif = idx, .mtu = 1300};
    replace_route(s, r);
    replace_route(s, r);
    auto found = routes_to(s, AF_INET, "10.2.0.0/16");
    REQUIRE(found.size() == 1);
    CHECK(found[0].gw == A("10.1.10.2"));
    CHECK(found[0].oif == idx);
    CHECK(found[0].table == RT_TABLE_MAIN);
    CHECK(found[0].scope == RT_SCOPE_UNIVERSE);
    CHECK_THAT(test::sh_out("ip -n " + a.name() + " route show 10.2.0.0/16"), Catch::Contains("mtu 1300"));

    r.gw = A("10.1.10.3");
    replace_route(s, r);
    found = routes_to(s, AF_INET, "10.2.0.0/16");
    REQUIRE(found.size() == 1);
    CHECK(found[0].gw == A("10.1.10.3"));

    CHECK_FALSE(add_route(s, r));  // exists: false
    CHECK(delete_route(s, r));
    CHECK_FALSE(delete_route(s, r));
    CHECK(routes_to(s, AF_INET, "10.2.0.0/16").empty());
  }
  SECTION("IPv4 default route and a link-scope route") {
    replace_route(s, {.dst = default_dst(AF_INET), .gw = A("10.1.10.254")});
    auto d = routes_to(s, AF_INET, "0.0.0.0/0");
    REQUIRE(d.size() == 1);
    CHECK(d[0].gw == A("10.1.10.254"));
    CHECK(d[0].is_default());
    CHECK(d[0].oif == idx);  // resolved by the kernel

    CHECK(add_route(s, {.dst = P("10.3.0.0/24"), .oif = idx}));
    auto l = routes_to(s, AF_INET, "10.3.0.0/24");
    REQUIRE(l.size() == 1);
    CHECK(l[0].scope == RT_SCOPE_LINK);
    CHECK_FALSE(l[0].gw);
    CHECK(delete_route(s, {.dst = default_dst(AF_INET)}));
    CHECK(routes_to(s, AF_INET, "0.0.0.0/0").empty());
  }
  SECTION("IPv6 via link-local in another table with a metric") {
    Route r{.dst = P("2a02:1802:5e:10b::/64"), .gw = A("fe80::10b"), .oif = idx, .table = 100, .metric = 10};
    replace_route(s, r);
    replace_route(s, r);
    auto found = routes_to(s, AF_INET6, "2a02:1802:5e:10b::/64", 100);
    REQUIRE(found.size() == 1);
    CHECK(found[0].gw == A("fe80::10b"));
    CHECK(found[0].oif == idx);
    CHECK(found[0].metric == 10);
    CHECK(found[0].table == 100);
    CHECK(routes_to(s, AF_INET6, "2a02:1802:5e:10b::/64", RT_TABLE_MAIN).empty());
    CHECK_THAT(test::sh_out("ip -n " + a.name() + " -6 route show table 100"),
               Catch::Contains("2a02:1802:5e:10b::/64 via fe80::10b"));

    replace_route(s, {.dst = default_dst(AF_INET6), .gw = A("fe80::1"), .oif = idx});
    REQUIRE(routes_to(s, AF_INET6, "::/0").size() == 1);

    CHECK(delete_route(s, r));
    CHECK_FALSE(delete_route(s, r));
    CHECK(routes_to(s, AF_INET6, "2a02:1802:5e:10b::/64").empty());
  }
  SECTION("errors carry the route") {
    try {
      replace_route(s, {.dst = P("10.4.0.0/16"), .gw = A("10.99.0.1"), .oif = idx});  // gateway not on link
      FAIL("unreachable gateway accepted");
    } catch (const NlError& e) {
      CHECK_THAT(e.what(), Catch::Contains("replace route 10.4.0.0/16 via 10.99.0.1"));
      CHECK(e.err() != 0);
    }
    CHECK_THROWS_AS(replace_route(s, {.dst = P("10.4.0.0/16"), .gw = A("fe80::1")}), NlError);
    CHECK_THROWS_AS(replace_route(s, {.gw = A("10.1.10.2")}), NlError);  // no destination
  }
}

TEST_CASE("sysctl inside a namespace does not touch the host", "[netlink][sysctl][root]") {
  ZOS_REQUIRE_ROOT();
  Netns a("nl", "sc");
  const std::string host_before = sysctl_get("net/ipv4/ip_forward");
  const std::string want = host_before == "1" ? "0" : "1";
  a.run([&] {
    sysctl_set("net.ipv4.ip_forward", want);
    CHECK(sysctl_get("net/ipv4/ip_forward") == want);
  });
  CHECK(sysctl_get("net.ipv4.ip_forward") == host_before);
  CHECK(a.run([] { return sysctl_get("net.ipv4.ip_forward"); }) == want);

  // Interface names with dots, given in slash form, inside the namespace.
  a.run([] {
    Socket s;
    REQUIRE(create_bridge(s, "br.5"));
    sysctl_set("net/ipv6/conf/br.5/disable_ipv6", "1");
    CHECK(sysctl_get("net/ipv6/conf/br.5/disable_ipv6") == "1");
    sysctl_set("net/ipv6/conf/br.5/disable_ipv6", "0");
    CHECK(sysctl_get("net/ipv6/conf/br.5/disable_ipv6") == "0");
  });
  CHECK_FALSE(sysctl_get_if_exists("net/ipv6/conf/br.5/disable_ipv6").has_value());  // not on the host
  try {
    a.run([] { sysctl_set("net/ipv4/conf/zt-nope0/forwarding", "1"); });
    FAIL("sysctl of an absent interface accepted");
  } catch (const sys::SysError& e) {
    CHECK(e.err() == ENOENT);
    CHECK_THAT(e.what(), Catch::Contains("/proc/sys/net/ipv4/conf/zt-nope0/forwarding"));
  }
}

TEST_CASE("sysctl_set_below: several values under one folder, in the thread's namespace", "[netlink][sysctl][root]") {
  ZOS_REQUIRE_ROOT();
  Netns a("nl", "sb");
  a.run([] {
    Socket s;
    REQUIRE(create_bridge(s, "br.6"));
    sysctl_set_below("net/ipv6/conf/br.6", {{"accept_ra", "0"}, {"disable_ipv6", "1"}});
    CHECK(sysctl_get("net/ipv6/conf/br.6/accept_ra") == "0");
    CHECK(sysctl_get("net/ipv6/conf/br.6/disable_ipv6") == "1");
    sysctl_set_below("net", {{"ipv6/conf/br.6/disable_ipv6", "0"}, {"ipv4/ip_forward", "1"}});
    CHECK(sysctl_get("net/ipv6/conf/br.6/disable_ipv6") == "0");
    CHECK(sysctl_get("net/ipv4/ip_forward") == "1");
    // No way out of the folder; an absent key names its whole path.
    CHECK_THROWS_AS(sysctl_set_below("net/ipv6/conf/br.6", {{"../../../../kernel/hostname", "x"}}), sys::SysError);
    CHECK_THROWS_AS(sysctl_set_below("net", {{"", "1"}}), sys::SysError);
    try {
      sysctl_set_below("net/ipv6/conf/br.6", {{"accept_ra", "1"}, {"zt-nope", "1"}});
      FAIL("an absent key accepted");
    } catch (const sys::SysError& e) {
      CHECK(e.err() == ENOENT);
      CHECK_THAT(e.what(), Catch::Contains("/proc/sys/net/ipv6/conf/br.6/zt-nope"));
    }
    CHECK(sysctl_get("net/ipv6/conf/br.6/accept_ra") == "1");  // in order, up to the failing one
  });
  CHECK_FALSE(sysctl_get_if_exists("net/ipv6/conf/br.6/accept_ra").has_value());  // not on the host
  CHECK_THROWS_AS(sysctl_set_below("net/ipv6/conf/zt-nope0", {{"accept_ra", "0"}}), sys::SysError);
}
