// Integration tests: the real zos-ipam binary, called as a runtime calls it.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <set>

#include "common/sys/file.h"
#include "ipam/ipam_support.h"

using namespace zos;
using namespace zos::test;
using namespace zos::test::ipam;

namespace {

const std::vector<std::string> kAllVersions = {"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};

// Leases `n` addresses by hand (.2 upwards), as earlier ADDs would have.
void fill(const Pool& p, int n) {
  sys::make_dirs(p.pool_dir(), 0700);
  for (int h = 2; h < 2 + n; ++h)
    sys::write_file_atomic(p.pool_dir() + "/10.1.10." + std::to_string(h),
                           json{{"containerID", "filler" + std::to_string(h)}, {"ifname", "eth0"}}.dump(), 0600);
}

json network_object() {
  return {{"network_id", "tenant1"},
          {"version", 1},
          {"resources",
           {{{"node_id", {{"id", "nodeA"}}}, {"prefix", "2a02:1802:5e:20b::/64"}},
            {{"node_id", {{"id", "nodeB"}}}, {"prefix", {{"IP", "2a02:1802:5e:30c::"}, {"Mask", "//////////8AAAAAAAAAAA=="}}}}}}};
}

}  // namespace

TEST_CASE("ipam: no CNI_COMMAND prints the about line", "[ipam][integration]") {
  auto r = run({bin("zos-ipam")}, {}, "");
  ZOS_SHOW(r);
  CHECK(r.status == 0);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains("zos-ipam"));
}

TEST_CASE("ipam: VERSION lists every version, whatever the config says", "[ipam][integration]") {
  for (const auto& v : kAllVersions) {
    auto r = call(env("VERSION"), json{{"cniVersion", v}});
    ZOS_SHOW(r);
    REQUIRE(r.status == 0);
    auto j = out_json(r);
    CHECK(j["supportedVersions"] == json(kAllVersions));
  }
}

TEST_CASE("ipam: ADD, CHECK, DEL in every cniVersion", "[ipam][integration]") {
  for (const auto& v : kAllVersions) {
    DYNAMIC_SECTION("cniVersion " << v) {
      Pool p;
      auto r = add(p, "c1", p.conf(v));
      ZOS_SHOW(r);
      REQUIRE(r.status == 0);
      auto j = out_json(r);
      CHECK(j["cniVersion"] == v);
      if (v == "0.1.0" || v == "0.2.0") {
        CHECK(j["ip4"]["ip"] == "10.1.10.2/24");
        CHECK(j["ip4"]["gateway"] == "10.1.10.1");
        CHECK(j["ip6"]["ip"] == "2a02:1802:5e:10a::a01:a02/64");
        CHECK_FALSE(j.contains("ips"));
      } else {
        REQUIRE(j["ips"].size() == 2);
        CHECK(j["ips"][0]["address"] == "10.1.10.2/24");
        CHECK(j["ips"][0]["gateway"] == "10.1.10.1");
        CHECK(j["ips"][1]["address"] == "2a02:1802:5e:10a::a01:a02/64");
        CHECK(j["ips"][1]["gateway"] == "2a02:1802:5e:10a::1");
        // IPAM results carry no interfaces and no ips[].interface.
        CHECK_FALSE(j.contains("interfaces"));
        CHECK_FALSE(j["ips"][0].contains("interface"));
        CHECK(j["ips"][0].contains("version") == (v < std::string("1.0.0")));
        CHECK(j["routes"].size() == 2);
      }
      CHECK_FALSE(j.contains("dns"));
      CHECK(p.lease_files() == std::vector<std::string>{"10.1.10.2"});

      json c = p.conf(v);
      c["prevResult"] = j;
      auto chk = call(env("CHECK"), c);
      ZOS_SHOW(chk);
      if (v < std::string("0.4.0")) {
        CHECK(code_of(chk) == 1);
      } else {
        CHECK(chk.status == 0);
        CHECK(chk.out.empty());
      }

      auto d = call(env("DEL"), c);
      ZOS_SHOW(d);
      CHECK(d.status == 0);
      CHECK(d.out.empty());
      CHECK(p.lease_files().empty());
    }
  }
}

