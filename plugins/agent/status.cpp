#include "plugins/agent/status.h"

#include <ctime>

#include "common/log/log.h"
#include "plugins/nr/mesh.h"
#include "plugins/nr/resource.h"
#include "plugins/nr/state.h"
#include "zos_version.h"

namespace zos::agent {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool same_prefix(const ip::Prefix& a, const ip::Prefix& b) { return a.network().str() == b.network().str(); }

// What the node sees of an applied NR: zos-nr show's problems, and the
// WireGuard device as it runs.
json live_of(const nr::Node& node, const std::string& id) {
  json live = json::object();
  auto ap = nr::State(node.data_dir).applied(id);
  if (!ap) return live;
  try {
    auto net = model::Network::parse(ap->network);
    auto r = nr::resolve(net, node.id);
    live["namespace"] = r.plan.netns;
    live["problems"] = nr::problems(node, r);
    json endpoints = json::array();
    std::map<std::string, std::string> prefix_of;  // peer public key -> its prefix
    for (const auto& p : r.nr.peers) {
      if (same_prefix(p.prefix, r.nr.prefix)) {
        if (p.connection.ip && !p.connection.ip->empty() && p.connection.port)
          endpoints.push_back((p.connection.ip->is_v6() ? "[" + p.connection.ip->str() + "]" : p.connection.ip->str()) +
                              ":" + std::to_string(p.connection.port));
      } else {
        prefix_of[p.connection.key] = p.prefix.str();
      }
    }
    live["endpoints"] = endpoints;
    if (auto dev = nr::mesh_state(node, r)) {
      if (dev->public_key) live["public_key"] = wg::key_to_base64(*dev->public_key);
      live["listen_port"] = dev->listen_port;
      json peers = json::array();
      for (const auto& p : dev->peers) {
        std::string k = wg::key_to_base64(p.public_key);
        json pj = {{"public_key", k}, {"prefix", prefix_of.count(k) ? prefix_of[k] : ""}};
        pj["last_handshake"] = p.last_handshake ? json(std::chrono::duration_cast<std::chrono::seconds>(
                                                          p.last_handshake->time_since_epoch()).count())
                                                : json(nullptr);
        peers.push_back(pj);
      }
      live["peers"] = peers;
    }
  } catch (const std::exception& e) {
    live["problems"] = json::array({std::string("cannot read the applied object: ") + e.what()});
  }
  return live;
}

}  // namespace

Publisher::Publisher(etcd::Client& etcd, std::string node_prefix, nr::Node node, int ttl, std::chrono::seconds refresh)
    : etcd_(etcd), prefix_(std::move(node_prefix)), node_(std::move(node)), ttl_(ttl), refresh_(refresh),
      since_(utc_now()) {}

void Publisher::report(const std::string& id, Report r) {
  {
    std::lock_guard l(m_);
    reports_[id] = std::move(r);
    forgotten_.erase(id);
    stale_.insert(id);
    dirty_ = true;
  }
  cv_.notify_all();
}

void Publisher::forget(const std::string& id) {
  {
    std::lock_guard l(m_);
    reports_.erase(id);
    live_.erase(id);
    forgotten_.insert(id);
    dirty_ = true;
  }
  cv_.notify_all();
}

void Publisher::adopt(std::map<std::string, std::pair<std::string, int64_t>> present) {
  {
    std::lock_guard l(m_);
    published_ = std::move(present);
    dirty_ = true;
  }
  cv_.notify_all();
}

void Publisher::wake() { cv_.notify_all(); }

json Publisher::status_of(const std::string& id, const Report& r) const {
  json s = {{"version", r.wanted_version}, {"applied", r.applied ? json(*r.applied) : json(nullptr)}};
  if (!r.error.empty()) s["error"] = r.error;
  if (!r.waiting.empty()) s["waiting_for_keys"] = r.waiting;
  if (auto it = live_.find(id); it != live_.end())
    for (const auto& [k, v] : it->second.items()) s[k] = v;
  return s;
}

