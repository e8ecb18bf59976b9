// One lane per network: a thread that applies the newest state etcd gave
// for its network and nothing older, so a slow or broken object never
// holds up another network. A failed apply is retried with backoff until
// a newer state arrives; an object that cannot be read is reported and
// left alone until it changes (no crash loop, the NR as last applied stays).
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "plugins/agent/status.h"
#include "plugins/nr/config.h"

namespace zos::agent {

struct LaneSettings {
  nr::Node node;             // key_dir set: where generated keys live
  std::string networks_dir;  // local copies <network_id>.json for CNI ADD
};

// What etcd says of one network.
struct Wanted {
  std::optional<std::string> object;        // networks/<id>; none: the key is gone
  std::map<std::string, std::string> keys;  // node id -> its published public key for this network
  bool repair = false;                      // apply even when nothing changed
};

class Lane {
 public:
  Lane(std::string network_id, const LaneSettings& s, Publisher& pub);
  ~Lane();  // finishes the apply in flight, then stops
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  // Hands over the newest state (replacing one not yet taken). False when
  // the lane has finished (its network is gone from the node): make a new one.
  bool offer(Wanted w);
  // A new WireGuard key for the NR, if the node made its key: applied
  // here, then published; the peers replace the old one when they see it.
  void rotate();

 private:
  void work();
  // Applies or removes; true when it failed in a way worth retrying.
  bool process(const Wanted& w);
  void drop();
  void fail(Report& r, const std::string& what);

  std::string id_;
  const LaneSettings& s_;
  Publisher& pub_;
  std::string last_;  // the object as last applied (keys resolved), "" none
  std::optional<Wanted> current_;  // the state last taken

  std::mutex m_;
  std::condition_variable cv_;
  std::optional<Wanted> next_;
  bool stop_ = false;
  bool rotate_ = false;
  bool finished_ = false;
  std::thread t_;
};

}  // namespace zos::agent