TEST_CASE("ipam: GC and STATUS need 1.1.0", "[ipam][integration]") {
  Pool p;
  for (const auto& v : kAllVersions) {
    INFO(v);
    auto g = call(env("GC"), p.conf(v));
    auto s = call(env("STATUS"), p.conf(v));
    if (v == "1.1.0") {
      CHECK(g.status == 0);
      CHECK(s.status == 0);
      CHECK(g.out.empty());
      CHECK(s.out.empty());
    } else {
      CHECK(code_of(g) == 1);
      CHECK(code_of(s) == 1);
    }
  }
  CHECK(code_of(add(p, "c1", p.conf("9.9.9"))) == 1);
}

TEST_CASE("ipam: a repeated ADD returns the same addresses", "[ipam][integration]") {
  Pool p;
  auto a = add(p, "c1");
  auto b = add(p, "c2");
  auto a2 = add(p, "c1");
  REQUIRE(a.status == 0);
  REQUIRE(a2.status == 0);
  CHECK(out_json(a) == out_json(a2));
  CHECK(v4_of(b) == "10.1.10.3");
  CHECK(p.lease_files().size() == 2);
}

TEST_CASE("ipam: DEL is idempotent", "[ipam][integration]") {
  Pool p;
  REQUIRE(add(p, "c1").status == 0);
  REQUIRE(add(p, "c2").status == 0);
  SECTION("twice") {
    CHECK(del(p, "c1").status == 0);
    CHECK(del(p, "c1").status == 0);
    CHECK(p.lease_files() == std::vector<std::string>{"10.1.10.3"});
  }
  SECTION("with CNI_NETNS empty (containerd after the task exits)") {
    auto r = call(env("DEL", "c1", "eth0", "", ""), p.conf());
    ZOS_SHOW(r);
    CHECK(r.status == 0);
    CHECK(p.lease_files() == std::vector<std::string>{"10.1.10.3"});
  }
  SECTION("without a prefix (the network object is gone)") {
    auto r = del(p, "c2", p.conf("1.1.0", {{"prefix", nullptr}}));
    ZOS_SHOW(r);
    CHECK(r.status == 0);
    CHECK(p.lease_files() == std::vector<std::string>{"10.1.10.2"});
  }
  SECTION("with no store at all") {
    Pool empty;
    auto r = del(empty, "c1");
    ZOS_SHOW(r);
    CHECK(r.status == 0);
    auto r2 = call(env("DEL", "c1", "eth0", "", ""), empty.conf("0.3.1"));
    CHECK(r2.status == 0);
  }
  SECTION("of another interface leaves eth0 alone") {
    auto r = call(env("DEL", "c1", "eth1"), p.conf());
    CHECK(r.status == 0);
    CHECK(p.lease_files().size() == 2);
  }
}

