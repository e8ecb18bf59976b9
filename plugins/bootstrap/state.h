// What zos-bootstrap keeps under <data-dir>/bootstrap (atomic writes, one
// flock for the whole command):
//   uplink.json           the chosen uplink (bridge, NIC, MAC, how, client)
//   public-<netns>.json   the public namespace as applied (its config)
//   udhcpc.script         the lease script the DHCP client runs
//   resolv.conf           name servers from the last DHCP lease
//   .lock
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/sys/file.h"

namespace zos::bootstrap {

class Store {
 public:
  explicit Store(const std::string& data_dir);
  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  sys::FileLock lock() const;

  // nullopt when absent; a corrupt record is moved aside and thrown
  // (sys::read_json_state).
  std::optional<nlohmann::json> read(const std::string& name) const;
  // Writes only when the content differs; true when it wrote.
  bool write(const std::string& name, const nlohmann::json& j) const;
  bool remove(const std::string& name) const;
  // Names of the recorded public namespaces.
  std::vector<std::string> public_names() const;

 private:
  std::string dir_;
};

}  // namespace zos::bootstrap
