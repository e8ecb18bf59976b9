// zos-agent's pieces that need no etcd: the gateway's base64 and key
// ranges, keys made on the node, peers' keys resolved from published ones.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/etcd/etcd.h"
#include "common/sys/file.h"
#include "plugins/agent/keys.h"

using nlohmann::json;
using namespace zos;

namespace {

json peer(const std::string& p, const std::string& key) {
  return {{"type", 0}, {"prefix", p}, {"connection", {{"ip", "192.0.2.1"}, {"port", 51820}, {"key", key}}}};
}

// node1..3 with prefixes ...:a1..a3; every resource lists all three.
json object(const std::vector<std::string>& keys) {
  json res = json::array();
  for (int i = 1; i <= 3; ++i) {
    json peers = json::array();
    for (int k = 1; k <= 3; ++k) peers.push_back(peer("2a02:1802:5e:a" + std::to_string(k) + "::/64", keys[k - 1]));
    res.push_back({{"node_id", {{"id", "node" + std::to_string(i)}}},
                   {"prefix", "2a02:1802:5e:a" + std::to_string(i) + "::/64"},
                   {"peers", peers}});
  }
  return {{"network_id", "n"}, {"version", 1}, {"resources", res}};
}

}  // namespace

TEST_CASE("etcd: base64 both ways, and prefix ends as etcd's clientv3 makes them", "[agent]") {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto e = etcd::base64_encode(s);
    CHECK(e.size() % 4 == 0);
    CHECK(etcd::base64_decode(e) == s);
  }
  CHECK(etcd::base64_encode("/zos/") == "L3pvcy8=");
  CHECK_FALSE(etcd::base64_decode("L3p").has_value());
  CHECK_FALSE(etcd::base64_decode("L3=v").has_value());
  CHECK_FALSE(etcd::base64_decode("L3p*").has_value());
  CHECK(etcd::prefix_end("/zos/") == "/zos0");
  CHECK(etcd::prefix_end(std::string("a\xff", 2)) == "b");
  CHECK(etcd::prefix_end("") == std::string(1, '\0'));
}

TEST_CASE("agent: a key made once, 0600, its public key stable, dropped on request", "[agent]") {
  auto dir = std::filesystem::temp_directory_path() / ("zt-agent-keys-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto pub = agent::ensure_key(dir.string(), "n");
  struct stat st {};
  REQUIRE(::stat((dir / "n.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto text = sys::read_file((dir / "n.key").string());
  REQUIRE(text);
  auto priv = wg::key_from_base64(text->substr(0, 44));
  REQUIRE(priv);
  CHECK(wg::public_key_of(*priv) == pub);
  CHECK(agent::ensure_key(dir.string(), "n") == pub);
  CHECK(agent::ensure_key(dir.string(), "m") != pub);
  CHECK(agent::drop_key(dir.string(), "n"));
  CHECK_FALSE(agent::drop_key(dir.string(), "n"));
  CHECK(agent::ensure_key(dir.string(), "n") != pub);  // a new key after a drop
  std::filesystem::remove_all(dir);
}

TEST_CASE("agent: peers' empty keys come from what their nodes published, unknown ones wait", "[agent]") {
  std::string k1 = wg::key_to_base64(wg::public_key_of(wg::generate_private_key()));
  std::string k3 = wg::key_to_base64(wg::public_key_of(wg::generate_private_key()));
  wg::Key own = wg::public_key_of(wg::generate_private_key());
  json raw = object({"", "", ""});
  auto net = model::Network::parse(raw);
  CHECK(agent::needs_local_key(net, "node2"));
  CHECK_FALSE(agent::needs_local_key(net, "node9"));

  std::vector<std::string> waiting;
  json eff = agent::resolve_keys(raw, net, "node2", own, {{"node1", k1}}, waiting);
  CHECK(waiting == std::vector<std::string>{"2a02:1802:5e:a3::/64"});
  const json& mine = eff["resources"][1]["peers"];
  REQUIRE(mine.size() == 2);  // node3 left out until its key is known
  CHECK(mine[0]["connection"]["key"] == k1);
  CHECK(mine[1]["connection"]["key"] == wg::key_to_base64(own));
  CHECK_FALSE(mine[1]["connection"].contains("private_key"));
  CHECK(eff["resources"][0] == raw["resources"][0]);  // other nodes' resources untouched
  model::Network::parse(eff);                         // still a valid object

  waiting.clear();
  eff = agent::resolve_keys(raw, net, "node2", own, {{"node1", k1}, {"node3", k3}, {"node2", "junk"}}, waiting);
  CHECK(waiting.empty());
  CHECK(eff["resources"][1]["peers"][2]["connection"]["key"] == k3);

  // A key the object gives is kept, whatever was published; a published
  // key that is not a WireGuard key is not used.
  json given = object({k1, "", ""});
  waiting.clear();
  eff = agent::resolve_keys(given, model::Network::parse(given), "node2", own, {{"node1", k3}, {"node3", "x"}}, waiting);
  CHECK(eff["resources"][1]["peers"][0]["connection"]["key"] == k1);
  CHECK(waiting == std::vector<std::string>{"2a02:1802:5e:a3::/64"});
}