TEST_CASE("ipam: the prefix from the network object", "[ipam][integration]") {
  Pool p;
  auto conf = [&](json top) {
    json c = p.conf("1.1.0", {{"prefix", nullptr}});
    for (auto& [k, v] : top.items()) c[k] = v;
    return c;
  };
  SECTION("inline + nodeId") {
    auto r = add(p, "c1", conf({{"network", network_object()}, {"nodeId", "nodeA"}}));
    ZOS_SHOW(r);
    REQUIRE(r.status == 0);
    CHECK(v4_of(r) == "10.2.11.2");
    CHECK(v6_of(r) == std::vector<std::string>{"2a02:1802:5e:20b::a02:b02"});
    auto r2 = add(p, "c1", conf({{"network", network_object()}, {"nodeId", "nodeB"}}));
    ZOS_SHOW(r2);
    CHECK(v4_of(r2) == "10.3.12.2");  // Go {"IP","Mask"} prefix
  }
  SECTION("networkFile") {
    sys::write_file_atomic(p.tmp / "net.json", network_object().dump());
    auto r = add(p, "c1", conf({{"networkFile", p.tmp / "net.json"}, {"nodeId", "nodeA"}}));
    ZOS_SHOW(r);
    CHECK(v4_of(r) == "10.2.11.2");
  }
  SECTION("networksDir + CNI_ARGS ZOS_NETWORK") {
    sys::make_dirs(p.tmp / "nets");
    sys::write_file_atomic(p.tmp / "nets/tenant1.json", network_object().dump());
    auto c = conf({{"networksDir", p.tmp / "nets"}, {"nodeId", "nodeB"}});
    auto r = add(p, "c1", c, "IgnoreUnknown=1;ZOS_NETWORK=tenant1");
    ZOS_SHOW(r);
    CHECK(v4_of(r) == "10.3.12.2");
    auto none = add(p, "c2", c);
    CHECK(code_of(none) == 7);
    CHECK_THAT(msg_of(none), Catch::Contains("ZOS_NETWORK"));
    auto missing = add(p, "c2", c, "ZOS_NETWORK=tenant2");
    CHECK(code_of(missing) == 7);
    CHECK_THAT(msg_of(missing), Catch::Contains("tenant2.json"));
  }
  SECTION("ipam.prefix wins over the network object") {
    auto c = conf({{"network", network_object()}, {"nodeId", "nodeA"}});
    c["ipam"]["prefix"] = kPrefix;
    CHECK(v4_of(add(p, "c1", c)) == "10.1.10.2");
  }
  SECTION("errors: no nodeId, unknown node, no object") {
    auto r = add(p, "c1", conf({{"network", network_object()}}));
    CHECK(code_of(r) == 7);
    CHECK_THAT(msg_of(r), Catch::Contains("nodeId"));
    auto r2 = add(p, "c1", conf({{"network", network_object()}, {"nodeId", "nodeZ"}}));
    CHECK(code_of(r2) == 7);
    CHECK_THAT(msg_of(r2), Catch::Contains("nodeZ"));
    auto r3 = add(p, "c1", conf(json::object()));
    CHECK(code_of(r3) == 7);
    CHECK_THAT(msg_of(r3), Catch::Contains("prefix"));
    auto bad = network_object();
    bad["resources"][0]["prefix"] = "2a02:1802:5e:20b::/56";
    auto r4 = add(p, "c1", conf({{"network", bad}, {"nodeId", "nodeA"}}));
    CHECK(code_of(r4) == 7);
    CHECK_THAT(msg_of(r4), Catch::Contains("/64"));
    CHECK(p.lease_files().empty());
  }
}

