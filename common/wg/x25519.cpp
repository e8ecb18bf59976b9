// X25519 with the base point: five limbs of 51 bits in uint64, products in
// unsigned __int128 (the layout of curve25519-donna-c64 and ref10's fe51),
// a constant-time Montgomery ladder: zos_net (and so every plugin that
// derives a WireGuard public key) needs no crypto library. About 30 times
// fewer instructions than TweetNaCl's 16 limbs of 16 bits, which cost an
// apply two public keys of ~8 million instructions each.
#include "common/wg/x25519.h"

#include <cstring>

namespace zos::wg {

namespace {

using Fe = uint64_t[5];
using u128 = unsigned __int128;
constexpr uint64_t kMask = (uint64_t{1} << 51) - 1;

// Limbs below 2^54 in, below 2^52 out.
void mul(Fe o, const Fe a, const Fe b) {
  const uint64_t b1 = 19 * b[1], b2 = 19 * b[2], b3 = 19 * b[3], b4 = 19 * b[4];
  u128 r0 = u128{a[0]} * b[0] + u128{a[1]} * b4 + u128{a[2]} * b3 + u128{a[3]} * b2 + u128{a[4]} * b1;
  u128 r1 = u128{a[0]} * b[1] + u128{a[1]} * b[0] + u128{a[2]} * b4 + u128{a[3]} * b3 + u128{a[4]} * b2;
  u128 r2 = u128{a[0]} * b[2] + u128{a[1]} * b[1] + u128{a[2]} * b[0] + u128{a[3]} * b4 + u128{a[4]} * b3;
  u128 r3 = u128{a[0]} * b[3] + u128{a[1]} * b[2] + u128{a[2]} * b[1] + u128{a[3]} * b[0] + u128{a[4]} * b4;
  u128 r4 = u128{a[0]} * b[4] + u128{a[1]} * b[3] + u128{a[2]} * b[2] + u128{a[3]} * b[1] + u128{a[4]} * b[0];
  r1 += static_cast<uint64_t>(r0 >> 51);
  r2 += static_cast<uint64_t>(r1 >> 51);
  r3 += static_cast<uint64_t>(r2 >> 51);
  r4 += static_cast<uint64_t>(r3 >> 51);
  uint64_t c = static_cast<uint64_t>(r4 >> 51);
  o[0] = (static_cast<uint64_t>(r0) & kMask) + c * 19;
  o[1] = static_cast<uint64_t>(r1) & kMask;
  o[2] = static_cast<uint64_t>(r2) & kMask;
  o[3] = static_cast<uint64_t>(r3) & kMask;
  o[4] = static_cast<uint64_t>(r4) & kMask;
  o[1] += o[0] >> 51;
  o[0] &= kMask;
}
void sqr(Fe o, const Fe a) { mul(o, a, a); }

// Limbs below 2^52 in, below 2^53 out.
void add(Fe o, const Fe a, const Fe b) {
  for (int i = 0; i < 5; ++i) o[i] = a[i] + b[i];
}
// a - b + 2p, so that no limb goes below zero (b's limbs below 2^52).
void sub(Fe o, const Fe a, const Fe b) {
  o[0] = a[0] + 0xfffffffffffdaull - b[0];
  for (int i = 1; i < 5; ++i) o[i] = a[i] + 0xffffffffffffeull - b[i];
}

// Swaps p and q when b is 1, in constant time.
void cswap(Fe p, Fe q, uint64_t b) {
  const uint64_t mask = 0 - b;
  for (int i = 0; i < 5; ++i) {
    const uint64_t t = mask & (p[i] ^ q[i]);
    p[i] ^= t;
    q[i] ^= t;
  }
}

void carry(uint64_t* t) {
  for (int i = 0; i < 4; ++i) {
    t[i + 1] += t[i] >> 51;
    t[i] &= kMask;
  }
  t[0] += 19 * (t[4] >> 51);
  t[4] &= kMask;
}

// The unique representative below p, little-endian.
void pack(uint8_t* o, const Fe n) {
  uint64_t t[5];
  std::memcpy(t, n, sizeof t);
  carry(t);
  carry(t);
  // Now below 2^255: add 19 and see whether it reaches 2^255 (t >= p).
  t[0] += 19;
  carry(t);
  // Offset by 2^255 - 19 + 2^255 ... and drop bit 255: t - p or t.
  t[0] += (uint64_t{1} << 51) - 19;
  for (int i = 1; i < 5; ++i) t[i] += (uint64_t{1} << 51) - 1;
  for (int i = 0; i < 4; ++i) {
    t[i + 1] += t[i] >> 51;
    t[i] &= kMask;
  }
  t[4] &= kMask;
  const uint64_t w[4] = {t[0] | t[1] << 51, t[1] >> 13 | t[2] << 38, t[2] >> 26 | t[3] << 25, t[3] >> 39 | t[4] << 12};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) o[8 * i + j] = static_cast<uint8_t>(w[i] >> (8 * j));
}

// in^(p-2), as TweetNaCl does it.
void invert(Fe o, const Fe in) {
  Fe c;
  std::memcpy(c, in, sizeof c);
  for (int a = 253; a >= 0; --a) {
    sqr(c, c);
    if (a != 2 && a != 4) mul(c, c, in);
  }
  std::memcpy(o, c, sizeof c);
}

}  // namespace

void x25519_base(uint8_t* q, const uint8_t* n) {
  static const Fe k121665 = {121665};
  uint8_t z[32];
  for (int i = 0; i < 32; ++i) z[i] = n[i];
  z[31] = static_cast<uint8_t>((n[31] & 127) | 64);
  z[0] &= 248;
  Fe x = {9}, a = {1}, b = {9}, c = {}, d = {1}, e, f;
  for (int i = 254; i >= 0; --i) {
    const uint64_t r = (z[i >> 3] >> (i & 7)) & 1;
    cswap(a, b, r);
    cswap(c, d, r);
    add(e, a, c);
    sub(a, a, c);
    add(c, b, d);
    sub(b, b, d);
    sqr(d, e);
    sqr(f, a);
    mul(a, c, a);
    mul(c, b, e);
    add(e, a, c);
    sub(a, a, c);
    sqr(b, a);
    sub(c, d, f);
    mul(a, c, k121665);
    add(a, a, d);
    mul(c, c, a);
    mul(a, d, f);
    mul(d, b, x);
    sqr(b, e);
    cswap(a, b, r);
    cswap(c, d, r);
  }
  invert(c, c);
  mul(a, a, c);
  pack(q, a);
  std::memset(z, 0, sizeof z);
}

}  // namespace zos::wg
