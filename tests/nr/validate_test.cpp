// nr::validate on big objects, without root: the duplicate checks are a hash
// lookup per prefix now (they were N²/2 comparisons), and must still catch
// every duplicate, name the first earlier entry, and stop at the first bad
// entry, as the pairwise loop did.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "common/cni/error.h"
#include "common/wg/wg.h"
#include "model/network.h"
#include "plugins/nr/validate.h"

using nlohmann::json;
using namespace zos;

namespace {

std::string prefix(int i) {
  char b[48];
  std::snprintf(b, sizeof b, "2a02:1802:60:%x::/64", 0x1000 + i);
  return b;
}

// Our NR (index 0 of the peers) and n remote peers, every key valid.
json big_network(int n) {
  const std::string own = wg::key_to_base64(wg::generate_private_key());
  const std::string pub = wg::key_to_base64(wg::public_key_of(wg::generate_private_key()));
  json peers = json::array();
  peers.push_back({{"prefix", "2a02:1802:5e:f14::/64"}, {"connection", {{"port", 51820}, {"private_key", own}}}});
  for (int i = 0; i < n; ++i)
    peers.push_back({{"prefix", prefix(i)}, {"connection", {{"ip", "198.51.100.1"}, {"port", 51820}, {"key", pub}}}});
  return {{"network_id", "big"},
          {"version", 1},
          {"resources", {{{"node_id", {{"id", "n1"}}}, {"prefix", "2a02:1802:5e:f14::/64"}, {"peers", peers}}}}};
}

// validate()'s message, "" when it accepts the object.
std::string refusal(const json& j) {
  auto net = model::Network::parse(j);
  nr::Node node;
  node.id = "n1";
  try {
    const model::NetResource own = *net.resource_of("n1");  // a copy, as resolve() makes
    nr::validate(node, net, own);
  } catch (const cni::Error& e) {
    CHECK(e.code() == cni::kInvalidConfig);
    return e.msg();
  }
  return "";
}

}  // namespace

TEST_CASE("nr validate: 1000 distinct peers pass, any duplicate among them is refused", "[nr][validate]") {
  json j = big_network(1000);
  CHECK(refusal(j) == "");
  auto& peers = j["resources"][0]["peers"];
  SECTION("the last peer repeats one in the middle") {
    peers[1000]["prefix"] = prefix(499);  // peers[500]
    CHECK(refusal(j) == "network object: resources[0].peers[1000].prefix \"" + prefix(499) +
                            "\" is listed already as resources[0].peers[500]: list each peer once");
  }
  SECTION("three equal prefixes: the second is refused, naming the first") {
    peers[300]["prefix"] = prefix(9);
    peers[700]["prefix"] = prefix(9);
    CHECK(refusal(j) == "network object: resources[0].peers[300].prefix \"" + prefix(9) +
                            "\" is listed already as resources[0].peers[10]: list each peer once");
  }
  SECTION("the same /64 written with host bits is refused for its host bits first") {
    peers[800]["prefix"] = "2a02:1802:60:1001::5/64";
    CHECK(refusal(j).find("resources[0].peers[800].prefix \"2a02:1802:60:1001::5/64\" has host bits set") !=
          std::string::npos);
  }
  SECTION("the NR's own prefix late in the list") {
    peers[999]["prefix"] = "2a02:1802:5e:f14::/64";
    CHECK(refusal(j) == "network object: resources[0].peers[999].prefix \"2a02:1802:5e:f14::/64\" is listed "
                        "already as resources[0].peers[0] (this NR's own entry): list it once");
  }
  SECTION("a bad key after a duplicate: the duplicate is what is reported") {
    peers[600]["connection"]["key"] = "short";
    peers[400]["prefix"] = prefix(1);
    CHECK(refusal(j).find("resources[0].peers[400].prefix") != std::string::npos);
  }
  SECTION("a bad key alone") {
    peers[600]["connection"]["key"] = "short";
    CHECK(refusal(j).find("resources[0].peers[600].connection.key is not a WireGuard key") != std::string::npos);
  }
}

TEST_CASE("nr validate: two resources with one prefix are refused, naming the first", "[nr][validate]") {
  json j = big_network(2);
  for (int i = 0; i < 200; ++i)
    j["resources"].push_back({{"node_id", {{"id", "r" + std::to_string(i)}}}, {"prefix", prefix(5000 + i)}});
  CHECK(refusal(j) == "");
  j["resources"][150]["prefix"] = prefix(5000 + 20);  // resources[21]
  CHECK(refusal(j) == "network object: resources[150].prefix \"" + prefix(5020) +
                          "\" is the prefix of resources[21] too");
}

TEST_CASE("nr validate: the NR's peers are named at the NR's own index", "[nr][validate]") {
  json j = big_network(3);
  json other = {{"node_id", {{"id", "r0"}}}, {"prefix", prefix(6000)}};
  j["resources"].insert(j["resources"].begin(), other);
  CHECK(refusal(j) == "");
  j["resources"][1]["peers"][2]["connection"]["key"] = "short";
  CHECK(refusal(j).find("resources[1].peers[2].connection.key is not a WireGuard key") != std::string::npos);
}