TEST_CASE("ipam: requested addresses", "[ipam][integration]") {
  Pool p;
  auto with = [&](json rc, json args) {
    json c = p.conf();
    if (!rc.is_null()) c["runtimeConfig"] = rc;
    if (!args.is_null()) c["args"] = {{"cni", args}};
    return c;
  };
  SECTION("runtimeConfig.ips") {
    auto r = add(p, "c1", with({{"ips", {"10.1.10.50/24"}}}, nullptr));
    ZOS_SHOW(r);
    CHECK(v4_of(r) == "10.1.10.50");
    CHECK(v6_of(r) == std::vector<std::string>{"2a02:1802:5e:10a::a01:a32"});
  }
  SECTION("args.cni.ips, IPv4 and IPv6") {
    auto r = add(p, "c1", with(nullptr, {{"ips", {"10.1.10.51", "2a02:1802:5e:10a::51"}}}));
    ZOS_SHOW(r);
    CHECK(v4_of(r) == "10.1.10.51");
    CHECK(v6_of(r) == std::vector<std::string>{"2a02:1802:5e:10a::51"});
  }
  SECTION("CNI_ARGS IP= (podman)") {
    auto r = add(p, "c1", p.conf(), "IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.1.10.52");
    ZOS_SHOW(r);
    CHECK(v4_of(r) == "10.1.10.52");
  }
  SECTION("runtimeConfig.ips wins over args.cni.ips and CNI_ARGS IP") {
    auto r = add(p, "c1", with({{"ips", {"10.1.10.53/24"}}}, {{"ips", {"10.1.10.54"}}}), "IgnoreUnknown=1;IP=10.1.10.55");
    ZOS_SHOW(r);
    CHECK(v4_of(r) == "10.1.10.53");
    auto r2 = add(p, "c2", with(nullptr, {{"ips", {"10.1.10.54"}}}), "IgnoreUnknown=1;IP=10.1.10.55");
    CHECK(v4_of(r2) == "10.1.10.54");
  }
  SECTION("podman network reload: the static IPv4 twice and both IPv6s of the old result") {
    auto r = add(p, "c1",
                 with({{"ips", {"10.1.10.56", "10.1.10.56", "2a02:1802:5e:10a:42:acff:fe11:2", "2a02:1802:5e:10a::a01:a38"}}},
                      nullptr),
                 "IgnoreUnknown=1;K8S_POD_NAME=x;MAC=02:42:ac:11:00:02");
    ZOS_SHOW(r);
    CHECK(v4_of(r) == "10.1.10.56");
    CHECK(v6_of(r) == std::vector<std::string>{"2a02:1802:5e:10a:42:acff:fe11:2", "2a02:1802:5e:10a::a01:a38"});
    auto two = add(p, "c2", with({{"ips", {"10.1.10.57", "10.1.10.58"}}}, nullptr));
    CHECK(code_of(two) == 7);
    CHECK_THAT(msg_of(two), Catch::Contains("more than one IPv4") && Catch::Contains("10.1.10.58"));
  }
  SECTION("taken: 101; outside the pool: 102; garbage: 7 or 4") {
    REQUIRE(add(p, "c1", with({{"ips", {"10.1.10.60/24"}}}, nullptr)).status == 0);
    auto taken = add(p, "c2", with({{"ips", {"10.1.10.60/24"}}}, nullptr));
    CHECK(code_of(taken) == 101);
    CHECK_THAT(msg_of(taken), Catch::Contains("requested IPv4 10.1.10.60") && Catch::Contains("already leased"));
    auto out = add(p, "c3", with({{"ips", {"10.9.9.9/24"}}}, nullptr));
    CHECK(code_of(out) == 102);
    CHECK_THAT(msg_of(out), Catch::Contains("10.9.9.9"));
    CHECK(code_of(add(p, "c4", with({{"ips", {"not-an-ip"}}}, nullptr))) == 7);
    CHECK(code_of(add(p, "c4", p.conf(), "IP=banana")) == 4);
    CHECK(p.lease_files() == std::vector<std::string>{"10.1.10.60"});
  }
}