// Recomputes the live part of the networks marked stale (all of them when
// `all`), outside the lock: netlink and WireGuard queries take a while.
void Publisher::refresh_live(bool all) {
  std::set<std::string> ids;
  {
    std::lock_guard l(m_);
    if (all)
      for (const auto& [id, r] : reports_) ids.insert(id);
    else
      ids.swap(stale_);
  }
  std::map<std::string, json> got;
  for (const auto& id : ids) got[id] = live_of(node_, id);
  std::lock_guard l(m_);
  for (auto& [id, j] : got)
    if (reports_.count(id) && live_[id] != j) {
      live_[id] = std::move(j);
      dirty_ = true;
    }
}

void Publisher::flush() {
  std::map<std::string, std::pair<std::string, int64_t>> want;
  std::set<std::string> drop;
  {
    std::lock_guard l(m_);
    if (!dirty_) return;
    want["alive"] = {json{{"agent", ZOS_VERSION}, {"since", since_}}.dump(), lease_};
    for (const auto& [id, r] : reports_) {
      want["status/" + id] = {status_of(id, r).dump(), lease_};
      if (!r.public_key.empty()) want["keys/" + id] = {r.public_key, 0};
    }
    for (const auto& [k, v] : published_)
      if (!want.count(k) && (k.rfind("keys/", 0) != 0 || forgotten_.count(k.substr(5)))) drop.insert(k);
    for (auto it = forgotten_.begin(); it != forgotten_.end();)  // nothing of ours in etcd: done
      it = published_.count("keys/" + *it) ? std::next(it) : forgotten_.erase(it);
    dirty_ = false;
  }
  try {
    for (const auto& [k, v] : want) {
      bool same;
      {
        std::lock_guard l(m_);
        auto it = published_.find(k);
        same = it != published_.end() && it->second == v;
      }
      if (same) continue;
      etcd_.put(prefix_ + k, v.first, v.second);
      std::lock_guard l(m_);
      published_[k] = v;
    }
    for (const auto& k : drop) {
      etcd_.remove(prefix_ + k);
      std::lock_guard l(m_);
      published_.erase(k);
      if (k.rfind("keys/", 0) == 0) forgotten_.erase(k.substr(5));
    }
  } catch (...) {
    std::lock_guard l(m_);
    dirty_ = true;
    throw;
  }
}

void Publisher::run(const std::atomic<bool>& stop) {
  auto next_keepalive = Clock::now();
  auto next_refresh = Clock::now();
  auto keep_every = std::chrono::seconds(std::max(1, ttl_ / 3));
  bool failing = false;
  while (!stop.load()) {
    try {
      if (!lease_) {
        int64_t id = etcd_.grant(ttl_);
        std::lock_guard l(m_);
        lease_ = id;
        // What sat on an older lease is gone with it: write it again.
        for (auto it = published_.begin(); it != published_.end();)
          it = it->second.second != 0 ? published_.erase(it) : std::next(it);
        dirty_ = true;
        next_keepalive = Clock::now() + keep_every;
        spdlog::info("lease {:x} granted ({} s)", id, ttl_);
      } else if (Clock::now() >= next_keepalive) {
        if (etcd_.keepalive(lease_) <= 0) {
          spdlog::warn("lease {:x} expired: granting a new one", lease_);
          std::lock_guard l(m_);
          lease_ = 0;
          continue;
        }
        next_keepalive = Clock::now() + keep_every;
      }
      bool all = Clock::now() >= next_refresh;
      if (all) next_refresh = Clock::now() + refresh_;
      refresh_live(all);
      flush();
      if (failing) spdlog::info("the node's view is published again ({})", etcd_.endpoint());
      failing = false;
    } catch (const std::exception& e) {
      if (!failing) spdlog::warn("cannot publish the node's view: {}", e.what());
      failing = true;
      next_keepalive = Clock::now() + std::chrono::seconds(1);
    }
    std::unique_lock l(m_);
    auto until = std::min({next_keepalive, next_refresh, Clock::now() + std::chrono::seconds(1)});
    cv_.wait_until(l, until, [&] { return stop.load() || ((dirty_ || !stale_.empty()) && !failing); });
  }
}

}  // namespace zos::agent
