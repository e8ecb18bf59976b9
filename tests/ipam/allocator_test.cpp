// Unit tests: the allocator against the in-memory store.
#include <catch2/catch.hpp>
#include <set>

#include "common/cni/error.h"
#include "ipam/mem_store.h"
#include "plugins/ipam/allocator.h"
#include "support/support.h"

using namespace zos;
using zos::test::code_of;
using zos::test::ipam::MemStore;
using namespace zos::ipam;

namespace {

ip::Addr A(const char* s) { return *ip::Addr::parse(s); }

struct Fixture {
  model::Plan plan = model::Plan::of(*ip::Prefix::parse("2a02:1802:5e:10a::/64"), 0);
  MemStore store;
  Allocator alloc{store, plan};

  Request req(const std::string& id, V6Mode mode = V6Mode::kIpv4) {
    Request r;
    r.container_id = id;
    r.ifname = "eth0";
    r.v6_mode = mode;
    return r;
  }
};

}  // namespace

TEST_CASE("allocator: sequential from .2", "[ipam][allocator]") {
  Fixture f;
  CHECK(f.alloc.allocate(f.req("a")).v4.str() == "10.1.10.2");
  CHECK(f.alloc.allocate(f.req("b")).v4.str() == "10.1.10.3");
  CHECK(f.alloc.allocate(f.req("c")).v4.str() == "10.1.10.4");
  CHECK(f.alloc.free_count() == 253 - 3);
}

TEST_CASE("allocator: a repeated allocate returns the same lease", "[ipam][allocator]") {
  Fixture f;
  auto a = f.alloc.allocate(f.req("a"));
  f.alloc.allocate(f.req("b"));
  auto again = f.alloc.allocate(f.req("a"));
  CHECK(again.v4 == a.v4);
  CHECK(again.v6 == a.v6);
  CHECK(f.store.leases().size() == 2);
  // Another interface of the same container is another attachment.
  auto r = f.req("a");
  r.ifname = "net1";
  CHECK(f.alloc.allocate(r).v4 != a.v4);
}

TEST_CASE("allocator: round robin, a released address is not reused at once", "[ipam][allocator]") {
  Fixture f;
  f.alloc.allocate(f.req("a"));                 // .2
  f.alloc.allocate(f.req("b"));                 // .3
  CHECK(f.alloc.release("a", "eth0"));
  CHECK_FALSE(f.alloc.release("a", "eth0"));   // second release: nothing left
  CHECK(f.alloc.allocate(f.req("c")).v4.str() == "10.1.10.4");
  CHECK_FALSE(f.alloc.find("a", "eth0"));
  REQUIRE(f.alloc.find("b", "eth0"));
  CHECK(f.alloc.find("b", "eth0")->v4.str() == "10.1.10.3");
}

TEST_CASE("allocator: wraps around after .254", "[ipam][allocator]") {
  Fixture f;
  f.store.set_last_reserved(A("10.1.10.253"));
  CHECK(f.alloc.allocate(f.req("a")).v4.str() == "10.1.10.254");
  CHECK(f.alloc.allocate(f.req("b")).v4.str() == "10.1.10.2");
  // A hint outside the pool is ignored.
  Fixture g;
  g.store.set_last_reserved(A("192.168.1.1"));
  CHECK(g.alloc.allocate(g.req("a")).v4.str() == "10.1.10.2");
}

TEST_CASE("allocator: exhaustion after 253 leases is code 100", "[ipam][allocator]") {
  Fixture f;
  std::set<ip::Addr> seen;
  for (int i = 0; i < 253; ++i) seen.insert(f.alloc.allocate(f.req("c" + std::to_string(i))).v4);
  CHECK(seen.size() == 253);
  CHECK(seen.count(A("10.1.10.1")) == 0);
  CHECK(seen.count(A("10.1.10.0")) == 0);
  CHECK(seen.count(A("10.1.10.255")) == 0);
  CHECK(f.alloc.free_count() == 0);
  try {
    f.alloc.allocate(f.req("one-too-many"));
    FAIL("allocated past the pool");
  } catch (const cni::Error& e) {
    CHECK(e.code() == kPoolExhausted);
    CHECK_THAT(e.msg(), Catch::Contains("10.1.10.0/24"));
  }
  // The existing ones still answer, and a release makes room.
  CHECK(f.alloc.allocate(f.req("c7")).v4 == f.alloc.find("c7", "eth0")->v4);
  REQUIRE(f.alloc.release("c100", "eth0"));
  CHECK(f.alloc.allocate(f.req("late")).v4.str() == "10.1.10.102");
}

