// X25519 with the base point, in the TweetNaCl formulation: 16 limbs of 16
// bits in int64, a constant-time Montgomery ladder: zos_net (and so every
// plugin that derives a WireGuard public key) needs no crypto library.
#include "common/wg/x25519.h"

#include <cstring>

namespace zos::wg {

namespace {

using Gf = int64_t[16];

void carry(Gf o) {
  for (int i = 0; i < 16; ++i) {
    o[i] += int64_t{1} << 16;
    const int64_t c = o[i] >> 16;
    o[(i + 1) * (i < 15)] += c - 1 + 37 * (c - 1) * (i == 15);
    o[i] -= c * (int64_t{1} << 16);
  }
}

// Swaps p and q when b is 1, in constant time.
void cswap(Gf p, Gf q, int64_t b) {
  const int64_t mask = ~(b - 1);
  for (int i = 0; i < 16; ++i) {
    const int64_t t = mask & (p[i] ^ q[i]);
    p[i] ^= t;
    q[i] ^= t;
  }
}

void pack(uint8_t* o, const Gf n) {
  Gf m, t;
  for (int i = 0; i < 16; ++i) t[i] = n[i];
  carry(t);
  carry(t);
  carry(t);
  for (int j = 0; j < 2; ++j) {
    m[0] = t[0] - 0xffed;
    for (int i = 1; i < 15; ++i) {
      m[i] = t[i] - 0xffff - ((m[i - 1] >> 16) & 1);
      m[i - 1] &= 0xffff;
    }
    m[15] = t[15] - 0x7fff - ((m[14] >> 16) & 1);
    const int64_t b = (m[15] >> 16) & 1;
    m[14] &= 0xffff;
    cswap(t, m, 1 - b);
  }
  for (int i = 0; i < 16; ++i) {
    o[2 * i] = static_cast<uint8_t>(t[i] & 0xff);
    o[2 * i + 1] = static_cast<uint8_t>(t[i] >> 8);
  }
}

void add(Gf o, const Gf a, const Gf b) {
  for (int i = 0; i < 16; ++i) o[i] = a[i] + b[i];
}
void sub(Gf o, const Gf a, const Gf b) {
  for (int i = 0; i < 16; ++i) o[i] = a[i] - b[i];
}
void mul(Gf o, const Gf a, const Gf b) {
  int64_t t[31] = {};
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) t[i + j] += a[i] * b[j];
  for (int i = 0; i < 15; ++i) t[i] += 38 * t[i + 16];
  for (int i = 0; i < 16; ++i) o[i] = t[i];
  carry(o);
  carry(o);
}
void sqr(Gf o, const Gf a) { mul(o, a, a); }

void invert(Gf o, const Gf in) {
  Gf c;
  for (int i = 0; i < 16; ++i) c[i] = in[i];
  for (int a = 253; a >= 0; --a) {
    sqr(c, c);
    if (a != 2 && a != 4) mul(c, c, in);
  }
  for (int i = 0; i < 16; ++i) o[i] = c[i];
}

}  // namespace

void x25519_base(uint8_t* q, const uint8_t* n) {
  static const Gf k121665 = {0xDB41, 1};
  uint8_t z[32];
  for (int i = 0; i < 32; ++i) z[i] = n[i];
  z[31] = static_cast<uint8_t>((n[31] & 127) | 64);
  z[0] &= 248;
  Gf x = {9}, a = {1}, b = {9}, c = {}, d = {1}, e, f;
  for (int i = 254; i >= 0; --i) {
    const int64_t r = (z[i >> 3] >> (i & 7)) & 1;
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
