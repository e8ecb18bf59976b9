// Where leases live. The allocator sees only this interface; DiskStore is the
// real one (a file per address, published with link(), a flock per pool). The
// allocator's unit tests use an in-memory one (tests/ipam/mem_store.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/ip/ip.h"
#include "common/sys/file.h"

namespace zos::ipam {

struct Lease {
  ip::Addr v4;
  std::string container_id;
  std::string ifname;
  std::vector<ip::Addr> v6;
  std::string mac;
  bool owned_by(const std::string& id, const std::string& ifn) const { return container_id == id && ifname == ifn; }
};

// One pool's leases. Callers hold the pool's lock for the store's lifetime.
class Store {
 public:
  virtual ~Store() = default;
  // All leases. A lease file that cannot be read raises cni::Error(6), or,
  // when `corrupt` is given, is skipped and its path appended there.
  virtual std::vector<Lease> leases(std::vector<std::string>* corrupt = nullptr) = 0;
  // false when the IPv4 is already leased.
  virtual bool reserve(const Lease& l) = 0;
  // false when it was not leased.
  virtual bool release(const ip::Addr& v4) = 0;
  // Releases every address of a lease; false when nothing was left.
  virtual bool release_lease(const Lease& l) { return release(l.v4); }
  // The lease of one attachment, nullopt when it has none.
  virtual std::optional<Lease> find(const std::string& container_id, const std::string& ifname) {
    for (auto& l : leases())
      if (l.owned_by(container_id, ifname)) return l;
    return std::nullopt;
  }
  // Every IPv4 in use.
  virtual std::vector<ip::Addr> taken() {
    std::vector<ip::Addr> out;
    for (const auto& l : leases()) out.push_back(l.v4);
    return out;
  }
  // Whether an IPv6 is leased to anyone.
  virtual bool v6_taken(const ip::Addr& a) {
    for (const auto& l : leases())
      for (const auto& x : l.v6)
        if (x == a) return true;
    return false;
  }
  // The allocator's round-robin hint.
  virtual std::optional<ip::Addr> last_reserved() = 0;
  virtual void set_last_reserved(const ip::Addr& a) = 0;
};

// One pool in a folder. A lease is one file (JSON: containerID, ifname,
// ipv6, mac) under several names, all hard links to the same inode:
//   <dir>/<ipv4>             the address (what host-local also has)
//   <dir>/v6/<ipv6>          each IPv6 address
//   <dir>/owners/<hash>      the attachment (hash of container id + ifname)
// Every name is published with link(), which fails when it exists, so an
// address is never handed out twice; lookups by owner and the set of taken
// addresses need no file reads, so the 250th ADD costs what the first does.
// A killed writer leaves at most a partial set of names: the owner name is
// linked first and removed last, and find() completes or drops the rest.
// <dir>/lock is the pool's flock (taken by the constructor), <dir>/last_reserved
// the round-robin hint (rewritten in place: see set_last_reserved()).
// A warm ADD lists <dir> once (taken(), which also drops what killed
// writers left there) and looks its IPv6 names up one by one.
class DiskStore : public Store {
 public:
  explicit DiskStore(std::string dir);
  std::vector<Lease> leases(std::vector<std::string>* corrupt = nullptr) override;
  std::optional<Lease> find(const std::string& container_id, const std::string& ifname) override;
  std::vector<ip::Addr> taken() override;
  bool v6_taken(const ip::Addr& a) override;
  bool reserve(const Lease& l) override;
  bool release(const ip::Addr& v4) override;
  bool release_lease(const Lease& l) override;
  // CHECK: the lease of an attachment as it is on disk, without repairing;
  // cni::Error(103) naming a missing or foreign name.
  std::optional<Lease> verify(const std::string& container_id, const std::string& ifname);
  // DEL of an attachment whose own lease file is corrupt: drops the file
  // and every name linked to it. False when there was none.
  bool forget(const std::string& container_id, const std::string& ifname);
  // GC: removes address names that no lease owns (left by hand or by a crash).
  std::vector<std::string> remove_orphans();
  std::optional<ip::Addr> last_reserved() override;
  void set_last_reserved(const ip::Addr& a) override;
  const std::string& dir() const { return dir_; }

 private:
  std::string owner_path(const std::string& container_id, const std::string& ifname) const;
  std::vector<std::string> names_of(const Lease& l) const;  // address names, v4 first
  std::optional<Lease> read_lease(const std::string& path, std::vector<std::string>* corrupt);
  // The names in <dir>, less the leftovers of killed writers (removed).
  std::vector<std::string> scan();
  // last_reserved's size as last_reserved() read it (0: absent), under the
  // pool's lock: set_last_reserved() then knows no longer file is to cut.
  std::optional<size_t> hint_size_;
  std::string dir_;
  sys::FileLock lock_;
};

}  // namespace zos::ipam
