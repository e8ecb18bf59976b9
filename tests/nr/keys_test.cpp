// The NR's private key: sealed boxes to the node identity (0-OS's form),
// the identity file as 0-OS's identityd keeps it, and its guards.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/cni/error.h"
#include "common/crypto/sealed.h"
#include "common/sys/file.h"
#include "plugins/nr/keys.h"
#include "plugins/nr/resource.h"
#include "support/support.h"

using namespace zos;
using nlohmann::json;

namespace {

crypto::Seed seed_of_hex(const std::string& hex) {
  auto b = crypto::from_hex(hex);
  REQUIRE(b);
  REQUIRE(b->size() == 32);
  crypto::Seed s{};
  std::copy(b->begin(), b->end(), s.begin());
  return s;
}

// The seeds of tests/model/golden (sha256("zos-cni golden node<N>")).
const char* kGoldenSeed[] = {"896771857b91a7ce700bb58d4ff48e443aff6c3bf0e8fc809159ac2d432e1744",
                             "4bc660d6b88deeb775b2f4e26a87b7c66cb8396fe86a1f6758c29fd50e023b64",
                             "35229a34f031f9a2125bdcfcf949f19ed1f5717fb351451878f9ca47f4c78508"};

// An identity file as identityd writes it: "1.0.0" then the raw seed.
std::string identity_file(const test::TempDir& d, const std::string& name, const crypto::Seed& s, unsigned mode,
                          bool versioned = true) {
  std::string path = d / name;
  std::string data = (versioned ? std::string("\"1.0.0\"") : std::string()) + std::string(s.begin(), s.end());
  sys::write_file_atomic(path, data, mode, sys::Sync::kCrashSafe);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
  return path;
}

model::Network golden_a() {
  auto text = sys::read_file(std::string(ZOS_SOURCE_DIR) + "/tests/model/golden/three-node-exit.json");
  REQUIRE(text);
  return model::Network::parse(json::parse(*text));
}

cni::Error key_error(const nr::Node& node, const nr::Resource& r) {
  INFO("the NR's own private key");
  return test::error_of([&] { nr::own_private_key(node, r); });
}

}  // namespace

TEST_CASE("sealed boxes: 0-OS's crypto test vectors (PyNaCl)", "[nr][keys]") {
  // modules/crypto/crypto_test.go: TestPyNACLCompatibility*.
  crypto::Seed seed{};
  std::string s = "12345678901234567890123456789012";
  std::copy(s.begin(), s.end(), seed.begin());
  auto pk = crypto::public_key_of(seed);
  CHECK(crypto::to_hex(std::string(pk.begin(), pk.end())) ==
        "2f8c6129d816cf51c374bc7f08c3e63ed156cf78aefb4a6550d97b87997977ee");
  auto box = crypto::from_hex(
      "0bfe9e3b9ce17fe6d570b165ea2a01034326b8c81d5f2c5384c8fe886552f074ec43017465598c4f5a857b495b445be46c3df48d14878bd0"
      "b1b907");
  REQUIRE(box);
  auto plain = crypto::open_sealed(*box, seed);
  REQUIRE(plain);
  CHECK(*plain == "hello world");
  // Our seal opens with the same key, and with no other; a flipped bit fails.
  auto mine = crypto::seal("a secret", pk);
  CHECK(crypto::open_sealed(mine, seed) == std::optional<std::string>("a secret"));
  CHECK_FALSE(crypto::open_sealed(mine, seed_of_hex(kGoldenSeed[0])));
  mine[mine.size() - 1] ^= 1;
  CHECK_FALSE(crypto::open_sealed(mine, seed));
  CHECK_FALSE(crypto::open_sealed("short", seed));
  CHECK_FALSE(crypto::from_hex("abc"));
  CHECK_FALSE(crypto::from_hex("zz"));
}

TEST_CASE("sealed boxes: node ids are base58 of the identity's public key, as 0-OS's", "[nr][keys]") {
  auto n = golden_a();
  for (int i = 0; i < 3; ++i) {
    auto pk = crypto::public_key_of(seed_of_hex(kGoldenSeed[i]));
    CHECK(crypto::base58(pk.data(), pk.size()) == n.resources[i].node_id.id);
  }
  const uint8_t zeros[] = {0, 0, 1};
  CHECK(crypto::base58(zeros, 3) == "112");
}