TEST_CASE("ipam: the MAC for EUI-64", "[ipam][integration]") {
  Pool p;
  json c = p.conf("1.1.0", {{"ipv6", "eui64"}});
  const std::string eui = "2a02:1802:5e:10a:42:acff:fe11:2";
  SECTION("runtimeConfig.mac") {
    c["runtimeConfig"] = {{"mac", "02:42:ac:11:00:02"}};
    CHECK(v6_of(add(p, "c1", c)) == std::vector<std::string>{eui});
  }
  SECTION("args.cni.mac") {
    c["args"] = {{"cni", {{"mac", "02:42:ac:11:00:02"}}}};
    CHECK(v6_of(add(p, "c1", c)) == std::vector<std::string>{eui});
  }
  SECTION("CNI_ARGS MAC=") {
    CHECK(v6_of(add(p, "c1", c, "IgnoreUnknown=1;MAC=02:42:ac:11:00:02")) == std::vector<std::string>{eui});
  }
  SECTION("runtimeConfig.mac wins over CNI_ARGS MAC") {
    c["runtimeConfig"] = {{"mac", "02:42:ac:11:00:02"}};
    CHECK(v6_of(add(p, "c1", c, "IgnoreUnknown=1;MAC=02:42:ac:11:00:99")) == std::vector<std::string>{eui});
  }
  SECTION("both: the IPv4-mirroring address first") {
    c["ipam"]["ipv6"] = "both";
    c["runtimeConfig"] = {{"mac", "02:42:ac:11:00:02"}};
    CHECK(v6_of(add(p, "c1", c)) == std::vector<std::string>{"2a02:1802:5e:10a::a01:a02", eui});
  }
  SECTION("none") {
    c["ipam"]["ipv6"] = "none";
    auto r = add(p, "c1", c);
    CHECK(v6_of(r).empty());
    CHECK(out_json(r)["routes"].size() == 1);
  }
  SECTION("no MAC: 7 and nothing leased") {
    auto r = add(p, "c1", c);
    CHECK(code_of(r) == 7);
    CHECK_THAT(msg_of(r), Catch::Contains("MAC"));
    CHECK(p.lease_files().empty());
  }
  SECTION("a bad MAC: 7 in the config, 4 in CNI_ARGS") {
    json bad = c;
    bad["runtimeConfig"] = {{"mac", "02:42:ac"}};
    CHECK(code_of(add(p, "c1", bad)) == 7);
    CHECK(code_of(add(p, "c1", c, "MAC=zz")) == 4);
  }
}

TEST_CASE("ipam: CHECK sees what changed behind its back", "[ipam][integration]") {
  Pool p;
  auto a = add(p, "c1");
  REQUIRE(a.status == 0);
  json c = p.conf();
  c["prevResult"] = out_json(a);
  REQUIRE(call(env("CHECK"), c).status == 0);

  SECTION("a prevResult with another address: 103") {
    json other = c;
    other["prevResult"]["ips"][0]["address"] = "10.1.10.9/24";
    auto r = call(env("CHECK"), other);
    ZOS_SHOW(r);
    CHECK(code_of(r) == 103);
    CHECK_THAT(msg_of(r), Catch::Contains("10.1.10"));
  }
  SECTION("a prevResult missing the IPv6: 103") {
    json less = c;
    less["prevResult"]["ips"].erase(1);
    CHECK(code_of(call(env("CHECK"), less)) == 103);
  }
  SECTION("another attachment's view: 103") {
    CHECK(code_of(call(env("CHECK", "c2"), c)) == 103);
  }
  SECTION("the lease file removed: 103") {
    REQUIRE(::unlink((p.pool_dir() + "/10.1.10.2").c_str()) == 0);
    auto r = call(env("CHECK"), c);
    ZOS_SHOW(r);
    CHECK(code_of(r) == 103);
    CHECK_THAT(msg_of(r), Catch::Contains("c1"));
  }
  SECTION("addresses added by later plugins are tolerated") {
    json more = c;
    more["prevResult"]["ips"].push_back({{"address", "192.168.7.7/24"}});
    CHECK(call(env("CHECK"), more).status == 0);
  }
  SECTION("without prevResult") {
    CHECK(code_of(call(env("CHECK"), p.conf())) == 7);
  }
}

