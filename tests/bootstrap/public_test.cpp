// zos-bootstrap public: a node namespace with a NIC `up0` (a veth) to an
// "upstream" namespace that routes 192.0.2.0/24 and 2001:db8:1::/64 and owns
// 198.51.100.1 and 2001:db8:ff::1 beyond them (reachable only through the
// default gateways).
#include <nlohmann/json.hpp>

#include "bootstrap/world.h"

using namespace zos::test;
using namespace zos::test::bs;
using nlohmann::json;

namespace {

struct PublicWorld {
  TempDir tmp;
  Netns node{"bs", "node"}, upstream{"bs", "up"};
  std::string pub = ns_name("pub");  // made by zos-bootstrap, removed here too
  struct Cleanup {
    std::string name;
    ~Cleanup() {
      try {
        zos::sys::delete_named_netns(name);
      } catch (...) {
      }
    }
  } cleanup{pub};

  PublicWorld() {
    must("ip link add up0 netns " + node.name() + " type veth peer name down0 netns " + upstream.name());
    for (const char* c : {"ip link set lo up", "ip link set down0 up", "ip addr add 192.0.2.1/24 dev down0",
                          "ip addr add 2001:db8:1::1/64 dev down0 nodad", "ip addr add 198.51.100.1/32 dev lo",
                          "ip addr add 2001:db8:ff::1/128 dev lo"})
      must(upstream.in() + c);
  }
  std::string config(const std::string& pub_json) {
    write(tmp / "config.json", "{\"public\": " + pub_json + "}");
    return tmp / "config.json";
  }
  Exec run_public(const std::string& cfg, std::vector<std::string> more = {}) {
    std::vector<std::string> a = {"public", "--config", cfg, "--name", pub, "--data-dir", tmp / "data"};
    a.insert(a.end(), more.begin(), more.end());
    return bootstrap(node, a);
  }
  std::string in_pub(const std::string& cmd) { return sh_out("nsenter --net=/run/netns/" + pub + " " + cmd + " 2>&1"); }
  bool ping(const std::string& dst) {
    return sh("nsenter --net=/run/netns/" + pub + " ping -c1 -W2 " + dst + " >/dev/null 2>&1") == 0;
  }
};

const char* kStatic = R"("ipv4": "192.0.2.10/24", "gw4": "192.0.2.1", "ipv6": "2001:db8:1::10/64", "gw6": "2001:db8:1::1")";

}  // namespace