TEST_CASE("keys: the private_key sealed to the node opens with its identity file", "[nr][keys][root]") {
  ZOS_REQUIRE_ROOT();
  test::TempDir d;
  auto net = golden_a();
  for (int i = 0; i < 3; ++i) {
    INFO("node " << i + 1);
    auto r = nr::resolve(net, net.resources[i].node_id.id);
    nr::Node node;
    node.id = r.nr.node_id.id;
    // identityd's own file (versioned, 0400) for one, an unversioned 0600 one for the others.
    node.identity_file = identity_file(d, "id" + std::to_string(i), seed_of_hex(kGoldenSeed[i]), i == 0 ? 0400 : 0600, i == 0);
    auto key = nr::own_private_key(node, r);
    REQUIRE(key);
    CHECK(wg::key_to_base64(wg::public_key_of(*key)) == r.nr.peers[i].connection.key);
  }
}

TEST_CASE("keys: a box sealed to another node, a missing identity, an unsafe identity file", "[nr][keys][root]") {
  ZOS_REQUIRE_ROOT();
  test::TempDir d;
  auto net = golden_a();
  auto r2 = nr::resolve(net, net.resources[1].node_id.id);
  nr::Node node;
  node.id = r2.nr.node_id.id;

  SECTION("sealed to node 2, opened with node 1's identity: code 7 naming node 1's identity") {
    node.identity_file = identity_file(d, "id1", seed_of_hex(kGoldenSeed[0]), 0600);
    auto e = key_error(node, r2);
    CHECK(e.code() == cni::kInvalidConfig);
    CHECK_THAT(e.msg(), Catch::Contains("not sealed to this node's identity " + net.resources[0].node_id.id) &&
                            Catch::Contains(node.identity_file));
  }
  SECTION("no identity file: says which key to set") {
    auto e = key_error(node, r2);
    CHECK(e.code() == cni::kInvalidConfig);
    CHECK_THAT(e.msg(), Catch::Contains("identityKeyFile"));
  }
  SECTION("the identity file's guards") {
    std::string f = identity_file(d, "id2", seed_of_hex(kGoldenSeed[1]), 0600);
    node.identity_file = f;
    CHECK(nr::own_private_key(node, r2));
    REQUIRE(::chmod(f.c_str(), 0644) == 0);
    CHECK_THAT(key_error(node, r2).msg(), Catch::Contains("mode 0644"));
    REQUIRE(::chmod(f.c_str(), 0640) == 0);
    CHECK_THAT(key_error(node, r2).msg(), Catch::Contains("mode 0640"));
    REQUIRE(::chmod(f.c_str(), 0600) == 0);
    REQUIRE(::chown(f.c_str(), 65534, 65534) == 0);
    CHECK_THAT(key_error(node, r2).msg(), Catch::Contains("not root"));
    REQUIRE(::chown(f.c_str(), 0, 0) == 0);
    std::string link = d / "link";
    REQUIRE(::symlink(f.c_str(), link.c_str()) == 0);
    node.identity_file = link;
    CHECK_THAT(key_error(node, r2).msg(), Catch::Contains("symbolic link"));
    node.identity_file = d / "absent";
    CHECK_THAT(key_error(node, r2).msg(), Catch::Contains("No such file"));
  }
  SECTION("a seed of another version or size") {
    std::string f = d / "v2";
    sys::write_file_atomic(f, "\"2.0.0\"" + std::string(32, 'x'), 0600, sys::Sync::kCrashSafe);
    node.identity_file = f;
    CHECK_THAT(key_error(node, r2).msg(), Catch::Contains("version \"2.0.0\""));
    sys::write_file_atomic(f, "\"1.0.0\"" + std::string(31, 'x'), 0600, sys::Sync::kCrashSafe);
    CHECK_THAT(key_error(node, r2).msg(), Catch::Contains("31 seed bytes"));
  }
  SECTION("base64 and wgPrivateKeyFile keep working") {
    auto k = wg::generate_private_key();
    r2.nr.peers[1].connection.private_key = wg::key_to_base64(k);
    CHECK(nr::own_private_key(node, r2) == k);
    auto k2 = wg::generate_private_key();
    node.key_file = d / "wg.key";
    sys::write_file_atomic(node.key_file, wg::key_to_base64(k2) + "\n", 0600, sys::Sync::kCrashSafe);
    CHECK(nr::own_private_key(node, r2) == k2);
    r2.nr.peers[1].connection.private_key = "not-hex-nor-base64";
    node.key_file.clear();
    CHECK_THAT(key_error(node, r2).msg(), Catch::Contains("neither a base64 WireGuard key nor hex"));
  }
}
