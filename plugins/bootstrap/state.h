// What zos-bootstrap keeps under <data-dir>/bootstrap (atomic writes, one
// flock for the whole command):
//   uplink.json           the chosen uplink (bridge, NIC, MAC, how, client)
//   public-<netns>.json   the public namespace as applied (its config)
//   udhcpc.script         the lease script the DHCP client runs
//   resolv.conf           name servers from the last DHCP lease
//   .lock
#pragma once

#include <string>
#include <vector>

#include "common/sys/file.h"
#include "common/sys/json_state.h"

namespace zos::bootstrap {

// The records are a sys::JsonStateDir (files 0644, folders 0755): read,
// write_if_changed, remove.
class Store : public sys::JsonStateDir {
 public:
  explicit Store(const std::string& data_dir);

  sys::FileLock lock() const;
  // Names of the recorded public namespaces.
  std::vector<std::string> public_names() const { return names("public-", ".json"); }
};

}  // namespace zos::bootstrap
