// `zos-bootstrap public`: the `public` namespace of an exit node. Its link
// `public` is a macvlan on a NIC, or a veth whose host end sits on the zos
// bridge; static IPv4/IPv6 and default gateways come from the config file.
// zos-nr creates WireGuard links there, and exit NRs attach there.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "plugins/bootstrap/config.h"

namespace zos::bootstrap {

inline constexpr const char* kPublicLink = "public";  // the link inside the namespace

struct PublicOptions {
  std::string config = kDefaultConfig;
  std::string data_dir = kDefaultDataDir;
  std::string name = "public";  // the namespace
};

struct PublicResult {
  std::string netns;
  bool created = false;  // the namespace is new
  bool changed = false;  // anything was changed (false on an idempotent re-run)
  PublicConfig cfg;
  nlohmann::json to_json() const;
  std::string human() const;
};

PublicResult apply_public(const PublicOptions& o);
// True when there was something to delete.
bool delete_public(const PublicOptions& o);

nlohmann::json public_config_json(const PublicConfig& c);

}  // namespace zos::bootstrap
