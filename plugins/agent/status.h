// The node's view in etcd, under <prefix>/nodes/<node>/ (docs/fleet.md):
//   alive               {"agent", "since"}                      on the lease
//   status/<network>    version wanted and applied, error, problems
//                       (zos-nr show's), WireGuard public key, listen port,
//                       endpoints, last handshake per peer    on the lease
//   keys/<network>      the NR's WireGuard public key (base64) no lease: a
//                       node that is down a while keeps its place in the mesh
// Only what changed is written; a lost lease (etcd down longer than the
// TTL) is granted again and everything on it written again.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/etcd/etcd.h"
#include "plugins/nr/config.h"

namespace zos::agent {

// What a lane knows of its network.
struct Report {
  uint64_t wanted_version = 0;        // of the object in etcd (0: unreadable)
  std::optional<uint64_t> applied;    // the version applied here
  std::string error;                  // the last failure, "" when none
  std::vector<std::string> waiting;   // peers left out until their node publishes a key
  std::string public_key;             // the NR's WireGuard public key, "" when none
};

class Publisher {
 public:
  Publisher(etcd::Client& etcd, std::string node_prefix, nr::Node node, int ttl, std::chrono::seconds refresh);

  void report(const std::string& network_id, Report r);
  // The network left this node: its status and key are removed from etcd.
  void forget(const std::string& network_id);
  // What a snapshot shows under this node's subtree (key relative to it ->
  // value, lease): stale entries are removed, unchanged ones kept.
  void adopt(std::map<std::string, std::pair<std::string, int64_t>> present);

  // Writes until `stop`; call on its own thread.
  void run(const std::atomic<bool>& stop);
  void wake();

 private:
  nlohmann::json status_of(const std::string& id, const Report& r) const;
  void refresh_live(bool all);
  void flush();

  etcd::Client& etcd_;
  std::string prefix_;  // <prefix>/nodes/<node>/
  nr::Node node_;
  int ttl_;
  std::chrono::seconds refresh_;
  std::string since_;

  std::mutex m_;
  std::condition_variable cv_;
  bool dirty_ = true;
  std::map<std::string, Report> reports_;
  std::map<std::string, nlohmann::json> live_;  // problems, device state, per network
  std::set<std::string> stale_;                 // live_ to recompute now
  std::set<std::string> forgotten_;             // keys/<id> to remove
  // What etcd holds under prefix_, as far as we know: value and lease.
  std::map<std::string, std::pair<std::string, int64_t>> published_;
  int64_t lease_ = 0;
};

}  // namespace zos::agent
