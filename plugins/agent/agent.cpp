#include "plugins/agent/agent.h"

#include <set>
#include <thread>

#include "common/cni/env.h"
#include "common/log/log.h"
#include "common/sys/file.h"
#include "plugins/nr/keys.h"
#include "plugins/nr/mesh.h"
#include "plugins/nr/state.h"

namespace zos::agent {

using namespace std::chrono_literals;

namespace {

constexpr auto kBackoffMin = 200ms;
constexpr auto kBackoffMax = 5s;

// Sleeps up to `d`, waking early when `stop` is set.
void nap(std::chrono::milliseconds d, const std::atomic<bool>& stop) {
  for (auto end = std::chrono::steady_clock::now() + d; !stop.load() && std::chrono::steady_clock::now() < end;)
    std::this_thread::sleep_for(50ms);
}

}  // namespace

Agent::Agent(Settings s)
    : s_(std::move(s)), etcd_(s_.etcd),
      pub_(etcd_, s_.prefix + "/nodes/" + s_.lane.node.id + "/", s_.lane.node, s_.ttl, s_.status_interval) {
  sys::make_dirs(s_.lane.networks_dir);
  sys::make_dirs(s_.lane.node.key_dir, 0700);
}

Agent::~Agent() {
  std::lock_guard l(lanes_m_);
  lanes_.clear();
}

void Agent::rotate_keys() {
  std::lock_guard l(lanes_m_);
  for (auto& [id, lane] : lanes_) lane->rotate();
}

bool Agent::note(const std::string& key, const std::string* value, std::string& id) {
  std::string base = s_.prefix + "/";
  if (key.rfind(base, 0) != 0) return false;
  std::string rest = key.substr(base.size());
  if (rest.rfind("networks/", 0) == 0) {
    id = rest.substr(9);
    if (!cni::valid_network_name(id)) {
      spdlog::warn("ignoring {}: \"{}\" is not a valid network id", key, id);
      return false;
    }
    if (value) networks_[id] = *value;
    else networks_.erase(id);
    return true;
  }
  // nodes/<node>/keys/<network>
  if (rest.rfind("nodes/", 0) != 0) return false;
  auto slash = rest.find('/', 6);
  if (slash == std::string::npos || rest.compare(slash, 6, "/keys/") != 0) return false;
  std::string node = rest.substr(6, slash - 6);
  id = rest.substr(slash + 6);
  if (node == s_.lane.node.id) return false;  // our own, written by us
  if (value) keys_[id][node] = *value;
  else keys_[id].erase(node);
  return networks_.count(id) > 0;
}

// Whether this node holds anything of a network: a local copy, an applied
// NR, a key it made.
bool Agent::held(const std::string& id) const {
  return sys::read_file(s_.lane.networks_dir + "/" + id + ".json") ||
         nr::State(s_.lane.node.data_dir).applied(id) || sys::read_file(nr::key_path(s_.lane.node.key_dir, id));
}

// A network that is readable, has no resource for this node and of which
// the node holds nothing needs no lane (a fleet has many such networks).
bool Agent::foreign(const std::string& id, const std::optional<std::string>& object) const {
  if (object) {
    auto j = nlohmann::json::parse(*object, nullptr, false);
    if (j.is_discarded()) return false;  // its lane reports it
    try {
      if (model::Network::parse(j).resource_of(s_.lane.node.id)) return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  return !held(id);
}

void Agent::offer(const std::string& id, bool ours) {
  Wanted w;
  if (auto it = networks_.find(id); it != networks_.end()) w.object = it->second;
  if (auto it = keys_.find(id); it != keys_.end()) w.keys = it->second;
  std::lock_guard l(lanes_m_);
  auto& lane = lanes_[id];
  if (lane && lane->offer(w)) return;
  if (!ours && foreign(id, w.object)) {  // no lane, or one that finished
    lanes_.erase(id);
    return;
  }
  lane = std::make_unique<Lane>(id, s_.lane, pub_);
  lane->offer(std::move(w));
}

void Agent::load(const etcd::Snapshot& snap) {
  std::set<std::string> ids;
  {
    std::lock_guard l(lanes_m_);
    for (const auto& [id, lane] : lanes_) ids.insert(id);
  }
  for (const auto& [id, t] : networks_) ids.insert(id);
  networks_.clear();
  keys_.clear();
  std::string own = s_.prefix + "/nodes/" + s_.lane.node.id + "/";
  std::map<std::string, std::pair<std::string, int64_t>> mine;
  std::set<std::string> published;  // networks this node published a key for
  for (const auto& kv : snap.kvs) {
    if (kv.key.rfind(own, 0) == 0) {
      std::string rel = kv.key.substr(own.size());
      mine[rel] = {kv.value, kv.lease};
      if (rel.rfind("keys/", 0) == 0) published.insert(rel.substr(5));  // maybe of a network gone meanwhile
      continue;
    }
    std::string id;
    note(kv.key, &kv.value, id);
  }
  pub_.adopt(std::move(mine));
  for (const auto& [id, t] : networks_) ids.insert(id);
  // What this node holds from earlier runs: the local copies.
  for (const auto& f : sys::list_dir(s_.lane.networks_dir))
    if (f.size() > 5 && f.compare(f.size() - 5, 5, ".json") == 0) ids.insert(f.substr(0, f.size() - 5));
  ids.insert(published.begin(), published.end());
  for (const auto& id : ids)
    if (cni::valid_network_name(id)) offer(id, published.count(id) > 0);
  spdlog::info("snapshot at revision {}: {} network(s) in etcd", snap.revision, networks_.size());
}

void Agent::apply_events(const std::vector<etcd::Event>& evs) {
  std::set<std::string> touched;
  for (const auto& e : evs) {
    std::string id;
    if (note(e.kv.key, e.deleted ? nullptr : &e.kv.value, id)) touched.insert(id);
  }
  for (const auto& id : touched) offer(id);
}

int Agent::run(const std::atomic<bool>& stop) {
  std::thread publisher([&] { pub_.run(stop); });
  auto backoff = kBackoffMin;
  std::string watched = s_.prefix + "/";
  while (!stop.load()) {
    try {
      auto snap = etcd_.range_prefix(watched);
      load(snap);
      backoff = kBackoffMin;
      int64_t rev = snap.revision;
      auto end = etcd_.watch_prefix(
          watched, rev + 1,
          [&](const std::vector<etcd::Event>& evs, int64_t r) {
            apply_events(evs);
            rev = r;
          },
          stop);
      if (end.kind == etcd::WatchEnd::kStopped) break;
      if (end.kind == etcd::WatchEnd::kCompacted)
        spdlog::warn("revision {} is compacted (oldest kept {}): a fresh snapshot", rev + 1, end.compact_revision);
      else
        spdlog::warn("the watch ended at revision {} ({}): a fresh snapshot", rev, end.reason);
    } catch (const std::exception& e) {
      spdlog::warn("etcd: {} (again in {} ms; the NRs stay as applied)", e.what(),
                   std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count());
    }
    nap(std::chrono::duration_cast<std::chrono::milliseconds>(backoff), stop);
    backoff = std::min(backoff * 2, std::chrono::duration_cast<decltype(backoff)>(kBackoffMax));
  }
  pub_.wake();
  publisher.join();
  return 0;
}

}  // namespace zos::agent
