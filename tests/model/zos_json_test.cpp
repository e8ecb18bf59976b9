// Unit tests: network objects in the JSON that 0-OS's own code writes
// (tests/model/golden, modules/network_encoding.go), read as Go reads them.
#include <catch2/catch.hpp>

#include "common/cni/error.h"
#include "common/sys/file.h"
#include "model/network_support.h"
#include "model/network.h"

using namespace zos;
using nlohmann::json;

namespace {

json golden(const std::string& name) {
  auto text = sys::read_file(std::string(ZOS_SOURCE_DIR) + "/tests/model/golden/" + name + ".json");
  REQUIRE(text);
  return json::parse(*text);
}


}  // namespace

TEST_CASE("0-OS JSON: the builder's three-node network with an exit", "[ipam][network][golden]") {
  auto n = model::Network::parse(golden("three-node-exit"));
  REQUIRE(n.resources.size() == 3);
  REQUIRE(n.prefix_zero);
  CHECK(n.prefix_zero->str() == "2a02:1802:5e::/64");
  const auto& exit = n.resources[0];
  CHECK(exit.exit_point);
  CHECK(exit.exit_nr == 1);
  CHECK(n.exit_resource() == &n.resources[0]);
  CHECK(exit.node_id.public_v4);
  CHECK(exit.node_id.public_v6);
  for (const auto& r : n.resources) {
    REQUIRE(r.peers.size() == 3);
    for (const auto& p : r.peers) {
      CHECK(p.type == 0);  // "wireguard"
      // "Connection", capitalised: port, key and private_key are all read.
      CHECK(p.connection.port == ((p.prefix.addr()[6] << 8) | p.prefix.addr()[7]));  // WireguardPort
      CHECK(p.connection.key.size() == 44);
      CHECK(p.connection.private_key.size() == 2 * (48 + 44));
    }
  }
  // The hidden node: "<nil>" (Go's nil IP, written \u003cnil\u003e) is no endpoint.
  const auto& hidden = n.resources[1];
  CHECK_FALSE(hidden.node_id.public_v4);
  CHECK_FALSE(hidden.node_id.public_v6);
  CHECK_FALSE(hidden.peers[1].connection.ip);
  CHECK(hidden.node_id.farmer_id == "golden-farm");
  // The IPv6-only node: hidden on IPv4, public on IPv6, an IPv6 endpoint.
  const auto& v6only = n.resources[2];
  CHECK_FALSE(v6only.node_id.public_v4);
  CHECK(v6only.node_id.public_v6);
  REQUIRE(v6only.peers[2].connection.ip);
  CHECK(v6only.peers[2].connection.ip->str() == "fd00:251::3");
  REQUIRE(n.resources[0].link_local);
  CHECK(n.resources[0].link_local->str() == "fe80::bc0/64");
  // The exit block held only link-local addresses: the public IPv6 is 0-OS's
  // GWPubIP6 of prefix_zero and exit node 1, the link-local its GWPubLL.
  REQUIRE(n.exit_point);
  CHECK_FALSE(n.exit_point->ipv4_conf);
  CHECK(n.exit_point->ipv4_dnat.empty());
  REQUIRE(n.exit_point->ipv6_conf);
  const auto& v6 = *n.exit_point->ipv6_conf;
  REQUIRE(v6.addr);
  CHECK(v6.addr->str() == "2a02:1802:5e:0:1000::1/64");
  REQUIRE(v6.link_local);
  CHECK(v6.link_local->str() == "fe80::1000:0:0:1/64");
  REQUIRE(v6.gateway);
  CHECK(v6.gateway->str() == "fe80::1");
  CHECK(v6.iface == "public");
}

TEST_CASE("0-OS JSON: allocation_nr 1, an IPv4 exit with NAT and DNAT", "[ipam][network][golden]") {
  auto n = model::Network::parse(golden("ipv4-exit-alloc1"));
  CHECK(n.allocation_nr == 1);
  REQUIRE(n.exit_point);
  REQUIRE(n.exit_point->ipv4_conf);
  REQUIRE(n.exit_point->ipv4_conf->cidr);
  CHECK(n.exit_point->ipv4_conf->cidr->str() == "203.0.113.11/24");
  CHECK(n.exit_point->ipv4_conf->enable_nat);
  CHECK(n.exit_point->ipv4_conf->iface == "public");
  CHECK_FALSE(n.exit_point->ipv6_conf);
  REQUIRE(n.exit_point->ipv4_dnat.size() == 1);
  const auto& d = n.exit_point->ipv4_dnat[0];
  CHECK(d.internal_ip.str() == "10.11.197.2");
  CHECK(d.internal_port == 8080);
  CHECK(d.external_port == 80);
  // 0-OS's encoder copies internal_ip into external_ip: read as any address.
  CHECK(d.external_ip.empty());
  CHECK(n.resources[1].peers[0].connection.ip->str() == "192.168.251.1");
}

