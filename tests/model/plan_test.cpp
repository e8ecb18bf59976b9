// Unit tests: the address plan, EUI-64 / IPv4-derived IPv6, MAC parsing.
#include <catch2/catch.hpp>

#include "common/cni/error.h"
#include "model/plan.h"
#include "support/support.h"

using namespace zos;
using zos::test::code_of;
using zos::model::Plan;

namespace {

ip::Prefix P(const char* s) { return *ip::Prefix::parse(s); }
ip::Addr A(const char* s) { return *ip::Addr::parse(s); }

}  // namespace

TEST_CASE("plan: the DESIGN.md example prefix", "[ipam][plan]") {
  auto p = Plan::of(P("2a02:1802:5e:10a::/64"), 0);
  CHECK(model::Nibble(P("2a02:1802:5e:10a::/64")).hex() == "010a");
  CHECK(p.subnet_v4.str() == "10.1.10.0/24");
  CHECK(p.router_v4.str() == "10.1.10.1/24");
  CHECK(p.router_v6.str() == "2a02:1802:5e:10a::1/64");
  CHECK(p.wg_v4.str() == "10.255.1.10/16");
  CHECK(p.wg_v6.str() == "fe80::10a/64");
  CHECK(p.prefix.str() == "2a02:1802:5e:10a::/64");
  CHECK(p.netns == "net-010a-0");
  CHECK(p.bridge == "br-010a-0");
  CHECK(p.wg == "wg-010a-0");
  CHECK(p.veth == "veth-010a-0");
  CHECK(p.pub == "pub-010a-0");
}

TEST_CASE("plan: Addressing::of is the plan's addresses, without names", "[ipam][plan]") {
  for (const char* text : {"2a02:1802:5e:10a::/64", "2a02:1802:5e:ffff::/64", "fd00::/64", "2a02:1802:5e:a::7/64"}) {
    INFO(text);
    auto a = model::Addressing::of(P(text));
    auto p = Plan::of(P(text), 3);
    CHECK(a.prefix == p.prefix);
    CHECK(a.subnet_v4 == p.subnet_v4);
    CHECK(a.router_v4 == p.router_v4);
    CHECK(a.router_v6 == p.router_v6);
    CHECK(a.wg_v4 == p.wg_v4);
    CHECK(a.wg_v6 == p.wg_v6);
  }
  CHECK(model::Addressing::of(P("2a02:1802:5e:10a::/64")).wg_v4.str() == "10.255.1.10/16");
  CHECK(code_of([] { model::Addressing::of(P("2a02:1802:5e:10a::/56")); }) == cni::kInvalidConfig);
  CHECK(code_of([] { model::Addressing::of(P("10.1.10.0/24")); }) == cni::kInvalidConfig);
}

TEST_CASE("plan: allocation_nr lands in every name", "[ipam][plan]") {
  auto p = Plan::of(P("2a02:1802:5e:ff01::/64"), 42);
  CHECK(p.subnet_v4.str() == "10.255.1.0/24");
  CHECK(p.wg_v4.str() == "10.255.255.1/16");
  CHECK(p.netns == "net-ff01-42");
  CHECK(p.veth == "veth-ff01-42");
  CHECK(p.veth.size() <= 15);
}

TEST_CASE("plan: host bits of the prefix are ignored", "[ipam][plan]") {
  auto p = Plan::of(P("2a02:1802:5e:10a::77/64"), 0);
  CHECK(p.prefix.str() == "2a02:1802:5e:10a::/64");
  CHECK(p.router_v6.addr().str() == "2a02:1802:5e:10a::1");
}

TEST_CASE("plan: a prefix shorter than /48 takes its nibble from bytes 5-8", "[ipam][plan]") {
  model::Nibble n(P("2a02:1802:abcd:ef01::/40"));
  CHECK(n.hex() == "abcdef01");
  CHECK(n.a() == 0xef);
  CHECK(n.b() == 0x01);
  model::Nibble n48(P("2a02:1802:abcd:ef01::/48"));
  CHECK(n48.hex() == "ef01");
}

