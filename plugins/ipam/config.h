// zos-ipam's configuration: the `ipam` section of a network config, plus the
// top-level network object it may take the NR prefix from.
#pragma once

#include "model/paths.h"
#include <optional>
#include <string>
#include <vector>

#include "common/cni/plugin.h"
#include "plugins/ipam/allocator.h"
#include "model/network.h"

namespace zos::ipam {

using model::kDefaultDataDir;

struct Config {
  std::string name;      // the network config's name: leases live under it
  std::string data_dir;  // ipam.dataDir, else the top-level dataDir, else the default
  V6Mode v6_mode = V6Mode::kIpv4;
  std::optional<std::vector<cni::Route>> routes;  // ipam.routes; default: default routes
  std::optional<ip::Prefix> prefix;  // ipam.prefix, else the local NR's prefix
  model::NetworkSource source;
  std::string pool;  // ipam.pool, else the network's lease_pool() when the object is read; "" = none

  // Folder of all of this network config's pools, and of one pool:
  // <subnet>@<pool> (<subnet> alone without a pool).
  std::string pools_dir() const;
  std::string pool_dir(const model::Plan& plan) const;
};

// Reads the config. With need_prefix, resolves the NR prefix (from
// ipam.prefix or the network object) and raises cni::Error(7) when it cannot.
Config parse_config(const cni::Request& req, bool need_prefix);

// What the runtime asked for: addresses (runtimeConfig.ips, args.cni.ips,
// CNI_ARGS IP=) and the MAC (runtimeConfig.mac, args.cni.mac, CNI_ARGS MAC=).
Request attachment_request(const cni::Request& req, const Config& cfg);

}  // namespace zos::ipam
