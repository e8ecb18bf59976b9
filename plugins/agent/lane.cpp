#include "plugins/agent/lane.h"

#include <algorithm>
#include <chrono>

#include "common/cni/error.h"
#include "common/log/log.h"
#include "common/sys/file.h"
#include "plugins/agent/keys.h"
#include "plugins/nr/keys.h"
#include "plugins/nr/mesh.h"
#include "plugins/nr/resource.h"
#include "plugins/nr/state.h"

namespace zos::agent {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr auto kRetryMin = 1s;
constexpr auto kRetryMax = 30s;

// Errors that another try of the same object cannot fix: it must change.
bool permanent(int code) {
  return code == cni::kInvalidConfig || code == nr::kNameClash || code == nr::kStaleVersion ||
         code == nr::kNoResource;
}

}  // namespace

Lane::Lane(std::string network_id, const LaneSettings& s, Publisher& pub)
    : id_(std::move(network_id)), s_(s), pub_(pub), t_([this] { work(); }) {}

Lane::~Lane() {
  {
    std::lock_guard l(m_);
    stop_ = true;
  }
  cv_.notify_all();
  t_.join();
}

bool Lane::offer(Wanted w) {
  {
    std::lock_guard l(m_);
    if (finished_) return false;
    if (next_ && next_->repair) w.repair = true;
    next_ = std::move(w);
  }
  cv_.notify_all();
  return true;
}

void Lane::rotate() {
  {
    std::lock_guard l(m_);
    rotate_ = true;
  }
  cv_.notify_all();
}

void Lane::work() {
  auto backoff = kRetryMin;
  std::optional<Wanted> retry;
  for (;;) {
    Wanted w;
    {
      std::unique_lock l(m_);
      if (retry) {
        cv_.wait_for(l, backoff, [&] { return stop_ || next_ || rotate_; });
      } else {
        cv_.wait(l, [&] { return stop_ || next_ || rotate_; });
      }
      if (stop_) return;
      bool rotating = rotate_ && !next_;  // a newer state first; the rotation follows
      if (rotating) rotate_ = false;
      if (rotating && current_ && current_->object && !last_.empty() && s_.node.key_file.empty() &&
          sys::read_file(nr::key_path(s_.node.key_dir, id_))) {
        w = *current_;
        w.repair = true;
        l.unlock();
        rotate_key(s_.node.key_dir, id_);
        spdlog::info("network {}: a new WireGuard key", id_);
      } else if (next_) {
        w = std::move(*next_);
        next_.reset();
        backoff = kRetryMin;
      } else if (retry) {
        w = *retry;  // nothing newer came: the same state again
        w.repair = true;
        backoff = std::min(backoff * 2, std::chrono::duration_cast<decltype(backoff)>(kRetryMax));
      } else {
        continue;  // a rotation with nothing to rotate
      }
    }
    retry.reset();
    current_ = w;
    if (process(w)) {
      retry = w;
      continue;
    }
    if (!w.object) {
      std::lock_guard l(m_);
      if (!next_) {
        finished_ = true;  // the network left the node; a new lane takes it if it comes back
        return;
      }
    }
  }
}

void Lane::fail(Report& r, const std::string& what) {
  spdlog::error("network {}: {}", id_, what);
  r.error = what;
  pub_.report(id_, r);
}

void Lane::drop() {
  std::string copy = s_.networks_dir + "/" + id_ + ".json";
  // The local copy first: from here on a CNI ADD no longer builds the NR.
  bool had_copy = sys::remove_if_exists(copy);
  auto ap = nr::State(s_.node.data_dir).applied(id_);
  if (ap && ap->node_id == s_.node.id) {
    nr::remove(s_.node, model::Network::parse(ap->network));
    spdlog::info("network {}: the NR is removed", id_);
  }
  if (drop_key(s_.node.key_dir, id_)) spdlog::info("network {}: its private key is removed", id_);
  if (ap || had_copy) spdlog::info("network {}: gone from this node", id_);
  pub_.forget(id_);
  last_.clear();
}

bool Lane::process(const Wanted& w) {
  Report r;
  try {
    if (!w.object) {
      drop();
      return false;
    }
    json j = json::parse(*w.object, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      fail(r, "the object in etcd is not a JSON object");
      return false;
    }
    model::Network net = model::Network::parse(j);
    r.wanted_version = net.version;
    if (net.network_id != id_) {
      fail(r, "the object under networks/" + id_ + " is network \"" + net.network_id + "\": the key must be its network_id");
      return false;
    }
    if (!net.resource_of(s_.node.id)) {
      drop();
      return false;
    }
    std::optional<wg::Key> own;
    if (s_.node.key_file.empty() && needs_local_key(net, s_.node.id)) own = ensure_key(s_.node.key_dir, id_);
    json eff = resolve_keys(j, net, s_.node.id, own, w.keys, r.waiting);
    model::Network effnet = model::Network::parse(eff);
    const auto* mine = effnet.resource_of(s_.node.id);
    for (const auto& p : mine->peers)
      if (p.prefix.network().str() == mine->prefix.network().str()) r.public_key = p.connection.key;
    std::string text = eff.dump();
    if (text != last_ || w.repair) {
      auto t0 = std::chrono::steady_clock::now();
      nr::apply(s_.node, effnet, nr::ApplyMode::kConverge);
      // 0600: it holds a private key when the object itself carried one.
      sys::write_file_atomic(s_.networks_dir + "/" + id_ + ".json", eff.dump(2) + "\n", 0600);
      last_ = text;
      spdlog::info("network {}: version {} applied in {} ms{}", id_, net.version,
                   std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count(),
                   r.waiting.empty() ? "" : fmt::format(" ({} peer(s) wait for their key)", r.waiting.size()));
    }
    r.applied = net.version;
    pub_.report(id_, r);
    return false;
  } catch (const cni::Error& e) {
    if (auto ap = nr::State(s_.node.data_dir).applied(id_)) r.applied = ap->version;
    fail(r, e.msg());
    return !permanent(e.code());
  } catch (const std::exception& e) {
    if (auto ap = nr::State(s_.node.data_dir).applied(id_)) r.applied = ap->version;
    fail(r, e.what());
    return true;
  }
}

}  // namespace zos::agent
