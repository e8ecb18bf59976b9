// ip::Addr / ip::Prefix: parse, format, network(), contains(), offset(), order.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <array>

#include "common/ip/ip.h"

using zos::ip::Addr;
using zos::ip::Prefix;

namespace {

Addr A(const char* s) {
  auto a = Addr::parse(s);
  REQUIRE(a);
  return *a;
}
Prefix P(const char* s) {
  auto p = Prefix::parse(s);
  REQUIRE(p);
  return *p;
}

}  // namespace

TEST_CASE("Addr parses and formats IPv4", "[ip]") {
  auto a = A("10.1.10.2");
  CHECK(a.is_v4());
  CHECK_FALSE(a.is_v6());
  CHECK(a.family() == 4);
  CHECK_FALSE(a.empty());
  CHECK(a.size() == 4);
  CHECK(a[0] == 10);
  CHECK(a[1] == 1);
  CHECK(a[2] == 10);
  CHECK(a[3] == 2);
  CHECK(a.v4_host() == 0x0a010a02u);
  CHECK(a.str() == "10.1.10.2");
  CHECK(A("0.0.0.0").str() == "0.0.0.0");
  CHECK(A("255.255.255.255").v4_host() == 0xffffffffu);
}

TEST_CASE("Addr::v4 takes a host-order integer", "[ip]") {
  auto a = Addr::v4(0xc0a80001u);
  CHECK(a.str() == "192.168.0.1");
  CHECK(a == A("192.168.0.1"));
  CHECK(a.v4_host() == 0xc0a80001u);
}

TEST_CASE("Addr parses and formats IPv6 canonically", "[ip]") {
  auto a = A("2a02:0000:0000:0000:0000:0000:0000:0001");
  CHECK(a.is_v6());
  CHECK(a.family() == 6);
  CHECK(a.size() == 16);
  CHECK(a[0] == 0x2a);
  CHECK(a[1] == 0x02);
  CHECK(a[15] == 0x01);
  CHECK(a.str() == "2a02::1");
  CHECK(A("::").str() == "::");
  CHECK(A("FE80::ABCD").str() == "fe80::abcd");
  CHECK(A("::ffff:1.2.3.4").is_v6());
  CHECK(A("::ffff:1.2.3.4")[15] == 4);

  std::array<uint8_t, 16> b{};
  b[0] = 0xfd;
  b[15] = 0x42;
  CHECK(Addr::v6(b).str() == "fd00::42");
}

TEST_CASE("Addr rejects malformed input", "[ip]") {
  for (const char* s : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-1", "a.b.c.d", "10.1.10.2 ", " 10.1.10.2",
                        "10.1.10.2/24", "1:2:3:4:5:6:7:8:9", ":::", "2a02::1::2", "gggg::1", "2a02::1/64", "x"}) {
    INFO(s);
    CHECK_FALSE(Addr::parse(s));
  }
  CHECK_FALSE(Addr::parse(std::string(100, '1')));
  CHECK_FALSE(Addr::parse(std::string(46, ':')));
}

TEST_CASE("Addr rejects a string with an embedded NUL", "[ip]") {
  // inet_pton stops at the NUL: "1.2.3.4\0junk" must not read as 1.2.3.4.
  CHECK_FALSE(Addr::parse(std::string_view("1.2.3.4\0junk", 12)));
}

TEST_CASE("A default Addr is empty", "[ip]") {
  Addr a;
  CHECK(a.empty());
  CHECK(a.family() == 0);
  CHECK(a.str() == "");
}

TEST_CASE("Prefix parses lengths", "[ip]") {
  auto p = P("10.1.10.2/24");
  CHECK(p.addr() == A("10.1.10.2"));
  CHECK(p.len() == 24);
  CHECK(p.family() == 4);
  CHECK(p.str() == "10.1.10.2/24");

  CHECK(P("10.0.0.1").len() == 32);  // bare address: full length
  CHECK(P("2a02::1").len() == 128);
  CHECK(P("0.0.0.0/0").len() == 0);
  CHECK(P("10.0.0.0/32").len() == 32);
  CHECK(P("2a02::/64").len() == 64);
  CHECK(P("2a02::/64").str() == "2a02::/64");
  CHECK(P("::/0").len() == 0);
  CHECK(P("2a02::1/128").len() == 128);

  for (const char* s : {"10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/24x", "10.0.0.0/24/1",
                        "10.0.0.0/ 24", "2a02::/129", "2a02::/", "/24", "", "10.0.0/24", "foo/8"}) {
    INFO(s);
    CHECK_FALSE(Prefix::parse(s));
  }
}

