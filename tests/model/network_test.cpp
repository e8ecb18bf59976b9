// Unit tests: reading the 0-OS network object.
#include <catch2/catch.hpp>

#include "common/cni/error.h"
#include "common/sys/file.h"
#include "model/network_support.h"
#include "model/network.h"
#include "support/support.h"

using namespace zos;
using nlohmann::json;

namespace {

// A network object as 0-OS writes it (Go net.IPNet prefixes, int enums, "cird").
json zos_object() {
  return json::parse(R"({
    "network_id": "tenant-net.1",
    "version": 3,
    "allocation_nr": 0,
    "PrefixZero": {"IP": "2a02:1802:5e::", "Mask": "////////AAAAAAAAAAAAAA=="},
    "resources": [
      {"node_id": {"id": "node1", "farmer_id": "f1", "reachability_v4": 1, "reachability_v6": 1},
       "prefix": {"IP": "2a02:1802:5e:10a::", "Mask": "//////////8AAAAAAAAAAA=="},
       "link_local": {"IP": "fe80::10a", "Mask": "//////////8AAAAAAAAAAA=="},
       "exit_point": 1,
       "peers": [{"type": 0, "prefix": "2a02:1802:5e:10b::/64",
                  "connection": {"ip": "185.69.166.2", "port": 51820, "key": "cGVlcmtleQ=="}}]},
      {"node_id": {"id": "node2", "reachability_v4": "hidden", "reachability_v6": "ula"},
       "prefix": "2a02:1802:5e:10b::/64", "exit_point": false}
    ],
    "exit_point": {
      "ipv4_conf": {"cird": {"IP": "185.69.166.0", "Mask": "////AA=="}, "gateway": "185.69.166.1",
                    "metric": 10, "iface": "eth0", "enable_nat": true},
      "ipv4_dnat": [{"internal_ip": "10.1.10.2", "internal_port": 80, "external_ip": "185.69.166.5",
                     "external_port": 8080, "protocol": "tcp"}],
      "ipv6_conf": {"addr": "2a02:1802:5e:ff::2/64", "gateway": "2a02:1802:5e:ff::1", "iface": "eth0"},
      "ipv6_allow": ["2a02:1802:5e:10a::a01:a02"]
    }
  })");
}


}  // namespace

TEST_CASE("network object: 0-OS JSON with Go prefixes", "[ipam][network]") {
  auto n = model::Network::parse(zos_object());
  CHECK(n.network_id == "tenant-net.1");
  CHECK(n.version == 3);
  REQUIRE(n.prefix_zero);
  CHECK(n.prefix_zero->str() == "2a02:1802:5e::/48");
  REQUIRE(n.resources.size() == 2);
  const auto* r1 = n.resource_of("node1");
  REQUIRE(r1);
  CHECK(r1->prefix.str() == "2a02:1802:5e:10a::/64");
  CHECK(r1->node_id.farmer_id == "f1");
  CHECK(r1->node_id.public_v4);
  CHECK(r1->node_id.public_v6);
  CHECK(r1->exit_point);
  REQUIRE(r1->link_local);
  CHECK(r1->link_local->str() == "fe80::10a/64");
  REQUIRE(r1->peers.size() == 1);
  CHECK(r1->peers[0].prefix.str() == "2a02:1802:5e:10b::/64");
  CHECK(r1->peers[0].connection.port == 51820);
  REQUIRE(r1->peers[0].connection.ip);
  CHECK(r1->peers[0].connection.ip->str() == "185.69.166.2");
  const auto* r2 = n.resource_of("node2");
  REQUIRE(r2);
  CHECK_FALSE(r2->node_id.public_v4);
  CHECK_FALSE(r2->node_id.public_v6);
  CHECK_FALSE(r2->exit_point);
  CHECK(n.exit_resource() == r1);
  CHECK(n.resource_of("node3") == nullptr);
  REQUIRE(n.exit_point);
  REQUIRE(n.exit_point->ipv4_conf);
  REQUIRE(n.exit_point->ipv4_conf->cidr);  // from the "cird" spelling
  CHECK(n.exit_point->ipv4_conf->cidr->str() == "185.69.166.0/24");
  CHECK(n.exit_point->ipv4_conf->enable_nat);
  CHECK(n.exit_point->ipv4_conf->metric == 10);
  REQUIRE(n.exit_point->ipv4_dnat.size() == 1);
  CHECK(n.exit_point->ipv4_dnat[0].external_port == 8080);
  REQUIRE(n.exit_point->ipv6_conf);
  CHECK(n.exit_point->ipv6_conf->addr->str() == "2a02:1802:5e:ff::2/64");
  CHECK(n.exit_point->ipv6_allow.size() == 1);
}