TEST_CASE("ipam: GC keeps only the valid attachments", "[ipam][integration]") {
  for (const char* key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    DYNAMIC_SECTION(key) {
      Pool p;
      for (const char* id : {"keep1", "drop1", "keep2", "drop2"}) REQUIRE(add(p, id).status == 0);
      // Another pool of the same network config (another prefix).
      json other = p.conf("1.1.0", {{"prefix", "2a02:1802:5e:20b::/64"}});
      REQUIRE(add(p, "drop3", other).status == 0);
      json c = p.conf("1.1.0", {{"prefix", nullptr}});
      c[key] = {{{"containerID", "keep1"}, {"ifname", "eth0"}},
                {{"containerID", "keep2"}, {"ifname", "eth0"}},
                {{"containerID", "drop2"}, {"ifname", "eth9"}}};
      auto r = call(env("GC"), c);
      ZOS_SHOW(r);
      CHECK(r.status == 0);
      CHECK(r.out.empty());
      std::set<std::string> left;
      for (const auto& f : p.lease_files()) left.insert(f);
      CHECK(left == std::set<std::string>{"10.1.10.2", "10.1.10.4"});
      CHECK(Pool::lease_files_in(p.data_dir + "/ipam/" + p.name + "/10.2.11.0_24").empty());
      CHECK(add(p, "keep1").status == 0);
      CHECK(v4_of(add(p, "keep1")) == "10.1.10.2");
    }
  }
  SECTION("an empty list drops everything; a bad list is 7") {
    Pool p;
    REQUIRE(add(p, "c1").status == 0);
    json bad = p.conf();
    bad["cni.dev/valid-attachments"] = "all";
    CHECK(code_of(call(env("GC"), bad)) == 7);
    CHECK(p.lease_files().size() == 1);
    json c = p.conf();
    c["cni.dev/valid-attachments"] = json::array();
    CHECK(call(env("GC"), c).status == 0);
    CHECK(p.lease_files().empty());
  }
}

// Runtimes retry a failed DEL forever: a corrupt lease of the attachment
// itself is dropped (with the IPv4/IPv6 names linked to it), not an error.
TEST_CASE("ipam: DEL of an attachment whose own lease file is corrupt succeeds", "[ipam][integration]") {
  Pool p;
  REQUIRE(add(p, "c1").status == 0);
  p.spoil("10.1.10.2");
  auto r = del(p, "c1");
  ZOS_SHOW(r);
  CHECK(r.status == 0);
  CHECK(del(p, "c1").status == 0);
}

TEST_CASE("ipam: STATUS", "[ipam][integration]") {
  Pool p;
  SECTION("ready on a fresh and a used pool") {
    CHECK(call(env("STATUS"), p.conf()).status == 0);
    REQUIRE(add(p, "c1").status == 0);
    CHECK(call(env("STATUS"), p.conf()).status == 0);
  }
  SECTION("50 on an exhausted pool, ready again after a DEL") {
    fill(p, 252);
    REQUIRE(add(p, "last").status == 0);
    auto r = call(env("STATUS"), p.conf());
    ZOS_SHOW(r);
    CHECK(code_of(r) == 50);
    CHECK_THAT(msg_of(r), Catch::Contains("exhausted"));
    REQUIRE(del(p, "last").status == 0);
    CHECK(call(env("STATUS"), p.conf()).status == 0);
  }
  SECTION("50 on an unusable store (dataDir under a regular file)") {
    sys::write_file_atomic(p.tmp / "file", "x");
    auto r = call(env("STATUS"), p.conf("1.1.0", {{"dataDir", p.tmp / "file/data"}}));
    ZOS_SHOW(r);
    CHECK(code_of(r) == 50);
    CHECK_THAT(msg_of(r), Catch::Contains("file/data"));
  }
  SECTION("50 without a prefix") {
    auto r = call(env("STATUS"), p.conf("1.1.0", {{"prefix", nullptr}}));
    CHECK(code_of(r) == 50);
    CHECK_THAT(msg_of(r), Catch::Contains("prefix"));
  }
}

