// `zos-bootstrap status`: the uplink and the public namespaces as they are
// now, compared with what uplink/public recorded.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "plugins/bootstrap/config.h"

namespace zos::bootstrap {

struct StatusOptions {
  std::string data_dir = kDefaultDataDir;
  std::string zinit_dir = kDefaultZinitDir;
};

struct Status {
  nlohmann::json uplink;  // {state: ok|absent|degraded, problems: [...], recorded, bridge, ports, lease, ...}
  nlohmann::json pub;     // [{netns, state, problems, recorded, link, addresses, gateways}]
  bool ok() const;        // everything recorded is as recorded (nothing recorded counts as ok)
  nlohmann::json to_json() const;
  std::string human() const;
};

Status status(const StatusOptions& o);

}  // namespace zos::bootstrap
