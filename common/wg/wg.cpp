// Keys (base64/hex, generation, X25519 public keys) and backend selection.
#include "common/wg/wg.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "common/sys/syscall.h"
#include "common/wg/wg_kernel.h"
#include "common/wg/wg_uapi.h"

namespace zos::wg {

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// --- X25519 (the TweetNaCl formulation: 16 limbs of 16 bits in int64) ---

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

// q = n * 9 on Curve25519 (Montgomery ladder).
void scalarmult_base(uint8_t* q, const uint8_t* n) {
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

}  // namespace

std::string key_to_base64(const Key& k) {
  std::string out;
  out.reserve(44);
  for (size_t i = 0; i < k.size(); i += 3) {
    const uint32_t v = (uint32_t{k[i]} << 16) | (i + 1 < k.size() ? uint32_t{k[i + 1]} << 8 : 0) |
                       (i + 2 < k.size() ? k[i + 2] : 0);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < k.size() ? kB64[(v >> 6) & 63] : '=';
    out += i + 2 < k.size() ? kB64[v & 63] : '=';
  }
  return out;
}

// Exactly 44 characters ending in one '=', canonical (unused bits zero), as
// wireguard-tools accepts them.
std::optional<Key> key_from_base64(const std::string& s) {
  if (s.size() != 44 || s[43] != '=') return std::nullopt;
  Key k{};
  size_t o = 0;
  for (size_t i = 0; i < 40; i += 4) {
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      const int d = b64_value(s[i + j]);
      if (d < 0) return std::nullopt;
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    k[o++] = static_cast<uint8_t>(v >> 16);
    k[o++] = static_cast<uint8_t>(v >> 8);
    k[o++] = static_cast<uint8_t>(v);
  }
  const int d0 = b64_value(s[40]), d1 = b64_value(s[41]), d2 = b64_value(s[42]);
  if (d0 < 0 || d1 < 0 || d2 < 0 || (d2 & 3) != 0) return std::nullopt;
  const uint32_t v = (static_cast<uint32_t>(d0) << 12) | (static_cast<uint32_t>(d1) << 6) | static_cast<uint32_t>(d2);
  k[o++] = static_cast<uint8_t>(v >> 10);
  k[o++] = static_cast<uint8_t>(v >> 2);
  return k;
}

std::string key_to_hex(const Key& k) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : k) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::optional<Key> key_from_hex(const std::string& s) {
  if (s.size() != 64) return std::nullopt;
  Key k{};
  for (size_t i = 0; i < 32; ++i) {
    const int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    k[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return k;
}

Key generate_private_key() {
  Key k{};
  size_t got = 0;
  while (got < k.size()) {
    const ssize_t n = sys::check("getrandom", [&] { return ::getrandom(k.data() + got, k.size() - got, 0); });
    got += static_cast<size_t>(n);
  }
  k[0] &= 248;
  k[31] = static_cast<uint8_t>((k[31] & 127) | 64);
  return k;
}

Key public_key_of(const Key& private_key) {
  Key pub{};
  scalarmult_base(pub.data(), private_key.data());
  return pub;
}

std::optional<std::chrono::system_clock::time_point> handshake_time(int64_t sec, int64_t nsec) {
  constexpr int64_t kMaxSec = int64_t{1} << 33;  // the year 2242; its nanoseconds still fit in 63 bits
  if ((sec == 0 && nsec == 0) || sec < 0 || sec > kMaxSec || nsec < 0 || nsec >= 1000000000) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(sec) + std::chrono::nanoseconds(nsec)));
}

bool kernel_supported() { return KernelBackend::available(); }

std::unique_ptr<Backend> make_backend(Kind kind, const std::string& userspace_state_dir) {
  if (kind == Kind::kAuto) kind = kernel_supported() ? Kind::kKernel : Kind::kUserspace;
  if (kind == Kind::kKernel) return std::make_unique<KernelBackend>();
  return std::make_unique<UapiBackend>(userspace_state_dir);
}

}  // namespace zos::wg