TEST_CASE("0-OS JSON: keys are matched as Go's decoder does", "[ipam][network]") {
  json j = golden("three-node-exit");
  json& peer = j["resources"][0]["peers"][0];
  json conn = peer["Connection"];
  SECTION("lower case, upper case, any case") {
    for (const char* k : {"connection", "CONNECTION", "cOnNeCtIoN"}) {
      peer.erase("Connection");
      peer.erase("connection");
      peer.erase("CONNECTION");
      peer.erase("cOnNeCtIoN");
      peer[k] = conn;
      CHECK(model::Network::parse(j).resources[0].peers[0].connection.port == 3008);
    }
  }
  SECTION("tagged fields too, with Go's Unicode folds of k and s") {
    json k = j;
    k.erase("network_id");
    k["networ\u212a_id"] = "folded";  // KELVIN SIGN
    k.erase("version");
    k["VER\u017fION"] = 7;  // LATIN SMALL LETTER LONG S
    auto n = model::Network::parse(k);
    CHECK(n.network_id == "folded");
    CHECK(n.version == 7);
  }
  SECTION("the exact spelling wins over a folded one") {
    json c2 = conn;
    c2["port"] = 4444;
    peer["connection"] = c2;
    CHECK(model::Network::parse(j).resources[0].peers[0].connection.port == 4444);
  }
  SECTION("two folded spellings and no exact one is an error naming both") {
    peer["CONNECTION"] = conn;
    auto e = test::parse_error(j);
    CHECK(e.code() == cni::kInvalidConfig);
    CHECK_THAT(e.msg(), Catch::Contains("\"CONNECTION\"") && Catch::Contains("\"Connection\""));
  }
  SECTION("a key that only looks alike is not a match") {
    peer["Connection_"] = conn;
    peer.erase("Connection");
    CHECK(model::Network::parse(j).resources[0].peers[0].connection.port == 0);
  }
}

TEST_CASE("0-OS JSON: IPs, peer types and reachability as 0-OS reads them", "[ipam][network]") {
  json j = golden("three-node-exit");
  json& conn = j["resources"][0]["peers"][0]["Connection"];
  SECTION("<nil>, empty and addr/len are no IP (net.ParseIP); garbage is an error") {
    for (const char* ip : {"<nil>", "", "2a02:2788:864:1314:9eb6::1/64"}) {
      conn["ip"] = ip;
      CHECK_FALSE(model::Network::parse(j).resources[0].peers[0].connection.ip);
    }
    conn["ip"] = "fd00::1::2";
    CHECK_THAT(test::parse_error(j).msg(), Catch::Contains("resources[0].peers[0].connection.ip"));
    j["exit_point"]["ipv6_conf"]["gateway"] = "<nil>";
    conn["ip"] = "fd00::1";
    CHECK_FALSE(model::Network::parse(j).exit_point->ipv6_conf->gateway);
  }
  SECTION("type: \"wireguard\" or 0; another word is an error") {
    j["resources"][0]["peers"][0]["type"] = 0;
    CHECK(model::Network::parse(j).resources[0].peers[0].type == 0);
    j["resources"][0]["peers"][0]["type"] = "vxlan";
    auto e = test::parse_error(j);
    CHECK(e.code() == cni::kInvalidConfig);
    CHECK_THAT(e.msg(), Catch::Contains("resources[0].peers[0].type") && Catch::Contains("vxlan"));
  }
  SECTION("reachability: strings and ints for both families; absent or empty is hidden") {
    json& node = j["resources"][0]["node_id"];
    node.erase("reachability_v4");
    node["reachability_v6"] = "";
    auto n = model::Network::parse(j);
    CHECK_FALSE(n.resources[0].node_id.public_v4);
    CHECK_FALSE(n.resources[0].node_id.public_v6);
    node["reachability_v4"] = 1;
    node["reachability_v6"] = "ula";
    n = model::Network::parse(j);
    CHECK(n.resources[0].node_id.public_v4);
    CHECK_FALSE(n.resources[0].node_id.public_v6);
    node["reachability_v6"] = 2;
    CHECK_THAT(test::parse_error(j).msg(), Catch::Contains("reachability_v6"));
  }
}

TEST_CASE("0-OS JSON: an exit with only link-local addresses needs prefix_zero and the exit number",
          "[ipam][network]") {
  json j = golden("three-node-exit");
  SECTION("no prefix_zero") {
    j.erase("prefix_zero");
    auto e = test::parse_error(j);
    CHECK(e.code() == cni::kInvalidConfig);
    CHECK_THAT(e.msg(), Catch::Contains("prefix_zero is missing") && Catch::Contains("link-local"));
  }
  SECTION("exit_point a bool: no exit node number") {
    j["resources"][0]["exit_point"] = true;
    CHECK_THAT(test::parse_error(j).msg(), Catch::Contains("resources[0].exit_point is not a number"));
  }
  SECTION("an exit number 0-OS cannot hold in 4 bits") {
    j["resources"][0]["exit_point"] = 16;
    CHECK_THAT(test::parse_error(j).msg(), Catch::Contains("resources[0].exit_point is 16"));
  }
  SECTION("exit number 3: its own address") {
    j["resources"][0]["exit_point"] = 3;
    CHECK(model::Network::parse(j).exit_point->ipv6_conf->addr->str() == "2a02:1802:5e:0:3000::1/64");
  }
  SECTION("a global address is used as written") {
    j["exit_point"]["ipv6_conf"]["addr"] = "2001:db8:ff::10/64";
    j.erase("prefix_zero");
    auto n = model::Network::parse(j);
    CHECK(n.exit_point->ipv6_conf->addr->str() == "2001:db8:ff::10/64");
    CHECK_FALSE(n.exit_point->ipv6_conf->link_local);
  }
}
