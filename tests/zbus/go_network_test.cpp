// The Network argument in the form a Go 0-OS module sends it (its struct,
// keyed by Go field name, encoded by vmihailenco/msgpack). Payloads are
// built here with nlohmann's msgpack writer (binary values become bin), and
// by the real Go encoder in the [.go-encoder] case, which
// tests/zbus/go_encoder_test.sh runs (ctest zbus_go_encoder).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/zbus/value.h"
#include "plugins/zbus/go_network.h"
#include "plugins/zbus/networker.h"
#include "model/network.h"
#include "support/support.h"

using namespace zos;
using nlohmann::json;

namespace {

json bin(std::vector<uint8_t> b) { return json::binary(std::move(b)); }
json bin_text(const std::string& s) { return json::binary(std::vector<uint8_t>(s.begin(), s.end())); }

std::vector<uint8_t> v6(std::initializer_list<uint8_t> head, std::initializer_list<uint8_t> tail = {}) {
  std::vector<uint8_t> b(head);
  b.resize(16 - tail.size(), 0);
  b.insert(b.end(), tail);
  return b;
}
std::vector<uint8_t> mask(int len, int bytes) {
  std::vector<uint8_t> m(bytes, 0);
  for (int i = 0; i < len; ++i) m[i / 8] |= uint8_t(0x80 >> (i % 8));
  return m;
}
json ipnet(json ip, std::vector<uint8_t> m) { return {{"IP", std::move(ip)}, {"Mask", bin(std::move(m))}}; }

const std::vector<uint8_t> kMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
std::vector<uint8_t> mapped(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  auto v = kMapped;
  v.insert(v.end(), {a, b, c, d});
  return v;
}

// modules.Network as vmihailenco/msgpack v4 writes it (raw IP bytes).
json go_network() {
  json peer = {{"Type", 0},
               {"Prefix", ipnet(bin(v6({0x2a, 0x02, 0x18, 0x02, 0, 0x5e, 0x0c, 0x45})), mask(64, 16))},
               {"Connection", {{"IP", bin(mapped(192, 0, 2, 7))}, {"Port", 51820}, {"Key", "pk45"}, {"PrivateKey", ""}}}};
  json hidden = {{"Type", 0},
                 {"Prefix", ipnet(bin(v6({0x2a, 0x02, 0x18, 0x02, 0, 0x5e, 0x0c, 0x46})), mask(64, 16))},
                 {"Connection", {{"IP", nullptr}, {"Port", 0}, {"Key", "pk46"}, {"PrivateKey", ""}}}};
  json nr = {{"NodeID", {{"ID", "node1"}, {"FarmerID", "farm1"}, {"ReachabilityV4", 0}, {"ReachabilityV6", 1}}},
             {"Prefix", ipnet(bin(v6({0x2a, 0x02, 0x18, 0x02, 0, 0x5e, 0x0c, 0x44})), mask(64, 16))},
             {"LinkLocal", ipnet(bin(v6({0xfe, 0x80}, {0x0c, 0x44, 0, 1})), mask(64, 16))},
             {"Peers", {peer, hidden}},
             {"ExitPoint", 1}};
  json exit = {{"Ipv4Conf", {{"CIDR", ipnet(bin({192, 0, 2, 0}), mask(24, 4))},
                             {"Gateway", bin({192, 0, 2, 1})},
                             {"Metric", 100},
                             {"Iface", "eth0"},
                             {"EnableNAT", true}}},
               {"Ipv4DNAT", {{{"InternalIP", bin({10, 44, 1, 5})}, {"InternalPort", 80},
                              {"ExternalIP", bin({192, 0, 2, 10})}, {"ExternalPort", 8080}, {"Protocol", "udp"}}}},
               {"Ipv6Conf", {{"Addr", ipnet(bin(v6({0x2a, 0x02, 0x18, 0x02, 0, 0x5e, 0x0c, 0x44}, {1})), mask(64, 16))},
                             {"Gateway", bin(v6({0xfe, 0x80}, {1}))},
                             {"Metric", 1},
                             {"Iface", "eth0"}}},
               {"Ipv6Allow", {bin(v6({0x2a, 0x02, 0x18, 0x02, 0, 0x5e, 0x0c, 0x44}, {5}))}}};
  return {{"NetID", "zg-hand"}, {"PrefixZero", ipnet(bin({10, 44, 0, 0}), mask(16, 4))},
          {"Resources", {nr}},  {"Exit", exit},
          {"AllocationNR", 2},  {"Version", 7}};
}

json convert(const json& go) {
  std::vector<uint8_t> b = json::to_msgpack(go);
  auto oh = zbus::unpack_value(std::string(b.begin(), b.end()));
  REQUIRE(nr::is_go_network(oh.get()));
  return nr::go_network_json(oh.get());
}

std::string convert_error(const json& go) {
  try {
    convert(go);
  } catch (const zbus::ArgumentError& e) {
    return e.what();
  }
  return "(no error)";
}

// What the Go program (tests/zbus/go/zosnet.go) and go_network() say, as
// the model reads it.
void check_network(const model::Network& n, const std::string& id, const std::string& nibble,
                   const std::string& v4net) {
  CHECK(n.network_id == id);
  REQUIRE(n.resources.size() >= 1);
  const auto& r = n.resources[0];
  CHECK(r.node_id.id == "node1");
  CHECK(r.node_id.farmer_id == "farm1");
  CHECK(r.prefix.str() == "2a02:1802:5e:" + nibble + "::/64");
  REQUIRE(r.link_local);
  CHECK(r.link_local->str() == "fe80::" + nibble + ":1/64");
  CHECK(r.exit_point);
  REQUIRE(r.peers.size() >= 2);
  CHECK(r.peers[0].type == 0);
  REQUIRE(r.peers[0].connection.ip);
  CHECK(r.peers[0].connection.ip->str() == "192.0.2.7");
  CHECK(r.peers[0].connection.port == 51820);
  CHECK_FALSE(r.peers.back().connection.ip);  // hidden peer: no endpoint
  REQUIRE(n.prefix_zero);
  CHECK(n.prefix_zero->str() == v4net + ".0.0/16");
  REQUIRE(n.exit_point);
  REQUIRE(n.exit_point->ipv4_conf);
  const auto& c4 = *n.exit_point->ipv4_conf;
  REQUIRE(c4.cidr);
  CHECK(c4.cidr->str() == "192.0.2.0/24");
  REQUIRE(c4.gateway);
  CHECK(c4.gateway->str() == "192.0.2.1");
  CHECK(c4.metric == 100);
  CHECK(c4.iface == "eth0");
  CHECK(c4.enable_nat);
  REQUIRE(n.exit_point->ipv4_dnat.size() == 1);
  CHECK(n.exit_point->ipv4_dnat[0].internal_port == 80);
  CHECK(n.exit_point->ipv4_dnat[0].external_ip.str() == "192.0.2.10");
  CHECK(n.exit_point->ipv4_dnat[0].external_port == 8080);
  REQUIRE(n.exit_point->ipv6_conf);
  REQUIRE(n.exit_point->ipv6_conf->addr);
  CHECK(n.exit_point->ipv6_conf->addr->str() == "2a02:1802:5e:" + nibble + "::1/64");
  REQUIRE(n.exit_point->ipv6_conf->gateway);
  CHECK(n.exit_point->ipv6_conf->gateway->str() == "fe80::1");
  REQUIRE(n.exit_point->ipv6_allow.size() == 1);
  CHECK(n.exit_point->ipv6_allow[0].str() == "2a02:1802:5e:" + nibble + "::5");
}

zbus::Request request(const std::string& method, std::string arg) {
  return {"id-1", {std::move(arg)}, {"network", "0.0.1"}, "reply-1", method, zbus::Dialect::kArguments};
}

std::string packed(const json& j) {
  auto b = json::to_msgpack(j);
  return std::string(b.begin(), b.end());
}

}  // namespace

