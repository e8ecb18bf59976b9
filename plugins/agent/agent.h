// zos-agent: a node's networks from etcd (docs/fleet.md).
//
// Reads every key under <prefix>/ at one revision (a consistent snapshot),
// hands each network to its lane, then watches from that revision + 1;
// events come in revision order and each lane works on the newest state
// of its network. A broken stream or a compacted revision starts over from
// a fresh snapshot: networks missing from it are removed, the others
// re-offered (a lane re-applies only what changed).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/etcd/etcd.h"
#include "plugins/agent/lane.h"
#include "plugins/agent/status.h"

namespace zos::agent {

struct Settings {
  etcd::Options etcd;
  std::string prefix = "/zos";
  LaneSettings lane;
  int ttl = 15;                            // lease of the node's view, seconds
  std::chrono::seconds status_interval{10};  // how often problems and handshakes are read again
};

class Agent {
 public:
  explicit Agent(Settings s);
  ~Agent();
  // Runs until `stop`; 0.
  int run(const std::atomic<bool>& stop);
  // A new WireGuard key for every NR whose key this node made (SIGHUP).
  void rotate_keys();

 private:
  // A snapshot: the view from scratch, every network (and every one this
  // node still holds) offered to its lane.
  void load(const etcd::Snapshot& snap);
  // Events in revision order.
  void apply_events(const std::vector<etcd::Event>& evs);
  // Which network a key of the watched prefix concerns, and how.
  bool note(const std::string& key, const std::string* value, std::string& network_id);
  // Hands a network's state to its lane; `ours`: make a lane even when the
  // network looks foreign (a key of ours is still published for it).
  void offer(const std::string& network_id, bool ours = false);
  bool held(const std::string& network_id) const;
  bool foreign(const std::string& network_id, const std::optional<std::string>& object) const;

  Settings s_;
  etcd::Client etcd_;
  Publisher pub_;
  std::map<std::string, std::string> networks_;                          // network id -> object text
  std::map<std::string, std::map<std::string, std::string>> keys_;       // network id -> node id -> public key
  std::mutex lanes_m_;  // lanes_: the watch thread and rotate_keys()
  std::map<std::string, std::unique_ptr<Lane>> lanes_;
};

}  // namespace zos::agent