TEST_CASE("network object: \"cidr\" spelled right, node_id as a string, reachability ints", "[ipam][network]") {
  json j = zos_object();
  j["exit_point"]["ipv4_conf"].erase("cird");
  j["exit_point"]["ipv4_conf"]["cidr"] = "185.69.167.0/25";
  j["resources"][1]["node_id"] = "node2";
  j["resources"][0]["node_id"]["reachability_v4"] = 0;  // hidden
  j["resources"][0]["node_id"]["reachability_v6"] = 0;  // ula (0-OS: ULA 0, public 1)
  auto n = model::Network::parse(j);
  CHECK(n.exit_point->ipv4_conf->cidr->str() == "185.69.167.0/25");
  CHECK(n.resource_of("node2") != nullptr);
  CHECK_FALSE(n.resource_of("node1")->node_id.public_v4);
  CHECK_FALSE(n.resource_of("node1")->node_id.public_v6);
}

TEST_CASE("network object: Go writes IPv4 as a mapped 16-byte address", "[ipam][network]") {
  json j = zos_object();
  j["exit_point"]["ipv4_conf"]["cird"] = {{"IP", "::ffff:185.69.166.0"}, {"Mask", "////AA=="}};
  auto n = model::Network::parse(j);
  CHECK(n.exit_point->ipv4_conf->cidr->str() == "185.69.166.0/24");
}

