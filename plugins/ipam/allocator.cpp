#include "plugins/ipam/allocator.h"

#include <algorithm>

#include "common/cni/error.h"

namespace zos::ipam {

namespace {

int host_of(const model::Plan& p, const ip::Addr& a) {
  return static_cast<int>(a.v4_host() - p.subnet_v4.addr().v4_host());
}

ip::Addr host(const model::Plan& p, int h) { return ip::Addr::v4(p.subnet_v4.addr().v4_host() + static_cast<uint32_t>(h)); }

}  // namespace

std::vector<ip::Addr> Allocator::v6_for(const Request& r, const ip::Addr& v4) const {
  std::vector<ip::Addr> out;
  if (!r.want_v6.empty()) {
    for (const auto& w : r.want_v6) {
      if (!plan_.prefix.contains(w) || w == plan_.router_v6.addr() || w == plan_.prefix.addr())
        throw cni::Error(kOutOfPool,
                         "requested IPv6 " + w.str() + " is not a host address of the NR prefix " + plan_.prefix.str());
      if (!r.ranges.allows(w))
        throw cni::Error(kOutOfPool, "requested IPv6 " + w.str() + " is outside runtimeConfig.ipRanges (" +
                                         r.ranges.str(6) + ")");
      out.push_back(w);
    }
  } else {
    // With "both", the address that mirrors the IPv4 comes first: kubelet
    // keeps the first IP of each family as the pod's (docs/runtimes.md).
    if (r.v6_mode == V6Mode::kIpv4 || r.v6_mode == V6Mode::kBoth) out.push_back(model::ipv6_from_ipv4(plan_.prefix, v4));
    if (r.v6_mode == V6Mode::kEui64 || r.v6_mode == V6Mode::kBoth) {
      if (!r.mac)
        throw cni::Error(cni::kInvalidConfig,
                         "ipam.ipv6 \"eui64\"/\"both\" needs the container MAC: set runtimeConfig.mac, args.cni.mac "
                         "or CNI_ARGS MAC=, or use ipv6 \"ipv4\"");
      out.push_back(model::eui64(plan_.prefix, *r.mac));
    }
    // IPv6 ranges keep the derived addresses that fall in them.
    std::erase_if(out, [&](const ip::Addr& a) { return !r.ranges.allows(a); });
    if (out.empty() && r.v6_mode != V6Mode::kNone)
      throw cni::Error(cni::kInvalidConfig, "runtimeConfig.ipRanges: the container's IPv6 (ipam.ipv6 mode, from " +
                                                v4.str() + " or the MAC) is outside every IPv6 range (" +
                                                r.ranges.str(6) + ")");
  }
  for (const auto& mine : out)
    if (store_.v6_taken(mine))
      throw cni::Error(kAddressInUse, "IPv6 " + mine.str() + " is already leased to another attachment");
  return out;
}

Lease Allocator::allocate(const Request& r) {
  if (auto existing = store_.find(r.container_id, r.ifname)) return *existing;
  auto all = store_.taken();

  Lease lease;
  lease.container_id = r.container_id;
  lease.ifname = r.ifname;
  if (r.mac) lease.mac = model::format_mac(*r.mac);

  if (r.want_v4) {
    int h = plan_.subnet_v4.contains(*r.want_v4) ? host_of(plan_, *r.want_v4) : -1;
    if (h < model::kFirstHost || h > model::kLastHost)
      throw cni::Error(kOutOfPool, "requested IPv4 " + r.want_v4->str() + " is outside the pool " +
                                       host(plan_, model::kFirstHost).str() + "-" + host(plan_, model::kLastHost).str());
    if (!r.ranges.allows(*r.want_v4))
      throw cni::Error(kOutOfPool, "requested IPv4 " + r.want_v4->str() + " is outside runtimeConfig.ipRanges (" +
                                       r.ranges.str(4) + ")");
    lease.v4 = *r.want_v4;
    auto in_use = [&] {
      std::string who;  // a cold path: naming the holder is worth a scan
      std::vector<std::string> corrupt;
      for (const auto& l : store_.leases(&corrupt))
        if (l.v4 == lease.v4) who = " to container " + l.container_id + " interface " + l.ifname;
      return cni::Error(kAddressInUse, "requested IPv4 " + r.want_v4->str() + " is already leased" + who);
    };
    if (std::find(all.begin(), all.end(), lease.v4) != all.end()) throw in_use();
    lease.v6 = v6_for(r, lease.v4);
    if (!store_.reserve(lease)) throw in_use();
    store_.set_last_reserved(lease.v4);
    return lease;
  }

  // Round robin from the last address handed out, so a released address is
  // not reused at once (stale ARP/ND entries elsewhere).
  int start = model::kFirstHost;
  if (auto last = store_.last_reserved(); last && plan_.subnet_v4.contains(*last)) {
    int h = host_of(plan_, *last);
    if (h >= model::kFirstHost && h <= model::kLastHost) start = h + 1;
  }
  std::vector<bool> taken(256, false);
  for (const auto& a : all)
    if (plan_.subnet_v4.contains(a)) taken[host_of(plan_, a)] = true;
  const int size = model::kLastHost - model::kFirstHost + 1;
  for (int i = 0; i < size; ++i) {
    int h = model::kFirstHost + (start - model::kFirstHost + i) % size;
    if (taken[h] || !r.ranges.allows(host(plan_, h))) continue;
    lease.v4 = host(plan_, h);
    lease.v6 = v6_for(r, lease.v4);
    if (!store_.reserve(lease)) continue;  // raced with a writer outside the lock
    store_.set_last_reserved(lease.v4);
    return lease;
  }
  if (!r.ranges.v4.empty())
    throw cni::Error(kPoolExhausted, "no free IPv4 left in runtimeConfig.ipRanges (" + r.ranges.str(4) +
                                         "): remove unused containers, run CNI GC or widen the ranges");
  throw cni::Error(kPoolExhausted, "no free IPv4 left in " + plan_.subnet_v4.str() + " (all " + std::to_string(size) +
                                       " addresses are leased): remove unused containers or run CNI GC");
}

bool Allocator::release(const std::string& container_id, const std::string& ifname) {
  bool any = false;
  std::vector<std::string> corrupt;  // DEL must not fail on another's damage
  for (const auto& l : store_.leases(&corrupt))
    if (l.owned_by(container_id, ifname)) any = store_.release_lease(l) || any;
  return any;
}

std::optional<Lease> Allocator::find(const std::string& container_id, const std::string& ifname) {
  return store_.find(container_id, ifname);
}

int Allocator::free_count() {
  int used = 0;
  for (const auto& a : store_.taken())
    if (plan_.subnet_v4.contains(a)) ++used;
  return (model::kLastHost - model::kFirstHost + 1) - used;
}

}  // namespace zos::ipam