TEST_CASE("Prefix::network clears host bits", "[ip]") {
  CHECK(P("10.1.10.77/24").network() == P("10.1.10.0/24"));
  CHECK(P("10.1.10.77/24").network().str() == "10.1.10.0/24");
  CHECK(P("10.1.255.255/17").network().str() == "10.1.128.0/17");
  CHECK(P("10.1.10.77/32").network().str() == "10.1.10.77/32");
  CHECK(P("10.1.10.77/0").network().str() == "0.0.0.0/0");
  CHECK(P("10.255.10.77/9").network().str() == "10.128.0.0/9");
  CHECK(P("2a02:1:2:3:4:5:6:7/64").network().str() == "2a02:1:2:3::/64");
  CHECK(P("2a02:1:2:3:4:5:6:7/52").network().str() == "2a02:1:2::/52");
  CHECK(P("2a02:1:2:ffff::1/50").network().str() == "2a02:1:2:c000::/50");
  CHECK(P("2a02:1:2:3:4:5:6:7/128").network().str() == "2a02:1:2:3:4:5:6:7/128");
  CHECK(P("2a02:1:2:3:4:5:6:7/0").network().str() == "::/0");
  CHECK(P("10.1.10.77/24").network().addr().is_v4());
}

TEST_CASE("Prefix::contains", "[ip]") {
  auto p = P("10.1.10.0/24");
  CHECK(p.contains(A("10.1.10.0")));
  CHECK(p.contains(A("10.1.10.1")));
  CHECK(p.contains(A("10.1.10.255")));
  CHECK_FALSE(p.contains(A("10.1.11.0")));
  CHECK_FALSE(p.contains(A("10.1.9.255")));
  CHECK_FALSE(p.contains(A("::ffff:10.1.10.1")));  // other family
  CHECK(P("10.1.10.9/24").contains(A("10.1.10.200")));  // host bits in the prefix ignored
  CHECK(P("10.1.128.0/17").contains(A("10.1.255.1")));
  CHECK_FALSE(P("10.1.128.0/17").contains(A("10.1.127.1")));
  CHECK(P("0.0.0.0/0").contains(A("8.8.8.8")));
  CHECK_FALSE(P("0.0.0.0/0").contains(A("2a02::1")));
  CHECK(P("10.0.0.1/32").contains(A("10.0.0.1")));
  CHECK_FALSE(P("10.0.0.1/32").contains(A("10.0.0.2")));

  auto q = P("2a02:1:2:3::/64");
  CHECK(q.contains(A("2a02:1:2:3:ffff:ffff:ffff:ffff")));
  CHECK_FALSE(q.contains(A("2a02:1:2:4::")));
  CHECK_FALSE(q.contains(A("10.0.0.1")));
  CHECK(P("::/0").contains(A("2a02::1")));
}