TEST_CASE("network object: bad fields are error 7 naming the field", "[ipam][network]") {
  struct Case {
    const char* what;
    std::function<void(json&)> spoil;
    const char* field;
  };
  std::vector<Case> cases = {
      {"not an object", [](json& j) { j = json::array(); }, "object"},
      {"no network_id", [](json& j) { j.erase("network_id"); }, "network_id"},
      {"bad network_id", [](json& j) { j["network_id"] = "-x y"; }, "network_id"},
      {"version a string", [](json& j) { j["version"] = "3"; }, "version"},
      {"version negative", [](json& j) { j["version"] = -1; }, "version"},
      {"allocation_nr too big", [](json& j) { j["allocation_nr"] = 100; }, "allocation_nr"},
      {"resources not a list", [](json& j) { j["resources"] = json::object(); }, "resources"},
      {"resource without node_id", [](json& j) { j["resources"][0].erase("node_id"); }, "resources[0].node_id"},
      {"resource without prefix", [](json& j) { j["resources"][1].erase("prefix"); }, "resources[1].prefix"},
      {"prefix without length", [](json& j) { j["resources"][1]["prefix"] = "2a02:1802:5e:10b::"; },
       "resources[1].prefix"},
      {"IPv4 NR prefix", [](json& j) { j["resources"][1]["prefix"] = "10.0.0.0/24"; }, "resources[1].prefix"},
      {"Mask not base64", [](json& j) { j["resources"][0]["prefix"]["Mask"] = "!!!!"; }, "resources[0].prefix.Mask"},
      {"Mask not contiguous", [](json& j) { j["resources"][0]["prefix"]["Mask"] = "/wD/AA=="; },
       "resources[0].prefix.Mask"},
      {"Mask wrong size", [](json& j) { j["resources"][0]["prefix"]["Mask"] = "//8="; }, "resources[0].prefix.Mask"},
      {"prefix IP garbage", [](json& j) { j["resources"][0]["prefix"]["IP"] = "nope"; }, "resources[0].prefix.IP"},
      {"prefix a number", [](json& j) { j["resources"][0]["prefix"] = 64; }, "resources[0].prefix"},
      {"reachability word", [](json& j) { j["resources"][0]["node_id"]["reachability_v4"] = "sometimes"; },
       "reachability_v4"},
      {"reachability bool", [](json& j) { j["resources"][0]["node_id"]["reachability_v6"] = true; },
       "reachability_v6"},
      {"exit_point a string", [](json& j) { j["resources"][0]["exit_point"] = "yes"; }, "resources[0].exit_point"},
      {"peer port too big", [](json& j) { j["resources"][0]["peers"][0]["connection"]["port"] = 70000; },
       "resources[0].peers[0].connection.port"},
      {"peer ip garbage", [](json& j) { j["resources"][0]["peers"][0]["connection"]["ip"] = "1.2.3"; },
       "resources[0].peers[0].connection.ip"},
      {"peer without prefix", [](json& j) { j["resources"][0]["peers"][0].erase("prefix"); },
       "resources[0].peers[0].prefix"},
      {"duplicate node", [](json& j) { j["resources"][1]["node_id"] = "node1"; }, "node1"},
      {"gateway garbage", [](json& j) { j["exit_point"]["ipv4_conf"]["gateway"] = "x"; },
       "exit_point.ipv4_conf.gateway"},
      {"dnat protocol", [](json& j) { j["exit_point"]["ipv4_dnat"][0]["protocol"] = "sctp"; },
       "exit_point.ipv4_dnat[0].protocol"},
      {"dnat no internal_ip", [](json& j) { j["exit_point"]["ipv4_dnat"][0].erase("internal_ip"); },
       "exit_point.ipv4_dnat[0].internal_ip"},
      {"ipv6_allow garbage", [](json& j) { j["exit_point"]["ipv6_allow"][0] = 5; }, "exit_point.ipv6_allow[0]"},
      {"enable_nat a string", [](json& j) { j["exit_point"]["ipv4_conf"]["enable_nat"] = "true"; },
       "enable_nat"},
  };
  for (auto& c : cases) {
    SECTION(c.what) {
      json j = zos_object();
      c.spoil(j);
      auto e = test::parse_error(j);
      CHECK(e.code() == cni::kInvalidConfig);
      CHECK_THAT(e.msg(), Catch::Contains(c.field));
    }
  }
}

TEST_CASE("network object: load from a file, a folder + ZOS_NETWORK, errors name the path", "[ipam][network]") {
  zos::test::TempDir d;
  sys::write_file_atomic(d / "tenant-net.1.json", zos_object().dump());
  model::NetworkSource s;
  s.dir = d.path();
  s.selected_id = "tenant-net.1";
  CHECK(model::load_network(s).network_id == "tenant-net.1");

  model::NetworkSource f;
  f.file = d / "tenant-net.1.json";
  CHECK(model::load_network(f).resources.size() == 2);

  model::NetworkSource missing;
  missing.file = d / "nope.json";
  try {
    model::load_network(missing);
    FAIL("loaded a missing file");
  } catch (const cni::Error& e) {
    CHECK(e.code() == cni::kInvalidConfig);
    CHECK_THAT(e.msg(), Catch::Contains("nope.json"));
  }

  sys::write_file_atomic(d / "broken.json", "{not json");
  model::NetworkSource broken;
  broken.file = d / "broken.json";
  try {
    model::load_network(broken);
    FAIL("loaded broken JSON");
  } catch (const cni::Error& e) {
    CHECK(e.code() == cni::kInvalidConfig);
    CHECK_THAT(e.msg(), Catch::Contains("broken.json"));
  }

  model::NetworkSource wrong;
  wrong.dir = d.path();
  wrong.selected_id = "other";
  sys::write_file_atomic(d / "other.json", zos_object().dump());  // holds tenant-net.1
  CHECK_THROWS_AS(model::load_network(wrong), cni::Error);

  model::NetworkSource unnamed;
  unnamed.dir = d.path();
  CHECK_THROWS_AS(model::load_network(unnamed), cni::Error);
}