TEST_CASE("a Go module's Network (v4: raw IP bytes) reads as the network object", "[zbus]") {
  json j = convert(go_network());
  auto n = model::Network::parse(j);
  check_network(n, "zg-hand", "c44", "10.44");
  CHECK(n.version == 7);
  CHECK(n.allocation_nr == 2);
  const auto& r = n.resources[0];
  CHECK_FALSE(r.node_id.public_v4);  // ReachabilityV4Hidden = 0
  CHECK(r.node_id.public_v6);        // ReachabilityV6Public = 1
  CHECK(r.peers[0].prefix.str() == "2a02:1802:5e:c45::/64");
  CHECK(r.peers[0].connection.key == "pk45");
  CHECK(n.exit_point->ipv4_dnat[0].internal_ip.str() == "10.44.1.5");
  CHECK(n.exit_point->ipv4_dnat[0].protocol == "udp");
  CHECK(j["resources"][0]["node_id"]["reachability_v4"] == "hidden");
}

TEST_CASE("Go Network: v5's text IPs, IPv4-mapped forms, unknown fields", "[zbus]") {
  json go = go_network();
  SECTION("v5 writes net.IP as a bin of its text") {
    go["Resources"][0]["Peers"][0]["Connection"]["IP"] = bin_text("192.0.2.7");
    go["Resources"][0]["Prefix"]["IP"] = bin_text("2a02:1802:5e:c44::");
    go["Exit"]["Ipv6Conf"]["Gateway"] = bin_text("fe80::1");
    go["Exit"]["Ipv6Allow"][0] = bin_text("2a02:1802:5e:c44::5");
    go["PrefixZero"]["IP"] = "10.44.0.0";  // a str too
    check_network(model::Network::parse(convert(go)), "zg-hand", "c44", "10.44");
  }
  SECTION("an IPv4 prefix with a 16-byte IP and mask (net.ParseIP, net.CIDRMask(120, 128))") {
    auto m = mask(120, 16);
    go["Exit"]["Ipv4Conf"]["CIDR"] = ipnet(bin(mapped(192, 0, 2, 0)), m);
    go["Exit"]["Ipv4Conf"]["Gateway"] = bin(mapped(192, 0, 2, 1));
    check_network(model::Network::parse(convert(go)), "zg-hand", "c44", "10.44");
  }
  SECTION("nil pointers and slices are absent") {
    go["Exit"] = nullptr;
    go["PrefixZero"] = nullptr;
    go["Resources"][0]["LinkLocal"] = nullptr;
    go["Resources"][0]["Peers"] = nullptr;
    auto n = model::Network::parse(convert(go));
    CHECK_FALSE(n.exit_point);
    CHECK_FALSE(n.prefix_zero);
    CHECK_FALSE(n.resources[0].link_local);
    CHECK(n.resources[0].peers.empty());
  }
  SECTION("unknown fields are ignored, at every level") {
    go["Owner"] = "someone";
    go["Resources"][0]["IPv6Allow"] = {1, 2};
    go["Resources"][0]["NodeID"]["Extra"] = {{"x", 1}};
    go["Exit"]["Ipv4Conf"]["Weight"] = 3;
    check_network(model::Network::parse(convert(go)), "zg-hand", "c44", "10.44");
  }
  SECTION("ExitPoint as a bool (0-OS' documents) and as 0") {
    go["Resources"][0]["ExitPoint"] = false;
    CHECK_FALSE(model::Network::parse(convert(go)).resources[0].exit_point);
    go["Resources"][0]["ExitPoint"] = 0;
    CHECK_FALSE(model::Network::parse(convert(go)).resources[0].exit_point);
  }
}