TEST_CASE("Addr::offset adds with carry and borrow", "[ip]") {
  CHECK(A("10.0.0.1").offset(1).str() == "10.0.0.2");
  CHECK(A("10.0.0.1").offset(0).str() == "10.0.0.1");
  CHECK(A("10.0.0.255").offset(1).str() == "10.0.1.0");
  CHECK(A("10.0.255.255").offset(1).str() == "10.1.0.0");
  CHECK(A("10.0.0.0").offset(256).str() == "10.0.1.0");
  CHECK(A("10.0.0.200").offset(300).str() == "10.0.1.244");
  CHECK(A("10.0.0.0").offset(65536 + 257).str() == "10.1.1.1");
  CHECK(A("10.0.0.5").offset(-1).str() == "10.0.0.4");
  CHECK(A("10.0.1.0").offset(-1).str() == "10.0.0.255");
  CHECK(A("10.1.0.0").offset(-1).str() == "10.0.255.255");
  CHECK(A("10.0.1.244").offset(-300).str() == "10.0.0.200");
  CHECK(A("10.1.1.1").offset(-(65536 + 257)).str() == "10.0.0.0");
  CHECK(A("255.255.255.255").offset(1).str() == "0.0.0.0");  // wraps in the family
  CHECK(A("0.0.0.0").offset(-1).str() == "255.255.255.255");
  CHECK(A("0.0.0.0").offset(0x0a010203).str() == "10.1.2.3");
  CHECK(A("10.0.0.1").offset(5).family() == 4);
  // offset and back is the identity
  for (int64_t n : {1, 7, 255, 256, 257, 65535, 65536, 1000000, 0x7fffffff}) {
    INFO(n);
    CHECK(A("10.20.30.40").offset(n).offset(-n) == A("10.20.30.40"));
    CHECK(A("10.20.30.40").offset(n).v4_host() == static_cast<uint32_t>(0x0a141e28u + n));
  }

  CHECK(A("2a02::1").offset(1).str() == "2a02::2");
  CHECK(A("2a02::ff").offset(1).str() == "2a02::100");
  CHECK(A("2a02::ffff").offset(1).str() == "2a02::1:0");
  CHECK(A("2a02::ffff:ffff:ffff:ffff").offset(1).str() == "2a02:0:0:1::");
  CHECK(A("2a02:0:0:1::").offset(-1).str() == "2a02::ffff:ffff:ffff:ffff");
  CHECK(A("2a02::100").offset(-1).str() == "2a02::ff");
  CHECK(A("::").offset(-1).str() == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  CHECK(A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").offset(1).str() == "::");
  CHECK(A("2a02::").offset(int64_t{1} << 40).str() == "2a02::100:0:0");
  CHECK(A("2a02::100:0:0").offset(-(int64_t{1} << 40)).str() == "2a02::");
  CHECK(A("2a02::1").offset(1).is_v6());
}

TEST_CASE("Addr and Prefix order", "[ip]") {
  CHECK(A("10.0.0.1") < A("10.0.0.2"));
  CHECK(A("10.0.0.255") < A("10.0.1.0"));
  CHECK(A("9.255.255.255") < A("10.0.0.0"));
  CHECK(A("10.0.0.1") == A("10.0.0.1"));
  CHECK(A("10.0.0.1") != A("10.0.0.2"));
  CHECK(A("2a02::1") < A("2a02::2"));
  CHECK(A("2a02::ffff") < A("2a02::1:0"));
  CHECK(A("255.255.255.255") < A("::"));  // every IPv4 before every IPv6
  CHECK(Addr() < A("0.0.0.0"));
  CHECK(P("10.0.0.0/8") < P("10.0.0.0/16"));
  CHECK(P("10.0.0.0/24") < P("10.0.1.0/8"));
  CHECK(P("10.0.0.0/24") == P("10.0.0.0/24"));
  CHECK(P("10.0.0.1/24") != P("10.0.0.0/24"));  // not normalised
}

// str() formats without inet_ntop (it is called ~13,000 times by an apply of
// 1000 peers): the same text as glibc's inet_ntop for every shape of zero
// runs, the IPv4-mapped and -compatible forms, and random addresses.
TEST_CASE("Addr::str writes what inet_ntop writes", "[ip]") {
  auto ntop = [](const Addr& a) {
    char buf[INET6_ADDRSTRLEN];
    REQUIRE(inet_ntop(a.is_v4() ? AF_INET : AF_INET6, a.data(), buf, sizeof buf));
    return std::string(buf);
  };
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    return seed;
  };
  // Every pattern of zero / non-zero groups, with random non-zero values
  // (small ones too, so leading zeros are dropped), 8 times over.
  for (int rep = 0; rep < 8; ++rep)
    for (unsigned mask = 0; mask < 256; ++mask) {
      std::array<uint8_t, 16> b{};
      for (int g = 0; g < 8; ++g) {
        if (!(mask & (1u << g))) continue;
        uint16_t v = static_cast<uint16_t>(next());
        v = rep % 4 == 0 ? static_cast<uint16_t>(v & 0xf) : rep % 4 == 1 ? static_cast<uint16_t>(v & 0xff) : v;
        if (!v) v = 1;
        if (rep == 7 && g == 5) v = 0xffff;  // ::ffff:a.b.c.d and its neighbours
        b[2 * g] = static_cast<uint8_t>(v >> 8);
        b[2 * g + 1] = static_cast<uint8_t>(v);
      }
      Addr a = Addr::v6(b);
      INFO(ntop(a));
      CHECK(a.str() == ntop(a));
      CHECK(Prefix(a, 64).str() == ntop(a) + "/64");
    }
  for (int i = 0; i < 2000; ++i) {
    Addr a = Addr::v4(static_cast<uint32_t>(next()));
    CHECK(a.str() == ntop(a));
    CHECK(Prefix(a, i % 33).str() == ntop(a) + "/" + std::to_string(i % 33));
  }
  for (const char* s : {"::", "::1", "::ffff:0.0.0.0", "::0.0.0.2", "::1.2.3.4", "::ffff:1.2.3.4", "1::", "1:0:0:1::",
                        "0:0:1::", "::1:0:0:0:1", "1:0:1:0:1:0:1:0", "ffff::ffff:1.2.3.4", "0.0.0.0", "255.255.255.255"})
    CHECK(A(s).str() == ntop(A(s)));
  CHECK(Addr().str().empty());
}
