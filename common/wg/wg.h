// WireGuard control: one interface, two backends.
//   kernel    generic netlink to the wireguard module (wg_kernel.cpp)
//   userspace wireguard-go over its UAPI socket (wg_uapi.cpp)
// Keys are base64 at the edges (config, output) and raw bytes inside; private
// keys are never logged or printed.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip/ip.h"

namespace zos::wg {

using Key = std::array<uint8_t, 32>;

std::optional<Key> key_from_base64(std::string_view s);
std::string key_to_base64(const Key& k);
std::string key_to_hex(const Key& k);
std::optional<Key> key_from_hex(std::string_view s);
// A fresh private key from the kernel's random source, clamped for Curve25519.
Key generate_private_key();
// The public key of a private key (X25519 with the base point), as `wg pubkey`.
Key public_key_of(const Key& private_key);

// A peer's last handshake as both backends report it (seconds and
// nanoseconds since the epoch); nullopt for "never" (0, 0) and for values no
// clock can hold (a reply is input too: out of range is not a time).
std::optional<std::chrono::system_clock::time_point> handshake_time(int64_t sec, int64_t nsec);

struct Endpoint {
  ip::Addr addr;
  uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

// A peer change. Partial updates are explicit: unset optionals keep what the
// device has (WGPEER_* flags in the kernel API).
struct PeerConfig {
  Key public_key{};
  bool remove = false;               // drop this peer
  bool update_only = false;          // do not create it if absent
  std::optional<Key> preshared_key;
  std::optional<Endpoint> endpoint;
  std::optional<uint16_t> keepalive;  // persistent keepalive seconds, 0 = off
  bool replace_allowed_ips = false;
  std::vector<ip::Prefix> allowed_ips;
};

struct DeviceConfig {
  std::string name;
  std::optional<Key> private_key;
  std::optional<uint16_t> listen_port;
  std::optional<uint32_t> fwmark;
  bool replace_peers = false;  // peers not listed are removed
  std::vector<PeerConfig> peers;
};

struct PeerState {
  Key public_key{};
  std::optional<Endpoint> endpoint;
  uint16_t keepalive = 0;
  std::vector<ip::Prefix> allowed_ips;
  std::optional<std::chrono::system_clock::time_point> last_handshake;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
};

// True when the device's peer `have` already is what `want` asks: its
// endpoint and keepalive when `want` sets them, and the same allowed IPs as
// a set (order and repeats aside, prefixes compared as values).
bool same_peer(const PeerConfig& want, const PeerState& have);

struct DeviceState {
  std::string name;
  std::optional<Key> public_key;
  bool has_private_key = false;
  uint16_t listen_port = 0;
  uint32_t fwmark = 0;
  std::vector<PeerState> peers;
};

// Namespaces: create() makes the link in the calling thread's namespace, and
// its UDP socket stays there even when the caller then moves the link
// elsewhere (nl::set_netns). The kernel backend's configure(), get() and
// remove() act on the link in the calling thread's namespace (call them where
// the link is now); the userspace backend finds its process by name, machine-
// wide (its control sockets share one folder), from any namespace.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* kind() const = 0;  // "kernel" or "userspace"
  // Creates the link in the calling thread's network namespace, which is
  // where its UDP socket lives. False when a link of that name exists.
  virtual bool create(const std::string& name) = 0;
  virtual void configure(const DeviceConfig& cfg) = 0;
  virtual DeviceState get(const std::string& name) = 0;
  // Deletes the link (and for userspace, stops its process). False if absent.
  virtual bool remove(const std::string& name) = 0;
  // Requests sent to the kernel / UAPI so far (for the benchmarks).
  virtual uint64_t round_trips() const = 0;
};

enum class Kind { kAuto, kKernel, kUserspace };

// kAuto: kernel when the running kernel knows the "wireguard" link type.
// `userspace_state_dir`: where the userspace backend keeps its pid files
// ("" = the UAPI socket folder, /var/run/wireguard); see wg_uapi.h.
std::unique_ptr<Backend> make_backend(Kind kind = Kind::kAuto, const std::string& userspace_state_dir = "");
bool kernel_supported();

}  // namespace zos::wg