TEST_CASE("Go Network: a malformed field is refused by its Go path", "[zbus]") {
  json go = go_network();
  SECTION("a non-contiguous mask") {
    go["Resources"][0]["Prefix"]["Mask"] = bin({0xff, 0xff, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    CHECK(convert_error(go) == "Resources[0].Prefix.Mask: ffff00ff000000000000000000000000 is not a contiguous mask");
  }
  SECTION("a mask of 5 bytes") {
    go["PrefixZero"]["Mask"] = bin({0xff, 0xff, 0, 0, 0});
    CHECK(convert_error(go) == "PrefixZero.Mask: is 5 bytes, a mask is 4 or 16");
  }
  SECTION("a 4-byte mask on an IPv6 address") {
    go["Resources"][0]["Peers"][1]["Prefix"]["Mask"] = bin(mask(24, 4));
    CHECK(convert_error(go).find("Resources[0].Peers[1].Prefix.Mask: is 4 bytes on the IPv6 address") == 0);
  }
  SECTION("no IP in an IPNet") {
    go["Exit"]["Ipv6Conf"]["Addr"].erase("IP");
    CHECK(convert_error(go) == "Exit.Ipv6Conf.Addr.IP: is missing");
  }
  SECTION("an IP of 7 bytes") {
    go["Resources"][0]["Peers"][0]["Connection"]["IP"] = bin({1, 2, 3, 4, 5, 6, 7});
    CHECK(convert_error(go) == "Resources[0].Peers[0].Connection.IP: is 7 bytes, an IP is 4 or 16");
  }
  SECTION("text that is no IP") {
    go["Exit"]["Ipv4DNAT"][0]["ExternalIP"] = bin_text("192.0.2.300");
    CHECK(convert_error(go) == "Exit.Ipv4DNAT[0].ExternalIP: \"192.0.2.300\" is not an IP address");
  }
  SECTION("a port as a string") {
    go["Resources"][0]["Peers"][0]["Connection"]["Port"] = "51820";
    CHECK(convert_error(go) == "Resources[0].Peers[0].Connection.Port: is a msgpack str, expected an integer");
  }
  SECTION("a reachability out of the enum") {
    go["Resources"][0]["NodeID"]["ReachabilityV4"] = 5;
    CHECK(convert_error(go) == "Resources[0].NodeID.ReachabilityV4: is 5, expected 0 (hidden) or 1 (public)");
  }
  SECTION("Resources not an array, a nil resource, NodeID not a map") {
    go["Resources"] = {{"a", 1}};
    CHECK(convert_error(go) == "Resources: is a msgpack map, expected an array");
    go["Resources"] = json::array({nullptr});
    CHECK(convert_error(go) == "Resources[0]: is nil");
    go["Resources"] = json::array({{{"NodeID", "node1"}}});
    CHECK(convert_error(go) == "Resources[0].NodeID: is a msgpack str, expected a map");
  }
  SECTION("NetID as a number") {
    go["NetID"] = 3;
    CHECK(convert_error(go) == "NetID: is a msgpack integer, expected a string");
  }
}

TEST_CASE("Go Network: an error quoting a key that is not UTF-8 is still UTF-8", "[zbus]") {
  // {NetID: "x", "\xff\xfe": 1, "\xff\xfe": 1}: the duplicate key is named
  // in the error, which goes back to the caller in the reply (found by
  // fuzz_go_network).
  const char raw[] = "\x83\xa5NetID\xa1x\xa2\xff\xfe\x01\xa2\xff\xfe\x01";
  const std::string b(raw, sizeof raw - 1);
  auto oh = zbus::unpack_value(b);
  REQUIRE(nr::is_go_network(oh.get()));
  std::string msg;
  try {
    nr::go_network_json(oh.get());
  } catch (const zbus::ArgumentError& e) {
    msg = e.what();
  }
  CHECK(msg.find("appears twice") != std::string::npos);
  CHECK(zbus::valid_utf8(msg));
}

TEST_CASE("the JSON-name form is not taken for the Go form", "[zbus]") {
  json j = {{"network_id", "zg"}, {"resources", json::array()}, {"PrefixZero", "10.0.0.0/16"}};
  auto oh = zbus::unpack_value(packed(j));
  CHECK_FALSE(nr::is_go_network(oh.get()));
  CHECK_FALSE(nr::is_go_network(zbus::unpack_value(zbus::pack_string("{\"NetID\": 1}")).get()));
}

TEST_CASE("the Networker takes the Go form: protocol error naming the field, or the call", "[zbus]") {
  test::TempDir dir;
  nr::Node node{"node9", dir.path(), "", "", std::nullopt};
  json go = go_network();
  // Converted and parsed: the NR code then finds no resource for node9.
  auto r = nr::networker_call(node, request("ApplyNetResource", packed(go)));
  CHECK(r.error.empty());
  REQUIRE(r.call_error);
  CHECK(r.call_error->find("has no resource for node \"node9\"") != std::string::npos);
  // The model's refusal is the method's error, as with the JSON form.
  go["Resources"][0]["Prefix"] = ipnet(bin({10, 44, 0, 0}), mask(16, 4));
  r = nr::networker_call(node, request("DeleteNetResource", packed(go)));
  CHECK(r.error.empty());
  REQUIRE(r.call_error);
  CHECK(r.call_error->find("must be an IPv6 prefix") != std::string::npos);
  // A malformed Go field is a protocol error that names it.
  go["Resources"][0]["Prefix"]["Mask"] = bin({0xff, 0, 0xff, 0});
  r = nr::networker_call(node, request("ApplyNetResource", packed(go)));
  CHECK(r.error ==
        "invalid argument type [0] for ApplyNetResource: expecting a Network: Resources[0].Prefix.Mask: ff00ff00 is "
        "not a contiguous mask");
  CHECK_FALSE(r.call_error);
}

// Bytes written by the real encoders (vmihailenco/msgpack v4 and v5) from
// Go structs with 0-OS' field names; run by tests/zbus/go_encoder_test.sh,
// which sets ZOS_GO_MSGPACK_DIR. Hidden ([.]) so plain test_zbus skips it.
TEST_CASE("Go Network from the real Go encoders", "[.go-encoder]") {
  const char* d = std::getenv("ZOS_GO_MSGPACK_DIR");
  REQUIRE(d);
  for (std::string v : {"v4", "v5"}) {
    INFO("encoder " << v);
    std::ifstream in(std::string(d) + "/" + v + ".msgpack", std::ios::binary);
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string bytes = ss.str();
    auto oh = zbus::unpack_value(bytes);
    REQUIRE(nr::is_go_network(oh.get()));
    auto n = model::Network::parse(nr::go_network_json(oh.get()));
    check_network(n, "zg-go", "c40", "10.40");
    CHECK(n.version == 3);
    CHECK(n.allocation_nr == 0);
    REQUIRE(n.resources.size() == 2);
    const auto& r = n.resources[0];
    CHECK(r.node_id.public_v4);
    CHECK_FALSE(r.node_id.public_v6);
    REQUIRE(r.peers.size() == 4);
    CHECK(r.peers[3].connection.port == 51840);
    CHECK(r.peers[3].connection.private_key == "METraOrLxlpdxkFSsUYm2r7uGwr9boF2dQeMfsIwf1c=");
    CHECK(r.peers[0].prefix.str() == "2a02:1802:5e:c41::/64");
    CHECK(r.peers[0].connection.key == "p41Xz8Qm5yUqW0kKq8r3m7H9bC6dE2fG1hJ4kL5mN6o=");
    REQUIRE(r.peers[1].connection.ip);
    CHECK(r.peers[1].connection.ip->str() == "2001:db8::42");
    CHECK(r.peers[1].connection.port == 51821);
    CHECK(n.resources[1].node_id.id == "node2");
    CHECK_FALSE(n.resources[1].node_id.public_v4);
    CHECK(n.resources[1].node_id.public_v6);
    CHECK(n.resources[1].peers.empty());
    CHECK_FALSE(n.resources[1].exit_point);
    CHECK(n.exit_point->ipv4_dnat[0].internal_ip.str() == "10.40.1.5");
    CHECK(n.exit_point->ipv4_dnat[0].protocol == "tcp");
    // And through the Networker: converted, parsed, then no NR for node9.
    test::TempDir dir;
    nr::Node node{"node9", dir.path(), "", "", std::nullopt};
    auto resp = nr::networker_call(node, request("ApplyNetResource", bytes));
    CHECK(resp.error.empty());
    REQUIRE(resp.call_error);
    CHECK(resp.call_error->find("has no resource for node \"node9\"") != std::string::npos);
  }
}