TEST_CASE("public: macvlan on a NIC, static addresses, gateways, idempotent, delete", "[root][public]") {
  ZOS_REQUIRE_ROOT();
  PublicWorld w;
  auto cfg = w.config(std::string(R"({"type": "macvlan", "master": "up0", "mac": "02:00:00:00:aa:01", )") +
                      kStatic + "}");
  auto r = w.run_public(cfg, {"--json"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto j = json::parse(r.out);
  CHECK(j["created"] == true);
  CHECK(j["netns"] == w.pub);
  CHECK(zos::sys::netns_exists(w.pub));
  auto link = w.in_pub("ip -o -d link show public");
  CHECK(link.find("macvlan") != std::string::npos);
  CHECK(link.find("02:00:00:00:aa:01") != std::string::npos);
  CHECK(w.in_pub("ip -o addr show dev public").find("192.0.2.10/24") != std::string::npos);
  CHECK(w.in_pub("ip -o addr show dev public").find("2001:db8:1::10/64") != std::string::npos);
  CHECK(w.in_pub("ip route show default").find("default via 192.0.2.1 dev public") != std::string::npos);
  CHECK(w.in_pub("ip -6 route show default").find("default via 2001:db8:1::1 dev public") != std::string::npos);
  CHECK(w.ping("198.51.100.1"));
  CHECK(w.ping("2001:db8:ff::1"));

  // Again: nothing to change.
  auto r2 = w.run_public(cfg, {"--json"});
  INFO(r2.out << r2.err);
  REQUIRE(r2.status == 0);
  CHECK(json::parse(r2.out)["changed"] == false);
  CHECK(json::parse(r2.out)["created"] == false);

  // A new address in the config replaces the old one.
  auto cfg2 = w.config(R"({"type": "macvlan", "master": "up0", "mac": "02:00:00:00:aa:01", "ipv4": "192.0.2.11/24", "gw4": "192.0.2.1", "ipv6": "2001:db8:1::10/64", "gw6": "2001:db8:1::1"})");
  auto r3 = w.run_public(cfg2, {"--json"});
  REQUIRE(r3.status == 0);
  CHECK(json::parse(r3.out)["changed"] == true);
  auto addrs = w.in_pub("ip -4 -o addr show dev public");
  CHECK(addrs.find("192.0.2.11/24") != std::string::npos);
  CHECK(addrs.find("192.0.2.10/24") == std::string::npos);
  CHECK(w.ping("198.51.100.1"));

  // status sees it as recorded.
  auto s = bootstrap(w.node, {"status", "--json", "--data-dir", w.tmp / "data"});
  INFO(s.out << s.err);
  auto sj = json::parse(s.out);
  REQUIRE(sj["public"].size() == 1);
  CHECK(sj["public"][0]["state"] == "ok");
  CHECK(sj["public"][0]["gateway4"] == "192.0.2.1");

  auto d = w.run_public(cfg2, {"--delete"});
  CHECK(d.status == 0);
  CHECK(d.out.find("deleted") != std::string::npos);
  CHECK(!zos::sys::netns_exists(w.pub));
  CHECK(!exists(w.tmp / ("data/bootstrap/public-" + w.pub + ".json")));
  auto d2 = w.run_public(cfg2, {"--delete"});
  CHECK(d2.status == 0);
  CHECK(d2.out.find("was not there") != std::string::npos);
}

TEST_CASE("public: veth to the zos bridge", "[root][public]") {
  ZOS_REQUIRE_ROOT();
  PublicWorld w;
  must(w.node.in() + "ip link add zos type bridge");
  must(w.node.in() + "ip link set up0 master zos");
  must(w.node.in() + "ip link set up0 up");
  must(w.node.in() + "ip link set zos up");
  auto cfg = w.config(std::string(R"({"type": "veth", )") + kStatic + "}");
  auto r = w.run_public(cfg);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("created") != std::string::npos);
  CHECK(sh_out(w.node.in() + "ip -o link show zos-public").find("master zos") != std::string::npos);
  CHECK(w.in_pub("ip -o -d link show public").find("veth") != std::string::npos);
  CHECK(w.ping("198.51.100.1"));
  CHECK(w.ping("2001:db8:ff::1"));
  auto r2 = w.run_public(cfg, {"--json"});
  REQUIRE(r2.status == 0);
  CHECK(json::parse(r2.out)["changed"] == false);

  REQUIRE(w.run_public(cfg, {"--delete"}).status == 0);
  CHECK(!zos::sys::netns_exists(w.pub));
  CHECK(sh_out(w.node.in() + "ip link show zos-public 2>&1").find("does not exist") != std::string::npos);
}

TEST_CASE("public: bad input leaves nothing behind", "[root][public]") {
  ZOS_REQUIRE_ROOT();
  PublicWorld w;
  std::string cfg, want;
  SECTION("unknown NIC") {
    cfg = w.config(std::string(R"({"type": "macvlan", "master": "eth7", )") + kStatic + "}");
    want = "unknown NIC 'eth7'";
  }
  SECTION("bad address") {
    cfg = w.config(R"({"type": "macvlan", "master": "up0", "ipv4": "300.1.2.3/24"})");
    want = "is not an IPv4 address";
  }
  SECTION("gateway without address") {
    cfg = w.config(R"({"type": "macvlan", "master": "up0", "ipv6": "2001:db8:1::10/64", "gw4": "192.0.2.1"})");
    want = "gw4 given without ipv4";
  }
  SECTION("veth needs a bridge") {
    cfg = w.config(std::string(R"({"type": "veth", "master": "up0", )") + kStatic + "}");
    want = "must be a bridge";
  }
  SECTION("malformed JSON") {
    write(w.tmp / "bad.json", "{\"public\": {\"type\": ");
    cfg = w.tmp / "bad.json";
    want = "is not valid JSON";
  }
  SECTION("no public section") {
    cfg = w.tmp / "empty.json";
    write(cfg, "{}");
    want = "has no \"public\" section";
  }
  auto r = w.run_public(cfg);
  INFO(r.err);
  CHECK(r.status == 2);
  CHECK(r.err.find(want) != std::string::npos);
  CHECK(!exists("/run/netns/" + w.pub));
  CHECK(sh_out(w.node.in() + "ip -o link show").find("macvlan") == std::string::npos);
}

TEST_CASE("public: status compares the recorded addresses as addresses, not as text", "[root][public]") {
  ZOS_REQUIRE_ROOT();
  PublicWorld w;
  // The record keeps the config's text; the kernel prints 2001:db8:1::10/64
  // and 2001:db8:1::1.
  auto cfg = w.config(R"({"type": "macvlan", "master": "up0", "ipv4": "192.0.2.10/24", "gw4": "192.0.2.1",
                          "ipv6": "2001:0db8:1:0:0:0:0:10/64", "gw6": "2001:DB8:1:0::1"})");
  auto r = w.run_public(cfg);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto status = [&] {
    auto s = bootstrap(w.node, {"status", "--json", "--data-dir", w.tmp / "data"});
    INFO(s.out << s.err);
    auto j = json::parse(s.out);
    REQUIRE(j["public"].size() == 1);
    return j["public"][0];
  };
  auto p = status();
  CHECK(p["problems"] == json::array());
  CHECK(p["state"] == "ok");
  CHECK(p["gateway6"] == "2001:db8:1::1");

  // What is not there is still seen, in the record's own words.
  for (const char* c : {"ip -6 route del default", "ip -6 addr flush dev public scope global"})
    must("nsenter --net=/run/netns/" + w.pub + " " + c);
  p = status();
  CHECK(p["state"] == "degraded");
  CHECK(p["problems"].dump().find("ipv6 2001:0db8:1:0:0:0:0:10/64 is missing") != std::string::npos);
  CHECK(p["problems"].dump().find("gw6 is none, recorded 2001:DB8:1:0::1") != std::string::npos);
  REQUIRE(w.run_public(cfg, {"--delete"}).status == 0);
}
