#include "plugins/ipam/ipam.h"

#include <unistd.h>

#include <algorithm>

#include "common/log/log.h"
#include "common/sys/file.h"
#include "common/sys/syscall.h"
#include "plugins/ipam/config.h"
#include "zos_version.h"

namespace zos::ipam {

namespace {

// Storage problems are the operator's to fix: say where.
template <typename F>
auto with_store(const std::string& dir, F&& f) {
  try {
    return f();
  } catch (const sys::SysError& e) {
    throw cni::Error(cni::kIoFailure, "lease store " + dir + ": " + e.what() +
                                          " (check that dataDir exists, is writable and has space)");
  }
}

cni::Result add(const cni::Request& req) {
  Config cfg = parse_config(req, true);
  auto plan = model::Plan::of(*cfg.prefix, 0);
  Request want = attachment_request(req, cfg);
  if (const auto* ranges = req.runtime_config("ipRanges")) want.ranges = parse_ip_ranges(*ranges, plan);
  std::string dir = cfg.pool_dir(plan);
  Lease lease = with_store(dir, [&] {
    DiskStore store(dir);
    Allocator alloc(store, plan);
    return alloc.allocate(want);
  });
  spdlog::info("ADD {}/{}: {}", req.env.container_id, req.env.ifname, lease.v4.str());

  cni::Result res;
  res.ips.push_back({ip::Prefix(lease.v4, 24), plan.router_v4.addr(), std::nullopt});
  for (const auto& a : lease.v6) res.ips.push_back({ip::Prefix(a, 64), plan.router_v6.addr(), std::nullopt});
  if (cfg.routes) {
    res.routes = *cfg.routes;
  } else {
    res.routes.push_back({*ip::Prefix::parse("0.0.0.0/0"), plan.router_v4.addr()});
    if (!lease.v6.empty()) res.routes.push_back({*ip::Prefix::parse("::/0"), plan.router_v6.addr()});
  }
  return res;
}

// Every pool this network config has leases in.
std::vector<std::string> pool_dirs(const Config& cfg) {
  std::vector<std::string> out;
  for (const auto& name : sys::list_dir(cfg.pools_dir())) out.push_back(cfg.pools_dir() + "/" + name);
  return out;
}

// Drops the leases of every attachment `drop` says to, in every pool; a
// corrupt file of someone else's is left for the operator and reported.
template <typename Pred>
std::vector<std::string> release_where(const Config& cfg, Pred drop, bool orphans = false) {
  std::vector<std::string> problems;
  for (const auto& dir : pool_dirs(cfg)) {
    try {
      with_store(dir, [&] {
        DiskStore store(dir);
        std::vector<std::string> corrupt;
        for (const auto& l : store.leases(&corrupt))
          if (drop(l)) {
            store.release_lease(l);
            spdlog::info("released {} of {}/{}", l.v4.str(), l.container_id, l.ifname);
          }
        if (orphans) {
          // GC: a file no valid lease owns (corrupt ones included) goes.
          for (const auto& c : corrupt)
            if (c.find("/owners/") != std::string::npos) sys::remove_if_exists(c);
          for (const auto& o : store.remove_orphans()) spdlog::warn("GC removed {}, which no lease owned", o);
        } else {
          for (const auto& c : corrupt) spdlog::warn("corrupt lease file {}: remove it if no container uses it", c);
        }
        return 0;
      });
    } catch (const cni::Error& e) {
      problems.push_back(e.msg());
    }
  }
  return problems;
}

void del(const cni::Request& req) {
  // DEL needs no prefix: it must work when the network object is gone. The
  // attachment's lease is found by its owner name in each pool: no scan.
  Config cfg = parse_config(req, false);
  for (const auto& dir : pool_dirs(cfg)) {
    with_store(dir, [&] {
      DiskStore store(dir);
      try {
        if (auto l = store.find(req.env.container_id, req.env.ifname)) {
          store.release_lease(*l);
          spdlog::info("released {} of {}/{}", l->v4.str(), l->container_id, l->ifname);
        }
      } catch (const cni::Error& e) {
        // Runtimes retry a failed DEL forever: a corrupt lease of this very
        // attachment goes, with every name linked to it.
        if (e.code() != cni::kDecodeFailure) throw;
        spdlog::warn("DEL: {}; removing it", e.msg());
        store.forget(req.env.container_id, req.env.ifname);
      }
      return 0;
    });
  }
}

void check(const cni::Request& req) {
  Config cfg = parse_config(req, true);
  auto plan = model::Plan::of(*cfg.prefix, 0);
  std::string dir = cfg.pool_dir(plan);
  auto lease = with_store(dir, [&] {
    DiskStore store(dir);
    return store.verify(req.env.container_id, req.env.ifname);
  });
  if (!lease)
    throw cni::Error(kNotReserved, "no lease for container " + req.env.container_id + " interface " + req.env.ifname +
                                       " in " + dir);
  std::vector<ip::Addr> mine{lease->v4};
  mine.insert(mine.end(), lease->v6.begin(), lease->v6.end());
  std::vector<ip::Addr> prev;
  for (const auto& ipc : req.prev->ips)
    if (plan.subnet_v4.contains(ipc.address.addr()) || plan.prefix.contains(ipc.address.addr()))
      prev.push_back(ipc.address.addr());
  for (const auto& a : mine)
    if (std::find(prev.begin(), prev.end(), a) == prev.end())
      throw cni::Error(kNotReserved, "leased address " + a.str() + " is missing from prevResult");
  for (const auto& a : prev)
    if (std::find(mine.begin(), mine.end(), a) == mine.end())
      throw cni::Error(kNotReserved, "prevResult address " + a.str() + " is not leased to container " +
                                         req.env.container_id + " interface " + req.env.ifname);
}

void gc(const cni::Request& req) {
  Config cfg = parse_config(req, false);
  auto valid = cni::valid_attachments(req.conf);
  auto problems = release_where(
      cfg,
      [&](const Lease& l) {
        for (const auto& a : valid)
          if (l.owned_by(a.container_id, a.ifname)) return false;
        return true;
      },
      true);
  if (!problems.empty()) {
    std::string msg = "GC finished with " + std::to_string(problems.size()) + " problem(s): ";
    for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
    throw cni::Error(cni::kIoFailure, msg);
  }
}

void status(const cni::Request& req) {
  Config cfg;
  try {
    cfg = parse_config(req, true);
  } catch (const cni::Error& e) {
    throw cni::Error(cni::kUnavailable, "not ready: " + e.msg());
  }
  auto plan = model::Plan::of(*cfg.prefix, 0);
  std::string dir = cfg.pool_dir(plan);
  int free = 0;
  try {
    free = with_store(dir, [&] {
      DiskStore store(dir);
      if (::access(dir.c_str(), W_OK) != 0) sys::throw_errno("access " + dir);
      Allocator alloc(store, plan);
      return alloc.free_count();
    });
  } catch (const cni::Error& e) {
    throw cni::Error(cni::kUnavailable, "not ready: " + e.msg());
  }
  if (free == 0) throw cni::Error(cni::kUnavailable, "not ready: the pool " + plan.subnet_v4.str() + " is exhausted");
}

}  // namespace

cni::Handlers handlers() {
  return {add, del, check, gc, status,
          "zos-ipam " ZOS_VERSION " (" ZOS_BUILD "): CNI IPAM for Zero-OS network resources, CNI 0.1.0-1.1.0"};
}

}  // namespace zos::ipam
