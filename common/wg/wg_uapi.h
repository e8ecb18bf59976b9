// Userspace WireGuard backend: one `wireguard-go <link>` process per link,
// configured and read over its UAPI socket /var/run/wireguard/<link>.sock
// (text protocol "set=1" / "get=1", keys in hex).
//
// Facts this is built on (wireguard-go v0.0.20220316, Debian 12):
// - it creates the TUN link and its UDP socket in the namespace it starts in;
//   the UDP socket stays there when the link is moved to another namespace
//   (nl::set_netns), and a TUN link cannot be handed in pre-made from another
//   namespace — so create() in the namespace that must own the UDP socket,
//   then move the link;
// - the control socket keeps the name the link was created with and lives in
//   one folder for the whole machine: link names must be unique machine-wide;
// - the process ends when its TUN link goes (e.g. its namespace is deleted).
//
// The process runs detached (own session, reparented away from us), so it
// outlives the plugin that started it. Its pid and start time are kept in
// <state_dir>/<link>.pid and its output in <state_dir>/<link>.log: remove()
// stops exactly that process, and create() starts a new one when the
// recorded one has died. The binary is $ZOS_WIREGUARD_GO, else
// /usr/bin/wireguard-go; its log level is $ZOS_WIREGUARD_GO_LOG_LEVEL
// (silent/error/verbose, default error).
#pragma once

#include <optional>
#include <string>

#include "common/wg/wg.h"
#include "common/wg/wg_process.h"

namespace zos::wg {

inline constexpr const char* kUapiSocketDir = "/var/run/wireguard";

class UapiBackend : public Backend {
 public:
  // `state_dir`: where pid and log files go ("" = kUapiSocketDir).
  explicit UapiBackend(std::string state_dir = "");

  const char* kind() const override { return "userspace"; }
  // Starts wireguard-go in the calling thread's namespace and waits (up to
  // ~3 s) for its control socket. False when a live wireguard-go serves
  // `name` already (ours or not). Throws when a link `name` that no
  // wireguard-go serves exists in this namespace, or the process fails to
  // come up (with the tail of its log).
  bool create(const std::string& name) override;
  void configure(const DeviceConfig& cfg) override;
  DeviceState get(const std::string& name) override;
  // Stops the recorded process (only that pid), removes its socket and pid
  // file, and deletes a leftover TUN link `name` in the calling thread's
  // namespace. False when there was nothing to stop or delete.
  bool remove(const std::string& name) override;
  uint64_t round_trips() const override { return round_trips_; }

  // The live wireguard-go recorded for `name`, if any.
  std::optional<proc::Tracked> process(const std::string& name) const;
  static std::string socket_path(const std::string& name);
  const std::string& state_dir() const { return state_dir_; }

 private:
  std::string exchange(const std::string& name, const std::string& request, const std::string& what);
  std::string pid_path(const std::string& name) const { return state_dir_ + "/" + name + ".pid"; }
  std::string log_path(const std::string& name) const { return state_dir_ + "/" + name + ".log"; }

  std::string state_dir_;
  uint64_t round_trips_ = 0;
};

namespace uapi {

// The "set=1" request for `cfg` (ends with the empty line).
std::string format_set(const DeviceConfig& cfg);
// "192.0.2.1:51820", "[2001:db8::1]:51820".
std::string format_endpoint(const Endpoint& e);
// Inverse of format_endpoint; a "%zone" is dropped.
std::optional<Endpoint> parse_endpoint(std::string_view s);
// The errno= value of a reply as sent; nullopt when it has none.
std::optional<int> reply_errno(const std::string& reply);
// A "get=1" reply. The device's public key is derived from its private key,
// which is not kept.
DeviceState parse_get(const std::string& name, const std::string& reply);

}  // namespace uapi
}  // namespace zos::wg
