// Keys (base64/hex, generation, public keys) and backend selection.
#include "common/wg/wg.h"

#include <sodium.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>

#include "common/sys/syscall.h"
#include "common/wg/wg_kernel.h"
#include "common/wg/wg_uapi.h"

namespace zos::wg {

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The value of each byte as a base64 digit, -1 for none (a table: every
// apply decodes two keys per peer).
constexpr std::array<int8_t, 256> kB64Values = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64[i])] = static_cast<int8_t>(i);
  return t;
}();

int b64_value(char c) { return kB64Values[static_cast<unsigned char>(c)]; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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
std::optional<Key> key_from_base64(std::string_view s) {
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

std::optional<Key> key_from_hex(std::string_view s) {
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

// X25519 with the base point (RFC 7748; libsodium clamps the scalar as
// WireGuard does). It fails only for an all-zero result, which the base
// point cannot give.
Key public_key_of(const Key& private_key) {
  static const bool ready = sodium_init() >= 0;
  Key pub{};
  if (!ready || crypto_scalarmult_curve25519_base(pub.data(), private_key.data()) != 0)
    throw std::runtime_error("X25519 of the private key failed (libsodium)");
  return pub;
}

std::optional<std::chrono::system_clock::time_point> handshake_time(int64_t sec, int64_t nsec) {
  constexpr int64_t kMaxSec = int64_t{1} << 33;  // the year 2242; its nanoseconds still fit in 63 bits
  if ((sec == 0 && nsec == 0) || sec < 0 || sec > kMaxSec || nsec < 0 || nsec >= 1000000000) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(sec) + std::chrono::nanoseconds(nsec)));
}

bool same_peer(const PeerConfig& want, const PeerState& have) {
  if (want.endpoint && want.endpoint != have.endpoint) return false;
  if (want.keepalive && *want.keepalive != have.keepalive) return false;
  auto as_set = [](std::vector<ip::Prefix> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  return as_set(want.allowed_ips) == as_set(have.allowed_ips);
}

bool kernel_supported() { return KernelBackend::available(); }

std::unique_ptr<Backend> make_backend(Kind kind, const std::string& userspace_state_dir) {
  if (kind == Kind::kAuto) kind = kernel_supported() ? Kind::kKernel : Kind::kUserspace;
  if (kind == Kind::kKernel) return std::make_unique<KernelBackend>();
  return std::make_unique<UapiBackend>(userspace_state_dir);
}

}  // namespace zos::wg
