// Kernel WireGuard backend: the link is created over rtnetlink (IFLA_INFO_KIND
// "wireguard"), configured and read over the generic netlink family
// "wireguard" (WG_CMD_SET_DEVICE / WG_CMD_GET_DEVICE).
//
// Every call opens short-lived sockets in the calling thread's namespace and
// acts on the link there. A configuration larger than one netlink message is
// split: only the first message carries the device attributes and
// WGDEVICE_F_REPLACE_PEERS; a peer whose allowed IPs overflow continues in the
// next message (public key and UPDATE_ONLY, the remaining allowed IPs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/net/nl.h"
#include "common/wg/wg.h"

struct nlmsghdr;

namespace zos::wg {

class KernelBackend : public Backend {
 public:
  // True when the generic netlink family "wireguard" resolves (asking for it
  // lets the kernel load the module if it can).
  static bool available();

  const char* kind() const override { return "kernel"; }
  bool create(const std::string& name) override;
  void configure(const DeviceConfig& cfg) override;
  DeviceState get(const std::string& name) override;
  bool remove(const std::string& name) override;
  uint64_t round_trips() const override { return round_trips_; }

 private:
  uint64_t round_trips_ = 0;
};

namespace kernel {

// Largest message we send: a page, at most 8 KiB (the budget wireguard-tools
// uses, MNL_SOCKET_BUFFER_SIZE).
size_t message_budget();

// The WG_CMD_SET_DEVICE requests for `cfg`, in order, each at most `budget`
// bytes (nlmsg_len), for the generic netlink family id `family`. Throws
// std::invalid_argument for a config that cannot be encoded (no name, a
// budget too small for a single peer).
std::vector<nl::MsgPtr> build_set_device(const DeviceConfig& cfg, int family, size_t budget);

// Merges one WG_CMD_GET_DEVICE reply part into `st`: device attributes, and
// peers (a peer continued from the previous part, same public key, gets its
// remaining allowed IPs appended). Private keys are never stored.
void parse_device_part(const nlmsghdr* hdr, DeviceState& st);

}  // namespace kernel
}  // namespace zos::wg
