// runtimeConfig.ipRanges: honoured inside the NR's /24 and /64, error 7 for
// the rest (plugins/ipam/ranges.h).
#include <catch2/catch.hpp>

#include "common/cni/error.h"
#include "ipam/ipam_support.h"
#include "ipam/mem_store.h"
#include "plugins/ipam/allocator.h"

using namespace zos;
using namespace zos::ipam;
using zos::test::ipam::MemStore;
using zos::test::ipam::Pool;
using nlohmann::json;

namespace {

const model::Plan kPlan = model::Plan::of(*ip::Prefix::parse("2a02:1802:5e:10a::/64"), 0);

Ranges ranges(const char* text) { return parse_ip_ranges(json::parse(text), kPlan); }

// The message of the cni::Error f throws with `code` ("" when it throws none).
std::string error_of(int code, const std::function<void()>& f) {
  try {
    f();
  } catch (const cni::Error& e) {
    return e.code() == code ? e.msg() : "code " + std::to_string(e.code()) + ": " + e.msg();
  }
  return "";
}

}  // namespace

TEST_CASE("ipRanges: ranges inside the NR narrow the pool", "[ipam][ranges]") {
  MemStore store;
  Allocator alloc{store, kPlan};
  auto req = [&](const std::string& id, const char* text, V6Mode mode = V6Mode::kIpv4) {
    Request r;
    r.container_id = id;
    r.ifname = "eth0";
    r.v6_mode = mode;
    r.mac = std::array<uint8_t, 6>{0x02, 0x42, 0xac, 0x11, 0x00, 0x02};
    r.ranges = ranges(text);
    return r;
  };
  const char* upper = R"([[{"subnet": "10.1.10.128/25", "rangeStart": "10.1.10.200", "rangeEnd": "10.1.10.201"}]])";
  CHECK(alloc.allocate(req("a", upper)).v4.str() == "10.1.10.200");
  CHECK(alloc.allocate(req("b", upper)).v4.str() == "10.1.10.201");
  // Both taken: the ranges are full although the /24 is not.
  CHECK_THAT(error_of(kPoolExhausted, [&] { alloc.allocate(req("c", upper)); }), Catch::Contains("ipRanges"));
  // A /25 without start/end: its part of the pool (.128-.254 here).
  auto l = alloc.allocate(req("d", R"([[{"subnet": "10.1.10.128/25"}]])"));
  CHECK(l.v4.str() == "10.1.10.202");  // round robin after the last one handed out
  // A requested IPv4 outside the ranges: 102.
  auto w = req("e", upper);
  w.want_v4 = *ip::Addr::parse("10.1.10.9");
  CHECK_THAT(error_of(kOutOfPool, [&] { alloc.allocate(w); }), Catch::Contains("ipRanges"));

  SECTION("an IPv6 range keeps the derived addresses inside it") {
    // prefix::/96 holds the IPv4-mirroring address, not the EUI-64 one.
    auto r = req("f", R"([[{"subnet": "2a02:1802:5e:10a::/96"}]])", V6Mode::kBoth);
    auto lease = alloc.allocate(r);
    REQUIRE(lease.v6.size() == 1);
    CHECK(lease.v6[0] == model::ipv6_from_ipv4(kPlan.prefix, lease.v4));
    // One that holds neither: 7, nothing leased.
    auto none = req("g", R"([[{"subnet": "2a02:1802:5e:10a:ffff::/80"}]])", V6Mode::kIpv4);
    CHECK_THAT(error_of(cni::kInvalidConfig, [&] { alloc.allocate(none); }), Catch::Contains("IPv6 range"));
    CHECK_FALSE(alloc.find("g", "eth0"));
  }
}

TEST_CASE("ipRanges: anything outside the NR is error 7, naming it", "[ipam][ranges]") {
  for (const char* text : {R"([[{"subnet": "10.2.0.0/16"}]])",            // another network
                           R"([[{"subnet": "10.1.0.0/16"}]])",            // wider than the NR /24
                           R"([[{"subnet": "2a02:1802:5e:10b::/64"}]])",  // another /64
                           R"([[{"subnet": "10.1.10.0/24", "rangeStart": "10.1.11.2"}]])",
                           R"([[{"subnet": "10.1.10.0/24", "gateway": "10.1.10.254"}]])",
                           R"([[{"subnet": "10.1.10.0/31"}]])",  // .0-.1: no pool address
                           R"([[{"rangeStart": "10.1.10.5"}]])", R"([{"subnet": "10.1.10.0/24"}])", R"("10.1.10.0/24")"}) {
    DYNAMIC_SECTION(text) {
      CHECK_THAT(error_of(cni::kInvalidConfig, [&] { ranges(text); }), Catch::Contains("runtimeConfig.ipRanges"));
    }
  }
  // The NR router as gateway is fine, and so is the whole /24 or /64.
  auto ok = ranges(R"([[{"subnet": "10.1.10.0/24", "gateway": "10.1.10.1"}], [{"subnet": "2a02:1802:5e:10a::/64"}]])");
  CHECK(ok.str(4) == "10.1.10.2-10.1.10.254");
  CHECK(ok.v6.size() == 1);
}

TEST_CASE("ipRanges through the zos-ipam binary", "[ipam][ranges][integration]") {
  Pool p;
  json conf = p.conf("1.0.0");
  conf["runtimeConfig"]["ipRanges"] = json::parse(R"([[{"subnet": "10.1.10.64/26"}]])");
  auto r = zos::test::ipam::add(p, "c1", conf);
  ZOS_SHOW(r);
  REQUIRE(r.status == 0);
  CHECK(json::parse(r.out)["ips"][0]["address"] == "10.1.10.64/24");
  conf["runtimeConfig"]["ipRanges"] = json::parse(R"([[{"subnet": "192.168.0.0/24"}]])");
  auto bad = zos::test::ipam::add(p, "c2", conf);
  CHECK(bad.status != 0);
  CHECK(json::parse(bad.out)["code"] == 7);
  CHECK_THAT(bad.out, Catch::Contains("192.168.0.0/24"));
  CHECK(p.lease_files().size() == 1);
}
