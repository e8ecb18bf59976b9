// Hands out one IPv4 of an NR's /24 (and its IPv6 addresses) per attachment.
#pragma once

#include <optional>
#include <string>

#include "plugins/ipam/ranges.h"
#include "plugins/ipam/store.h"
#include "model/plan.h"

namespace zos::ipam {

// Plugin error codes (documented in docs/errors.md).
enum Code : int {
  kPoolExhausted = 100,  // no free IPv4 left in the NR's /24
  kAddressInUse = 101,   // a requested address is leased to another attachment
  kOutOfPool = 102,      // a requested address is outside the pool / prefix
  kNotReserved = 103,    // CHECK: the reservation is missing or differs
};

enum class V6Mode { kNone, kEui64, kIpv4, kBoth };

struct Request {
  std::string container_id;
  std::string ifname;
  std::optional<ip::Addr> want_v4;
  // Requested IPv6s (podman's `network reload` asks again for every address
  // the container had, so several are fine); empty: derived per v6_mode.
  std::vector<ip::Addr> want_v6;
  std::optional<std::array<uint8_t, 6>> mac;
  V6Mode v6_mode = V6Mode::kIpv4;
  Ranges ranges;  // runtimeConfig.ipRanges: where in the NR the addresses may be
};

class Allocator {
 public:
  Allocator(Store& store, const model::Plan& plan) : store_(store), plan_(plan) {}
  // The attachment's lease: the existing one when it has one (a repeated
  // ADD), else a new one. cni::Error with the codes above on failure.
  Lease allocate(const Request& r);
  // Drops the attachment's leases; false when it had none.
  bool release(const std::string& container_id, const std::string& ifname);
  std::optional<Lease> find(const std::string& container_id, const std::string& ifname);
  // How many addresses of the pool are free.
  int free_count();

 private:
  std::vector<ip::Addr> v6_for(const Request& r, const ip::Addr& v4) const;
  Store& store_;
  const model::Plan& plan_;
};

}  // namespace zos::ipam
