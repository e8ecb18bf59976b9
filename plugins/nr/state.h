// What zos-nr keeps on disk under <dataDir>/nr (atomic writes, flock):
//   networks/<network_id>.json  the applied object, its version and names
//   names/<netns>               which network owns an NR's names
//   attachments/<host veth>.json  one container attachment
//   locks/<netns>.lock          the NR's lock (exclusive: apply/delete,
//                               shared: attach)
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/sys/file.h"
#include "common/sys/json.h"
#include "common/sys/json_state.h"

namespace zos::nr {

struct Applied {
  std::string network_id;
  uint64_t version = 0;
  std::string netns;
  std::string node_id;
  sys::SharedJson network;       // the object as applied
  std::optional<unsigned> mtu;   // of the NR's links, for the containers attached later
  bool operator==(const Applied&) const = default;
};

struct AttachmentRecord {
  std::string host_veth;
  std::string container_id;
  std::string ifname;
  std::string network_id;
  std::string netns;        // the NR's namespace
  std::string config_name;  // the CNI network config that made it
  std::string container_netns;
  std::string mac;                 // the container end's, once known
  std::vector<std::string> addrs;  // IPAM's addresses (no length), once known
};

class State {
 public:
  explicit State(std::string data_dir);
  const std::string& dir() const { return dir_; }

  std::optional<Applied> applied(const std::string& network_id) const;
  // The same, faster when the record's network is `expect` (an unchanged
  // re-apply): its text is compared with `expect`'s, not parsed.
  std::optional<Applied> applied(const std::string& network_id, const sys::SharedJson& expect) const;
  std::vector<Applied> all_applied() const;
  void save_applied(const Applied& a) const;
  void remove_applied(const std::string& network_id) const;

  // The network that owns the NR names of `netns`, if any.
  std::optional<std::string> owner(const std::string& netns) const;
  void set_owner(const std::string& netns, const std::string& network_id) const;
  void remove_owner(const std::string& netns) const;

  std::vector<AttachmentRecord> attachments() const;
  std::optional<AttachmentRecord> attachment(const std::string& host_veth) const;
  void save_attachment(const AttachmentRecord& r) const;
  void remove_attachment(const std::string& host_veth) const;

  sys::FileLock lock(const std::string& netns, sys::FileLock::Mode mode) const;

 private:
  // cni::Error(7) for an id that is no network name.
  static std::string network_file(const std::string& network_id);
  std::string dir_;
  sys::JsonStateDir networks_, attachments_;  // files 0600, folders 0700
};

}  // namespace zos::nr
