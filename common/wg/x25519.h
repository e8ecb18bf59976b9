// X25519 (RFC 7748) with the base point: the public key of a private key.
#pragma once

#include <cstdint>

namespace zos::wg {

// q = n * 9 on Curve25519; n is clamped as X25519 says. q and n are 32 bytes.
void x25519_base(uint8_t* q, const uint8_t* n);

}  // namespace zos::wg
