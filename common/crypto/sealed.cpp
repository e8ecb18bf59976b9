#include "common/crypto/sealed.h"

#include <sodium.h>

#include <stdexcept>
#include <vector>

namespace zos::crypto {

namespace {

void init() {
  // Thread-safe and idempotent; fails only when no random source exists.
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
}

// An ed25519 key pair from its seed, converted to X25519; wiped on scope exit.
struct CurvePair {
  unsigned char pk[crypto_box_PUBLICKEYBYTES];
  unsigned char sk[crypto_box_SECRETKEYBYTES];
  explicit CurvePair(const Seed& seed) {
    unsigned char edpk[crypto_sign_PUBLICKEYBYTES], edsk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(edpk, edsk, seed.data());
    bool ok = crypto_sign_ed25519_pk_to_curve25519(pk, edpk) == 0 && crypto_sign_ed25519_sk_to_curve25519(sk, edsk) == 0;
    sodium_memzero(edsk, sizeof edsk);
    if (!ok) throw std::runtime_error("the identity's ed25519 key has no X25519 form");
  }
  ~CurvePair() { sodium_memzero(sk, sizeof sk); }
  CurvePair(const CurvePair&) = delete;
  CurvePair& operator=(const CurvePair&) = delete;
};

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

PublicKey public_key_of(const Seed& seed) {
  init();
  PublicKey pk{};
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk.data(), sk, seed.data());
  sodium_memzero(sk, sizeof sk);
  return pk;
}

std::optional<std::string> open_sealed(std::string_view box, const Seed& seed) {
  init();
  if (box.size() < crypto_box_SEALBYTES) return std::nullopt;
  CurvePair kp(seed);
  std::string msg(box.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<unsigned char*>(msg.data()), bytes(box), box.size(), kp.pk, kp.sk) != 0)
    return std::nullopt;
  return msg;
}

std::string seal(std::string_view msg, const PublicKey& pk) {
  init();
  unsigned char xpk[crypto_box_PUBLICKEYBYTES];
  if (crypto_sign_ed25519_pk_to_curve25519(xpk, pk.data()) != 0)
    throw std::runtime_error("not an ed25519 public key");
  std::string box(msg.size() + crypto_box_SEALBYTES, '\0');
  crypto_box_seal(reinterpret_cast<unsigned char*>(box.data()), bytes(msg), msg.size(), xpk);
  return box;
}

void wipe(void* p, size_t n) { sodium_memzero(p, n); }

std::optional<std::string> from_hex(std::string_view hex) {
  init();
  if (hex.size() % 2) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(), nullptr, &len,
                     &end) != 0 ||
      len != out.size() || end != hex.data() + hex.size())
    return std::nullopt;
  return out;
}

std::string to_hex(std::string_view bytes_in) {
  std::string out(bytes_in.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes(bytes_in), bytes_in.size());
  out.pop_back();
  return out;
}

std::string base58(const uint8_t* data, size_t n) {
  static const char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  // Big-endian base conversion, 256 -> 58; leading zero bytes become '1's.
  std::vector<uint8_t> digits;  // base 58, least significant first
  for (size_t i = 0; i < n; ++i) {
    unsigned carry = data[i];
    for (auto& d : digits) {
      carry += unsigned(d) << 8;
      d = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    for (; carry; carry /= 58) digits.push_back(static_cast<uint8_t>(carry % 58));
  }
  std::string out;
  for (size_t i = 0; i < n && data[i] == 0; ++i) out += '1';
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out += kAlphabet[*it];
  return out;
}

std::string digest_hex(std::string_view data) {
  init();
  unsigned char h[16];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(data.data()), data.size(), nullptr, 0);
  return to_hex(std::string_view(reinterpret_cast<const char*>(h), sizeof h));
}

}  // namespace zos::crypto
