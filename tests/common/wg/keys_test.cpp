// Keys: base64/hex in and out, generation, public keys (RFC 7748 vector and
// wireguard-tools' `wg pubkey` when it is installed).
#include <catch2/catch.hpp>

#include <vector>

#include "common/wg/wg.h"
#include "support/support.h"

using namespace zos::wg;

namespace {

Key hex(const std::string& s) {
  auto k = key_from_hex(s);
  REQUIRE(k);
  return *k;
}

}  // namespace

TEST_CASE("wg keys: base64 and hex round trip", "[wg]") {
  for (int i = 0; i < 50; ++i) {
    Key k = generate_private_key();
    CHECK((k[0] & 7) == 0);
    CHECK((k[31] & 0xc0) == 0x40);
    const std::string b = key_to_base64(k);
    CHECK(b.size() == 44);
    CHECK(b.back() == '=');
    CHECK(key_from_base64(b) == k);
    const std::string h = key_to_hex(k);
    CHECK(h.size() == 64);
    CHECK(key_from_hex(h) == k);
  }
  Key zero{};
  CHECK(key_to_base64(zero) == "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  Key ff;
  ff.fill(0xff);
  CHECK(key_to_base64(ff) == "//////////////////////////////////////////8=");
  CHECK(key_from_base64("//////////////////////////////////////////8=") == ff);
  CHECK(key_to_hex(ff) == std::string(64, 'f'));
  CHECK(key_from_hex(std::string(64, 'F')) == ff);
}

TEST_CASE("wg keys: bad input is refused", "[wg]") {
  const std::string good = "YFN6Y0dGlnLYkG7EtQpw8kXwBgZc2XLsEG8ZgAHB+kI=";
  REQUIRE(key_from_base64(good));
  CHECK_FALSE(key_from_base64(""));
  CHECK_FALSE(key_from_base64(good.substr(0, 43)));             // no padding
  CHECK_FALSE(key_from_base64(good + "="));                     // too long
  CHECK_FALSE(key_from_base64(good.substr(0, 42) + "=="));      // 31 bytes
  CHECK_FALSE(key_from_base64("YFN6Y0dGlnLYkG7EtQpw8kXwBgZc2XLsEG8ZgAHB-kI="));  // url alphabet
  CHECK_FALSE(key_from_base64("YFN6Y0dGlnLYkG7EtQpw8kXwBgZc2XLsEG8ZgAHB kI="));
  CHECK_FALSE(key_from_base64("YFN6Y0dGlnLYkG7EtQpw8kXwBgZc2XLsEG8ZgAHB+kJ="));  // non-canonical tail bits
  CHECK_FALSE(key_from_hex(""));
  CHECK_FALSE(key_from_hex(std::string(63, 'a')));
  CHECK_FALSE(key_from_hex(std::string(65, 'a')));
  CHECK_FALSE(key_from_hex(std::string(62, 'a') + "g0"));
  CHECK_FALSE(key_from_hex(std::string(62, 'a') + " 0"));
}

TEST_CASE("wg keys: public key of a private key", "[wg]") {
  // RFC 7748 section 6.1 (Alice).
  CHECK(key_to_hex(public_key_of(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))) ==
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  // Bob.
  CHECK(key_to_hex(public_key_of(hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))) ==
        "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");

  if (zos::test::sh("command -v wg >/dev/null 2>&1") != 0) {
    WARN("wg (wireguard-tools) not installed: cross-check with `wg pubkey` skipped");
    return;
  }
  // Random keys, and keys whose limbs sit at the edges of X25519's 51-bit
  // arithmetic (all bits set, none, alternating, one byte).
  std::vector<Key> keys;
  for (int i = 0; i < 5; ++i) keys.push_back(generate_private_key());
  for (uint8_t fill : std::initializer_list<uint8_t>{0x00, 0xff, 0x55, 0xaa, 0x80}) {
    Key k;
    k.fill(fill);
    keys.push_back(k);
  }
  Key one{};
  one[0] = 1;
  keys.push_back(one);
  for (const Key& k : keys) {
    std::string out = zos::test::sh_out("echo " + key_to_base64(k) + " | wg pubkey");
    while (!out.empty() && out.back() == '\n') out.pop_back();
    CHECK(out == key_to_base64(public_key_of(k)));
  }
}