TEST_CASE("allocator: requested IPv4", "[ipam][allocator]") {
  Fixture f;
  auto r = f.req("a");
  r.want_v4 = A("10.1.10.77");
  CHECK(f.alloc.allocate(r).v4.str() == "10.1.10.77");
  CHECK(f.store.last_reserved() == A("10.1.10.77"));

  SECTION("taken by another attachment: 101 naming the holder") {
    auto r2 = f.req("b");
    r2.want_v4 = A("10.1.10.77");
    try {
      f.alloc.allocate(r2);
      FAIL("leased twice");
    } catch (const cni::Error& e) {
      CHECK(e.code() == kAddressInUse);
    }
  }
  SECTION("outside the pool: 102") {
    for (const char* bad : {"10.1.11.5", "10.1.10.0", "10.1.10.1", "10.1.10.255", "192.168.0.2"}) {
      auto r2 = f.req("b");
      r2.want_v4 = A(bad);
      INFO(bad);
      CHECK(code_of([&] { f.alloc.allocate(r2); }) == kOutOfPool);
    }
    CHECK(f.store.leases().size() == 1);
  }
  SECTION("the edges of the pool are fine") {
    for (const char* ok : {"10.1.10.2", "10.1.10.254"}) {
      auto r2 = f.req(ok);
      r2.want_v4 = A(ok);
      CHECK(f.alloc.allocate(r2).v4 == A(ok));
    }
  }
}

TEST_CASE("allocator: IPv6 modes", "[ipam][allocator]") {
  Fixture f;
  auto mac = model::parse_mac("02:42:ac:11:00:02");
  SECTION("ipv4 (default)") {
    auto l = f.alloc.allocate(f.req("a"));
    REQUIRE(l.v6.size() == 1);
    CHECK(l.v6[0].str() == "2a02:1802:5e:10a::a01:a02");
  }
  SECTION("none") {
    CHECK(f.alloc.allocate(f.req("a", V6Mode::kNone)).v6.empty());
  }
  SECTION("eui64") {
    auto r = f.req("a", V6Mode::kEui64);
    r.mac = mac;
    auto l = f.alloc.allocate(r);
    REQUIRE(l.v6.size() == 1);
    CHECK(l.v6[0].str() == "2a02:1802:5e:10a:42:acff:fe11:2");
    CHECK(l.mac == "02:42:ac:11:00:02");
  }
  SECTION("both: the IPv4-mirroring address first (kubelet keeps the first IPv6)") {
    auto r = f.req("a", V6Mode::kBoth);
    r.mac = mac;
    auto l = f.alloc.allocate(r);
    REQUIRE(l.v6.size() == 2);
    CHECK(l.v6[0].str() == "2a02:1802:5e:10a::a01:a02");
    CHECK(l.v6[1].str() == "2a02:1802:5e:10a:42:acff:fe11:2");
  }
  SECTION("eui64 / both without a MAC: 7, nothing leased") {
    CHECK(code_of([&] { f.alloc.allocate(f.req("a", V6Mode::kEui64)); }) == cni::kInvalidConfig);
    CHECK(code_of([&] { f.alloc.allocate(f.req("a", V6Mode::kBoth)); }) == cni::kInvalidConfig);
    CHECK(f.store.leases().empty());
  }
  SECTION("the same MAC twice: the second EUI-64 is in use (101)") {
    auto r = f.req("a", V6Mode::kEui64);
    r.mac = mac;
    f.alloc.allocate(r);
    auto r2 = f.req("b", V6Mode::kEui64);
    r2.mac = mac;
    CHECK(code_of([&] { f.alloc.allocate(r2); }) == kAddressInUse);
    CHECK(f.store.leases().size() == 1);
  }
  SECTION("requested IPv6 inside / outside the prefix") {
    auto r = f.req("a");
    r.want_v6 = {A("2a02:1802:5e:10a::99")};
    auto l = f.alloc.allocate(r);
    REQUIRE(l.v6.size() == 1);
    CHECK(l.v6[0].str() == "2a02:1802:5e:10a::99");
    auto r2 = f.req("b");
    r2.want_v6 = {A("2a02:1802:5e:10b::99")};
    CHECK(code_of([&] { f.alloc.allocate(r2); }) == kOutOfPool);
    auto r3 = f.req("c");
    r3.want_v6 = {A("2a02:1802:5e:10a::1")};  // the router
    CHECK(code_of([&] { f.alloc.allocate(r3); }) == kOutOfPool);
    auto r4 = f.req("d");
    r4.want_v6 = {A("2a02:1802:5e:10a::99")};  // taken
    CHECK(code_of([&] { f.alloc.allocate(r4); }) == kAddressInUse);
  }
}

// Found by this suite: v6_for() ran before the IPv4 check and reported the
// derived IPv6 ("IPv6 2a02:...::a01:a4d is already leased"), not the IPv4.
TEST_CASE("allocator: a taken requested IPv4 is named in the error", "[ipam][allocator]") {
  Fixture f;
  auto r = f.req("a");
  r.want_v4 = A("10.1.10.77");
  f.alloc.allocate(r);
  auto r2 = f.req("b");
  r2.want_v4 = A("10.1.10.77");
  try {
    f.alloc.allocate(r2);
    FAIL("leased twice");
  } catch (const cni::Error& e) {
    CHECK(e.code() == kAddressInUse);
    CHECK_THAT(e.msg(), Catch::Contains("requested IPv4 10.1.10.77"));
  }
}
