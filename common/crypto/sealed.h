// NaCl sealed boxes (libsodium's crypto_box_seal) addressed to an ed25519
// identity: the box is opened with the X25519 key pair that the ed25519 key
// converts to (crypto_sign_ed25519_{pk,sk}_to_curve25519), as PyNaCl's and
// Go's x/crypto + extra25519 code do. Plaintexts and secret keys stay in
// memory and are wiped after use.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zos::crypto {

using Seed = std::array<uint8_t, 32>;       // an ed25519 private key's seed
using PublicKey = std::array<uint8_t, 32>;  // an ed25519 public key

// The ed25519 public key of a seed.
PublicKey public_key_of(const Seed& seed);

// Opens `box` (ephemeral key, MAC, ciphertext) with the identity of `seed`;
// nullopt when it was sealed to another key or is damaged.
std::optional<std::string> open_sealed(std::string_view box, const Seed& seed);

// Seals `msg` to the identity `pk` (a fresh ephemeral key each time).
std::string seal(std::string_view msg, const PublicKey& pk);

// Wipes a buffer so the compiler cannot drop it (sodium_memzero).
void wipe(void* p, size_t n);

// Hex <-> bytes; nullopt on an odd length or a non-hex character.
std::optional<std::string> from_hex(std::string_view hex);
std::string to_hex(std::string_view bytes);

// A 128-bit BLAKE2b digest of `data`, in hex: names a content (what
// script made an nftables chain) so a re-apply can tell it is unchanged.
std::string digest_hex(std::string_view data);

// Base58 with Bitcoin's alphabet (go-base58, how 0-OS writes node ids).
std::string base58(const uint8_t* data, size_t n);

}  // namespace zos::crypto