TEST_CASE("plan: a prefix that is not an IPv6 /64 is error 7", "[ipam][plan]") {
  CHECK(code_of([] { Plan::of(P("2a02:1802:5e:10a::/56"), 0); }) == cni::kInvalidConfig);
  CHECK(code_of([] { Plan::of(P("2a02:1802:5e:10a::/96"), 0); }) == cni::kInvalidConfig);
  CHECK(code_of([] { Plan::of(P("10.1.10.0/24"), 0); }) == cni::kInvalidConfig);
  try {
    Plan::of(P("2a02:1802:5e:10a::/56"), 0);
  } catch (const cni::Error& e) {
    CHECK_THAT(e.msg(), Catch::Contains("/64"));
  }
}

TEST_CASE("plan: a name longer than 15 characters is error 7", "[ipam][plan]") {
  // veth-010a-99999 is exactly 15.
  CHECK(Plan::of(P("2a02:1802:5e:10a::/64"), 99999).veth == "veth-010a-99999");
  CHECK(code_of([] { Plan::of(P("2a02:1802:5e:10a::/64"), 100000); }) == cni::kInvalidConfig);
  try {
    Plan::of(P("2a02:1802:5e:10a::/64"), 123456);
  } catch (const cni::Error& e) {
    CHECK_THAT(e.msg(), Catch::Contains("15 characters"));
  }
}

TEST_CASE("eui64: from the container MAC", "[ipam][plan]") {
  auto mac = model::parse_mac("02:42:ac:11:00:02");
  REQUIRE(mac);
  auto a = model::eui64(P("2a02:1802:5e:10a::/64"), *mac);
  CHECK(a.str() == "2a02:1802:5e:10a:42:acff:fe11:2");
  // The universal/local bit flips.
  auto b = model::eui64(P("2a02:1802:5e:10a::/64"), *model::parse_mac("00:16:3e:aa:bb:cc"));
  CHECK(b.str() == "2a02:1802:5e:10a:216:3eff:feaa:bbcc");
  CHECK(P("2a02:1802:5e:10a::/64").contains(b));
}

TEST_CASE("ipv6_from_ipv4 and ipv4_from_ipv6 round trip", "[ipam][plan]") {
  auto pre = P("2a02:1802:5e:10a::/64");
  CHECK(model::ipv6_from_ipv4(pre, A("10.1.10.2")).str() == "2a02:1802:5e:10a::a01:a02");
  for (int h = 2; h <= 254; ++h) {
    auto v4 = ip::Addr::v4((10u << 24) | (1u << 16) | (10u << 8) | static_cast<uint32_t>(h));
    auto v6 = model::ipv6_from_ipv4(pre, v4);
    REQUIRE(pre.contains(v6));
    auto back = model::ipv4_from_ipv6(pre, v6);
    REQUIRE(back);
    CHECK(*back == v4);
  }
  // Not reversible for addresses that were not made that way.
  CHECK_FALSE(model::ipv4_from_ipv6(pre, A("2a02:1802:5e:10a:42:acff:fe11:2")));
  CHECK_FALSE(model::ipv4_from_ipv6(pre, A("2a02:1802:5e:10b::a01:a02")));
  // Never the router, never an EUI-64 id.
  CHECK(model::ipv6_from_ipv4(pre, A("10.1.10.2")) != Plan::of(pre, 0).router_v6.addr());
}

TEST_CASE("parse_mac accepts only aa:bb:cc:dd:ee:ff", "[ipam][plan]") {
  auto m = model::parse_mac("02:42:AC:11:00:02");
  REQUIRE(m);
  CHECK(model::format_mac(*m) == "02:42:ac:11:00:02");
  for (const char* bad : {"", "02:42:ac:11:00", "02:42:ac:11:00:02:03", "02-42-ac-11-00-02", "zz:42:ac:11:00:02",
                          "02:42:ac:11:00:0g", "02:42:ac:11:00:02 ", "0242.ac11.0002"})
    CHECK_FALSE(model::parse_mac(bad));
}

// Found by this suite: sscanf("%2x") skipped blanks and took signs and "0x",
// so "-2:42:ac:11:00:02" read as fe:42:... .
TEST_CASE("parse_mac rejects signs, blanks and 0x inside the MAC", "[ipam][plan]") {
  for (const char* bad : {" 2:42:ac:11:00:02", "+2:42:ac:11:00:02", "-2:42:ac:11:00:02", "02:42:ac:11: 0:02",
                          "0x:42:ac:11:00:02"}) {
    INFO(bad);
    CHECK_FALSE(model::parse_mac(bad));
  }
}