TEST_CASE("ipam: errors carry the right code and say what to fix", "[ipam][integration]") {
  Pool p;
  SECTION("exhaustion: 100") {
    fill(p, 253);
    auto r = add(p, "c1");
    ZOS_SHOW(r);
    CHECK(code_of(r) == 100);
    CHECK_THAT(msg_of(r), Catch::Contains("10.1.10.0/24"));
    CHECK(p.lease_files().size() == 253);
  }
  SECTION("a corrupt lease file: 6 naming the file") {
    REQUIRE(add(p, "c1").status == 0);
    REQUIRE(add(p, "c2").status == 0);
    p.spoil("10.1.10.2");  // c1's lease
    auto r = add(p, "c1");
    ZOS_SHOW(r);
    CHECK(code_of(r) == 6);
    CHECK_THAT(msg_of(r), Catch::Contains(p.pool_dir() + "/") && Catch::Contains("corrupt"));
    // DEL of a healthy attachment still works next to it.
    CHECK(del(p, "c2").status == 0);
    CHECK(p.lease_files() == std::vector<std::string>{"10.1.10.2"});
    // Others still get addresses, never the damaged one.
    CHECK(v4_of(add(p, "c3")) == "10.1.10.4");
  }
  SECTION("an unwritable store: 5 naming the path") {
    sys::write_file_atomic(p.tmp / "file", "x");
    auto r = add(p, "c1", p.conf("1.1.0", {{"dataDir", p.tmp / "file/data"}}));
    ZOS_SHOW(r);
    CHECK(code_of(r) == 5);
    CHECK_THAT(msg_of(r), Catch::Contains("file/data"));
  }
  SECTION("bad JSON: 6") {
    auto r = call(env("ADD"), std::string("{\"cniVersion\": \"1.1.0\", "));
    CHECK(code_of(r) == 6);
    CHECK(code_of(call(env("ADD"), std::string("[1, 2]"))) == 6);
  }
  SECTION("no ipam section / no prefix: 7") {
    json c = p.conf();
    c.erase("ipam");
    CHECK(code_of(add(p, "c1", c)) == 7);
    auto r = add(p, "c1", p.conf("1.1.0", {{"prefix", nullptr}}));
    CHECK(code_of(r) == 7);
    CHECK_THAT(msg_of(r), Catch::Contains("ipam.prefix"));
  }
  SECTION("a prefix that is not a /64: 7") {
    for (const char* bad : {"2a02:1802:5e:10a::/56", "2a02:1802:5e:10a::/80", "10.1.10.0/24", "2a02:1802:5e:10a::",
                            "nonsense"}) {
      auto r = add(p, "c1", p.conf("1.1.0", {{"prefix", bad}}));
      INFO(bad << ": " << r.out);
      CHECK(code_of(r) == 7);
    }
    CHECK(p.lease_files().empty());
  }
  SECTION("an unknown ipam key: 2 naming it") {
    auto r = add(p, "c1", p.conf("1.1.0", {{"subnet", "10.0.0.0/8"}}));
    ZOS_SHOW(r);
    CHECK(code_of(r) == 2);
    CHECK_THAT(msg_of(r), Catch::Contains("subnet") && Catch::Contains("10.0.0.0/8"));
  }
  SECTION("bad CNI_ARGS: 4") {
    auto r = add(p, "c1", p.conf(), "IgnoreUnknown=1;garbage");
    ZOS_SHOW(r);
    CHECK(code_of(r) == 4);
    CHECK_THAT(msg_of(r), Catch::Contains("CNI_ARGS"));
  }
  SECTION("bad environment: 4 naming the variable") {
    auto e = env("ADD");
    e.erase("CNI_CONTAINERID");
    auto r = call(e, p.conf());
    CHECK(code_of(r) == 4);
    CHECK_THAT(msg_of(r), Catch::Contains("CNI_CONTAINERID"));
    CHECK(code_of(call(env("ADD", "bad id!"), p.conf())) == 4);
    CHECK(code_of(call(env("ADD", "c1", "this-name-is-too-long"), p.conf())) == 4);
  }
  SECTION("errors go to stdout as JSON in the config's version; logs stay off stdout") {
    auto r = add(p, "c1", p.conf("0.4.0", {{"prefix", "2a02::/56"}}));
    auto j = out_json(r);
    CHECK(j["cniVersion"] == "0.4.0");
    CHECK(j["code"] == 7);
    CHECK(r.out.find('\n') == r.out.size() - 1);
  }
}
