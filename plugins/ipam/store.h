// Where leases live. The allocator sees only this interface; DiskStore is the
// real one (a file per address, published with link(), a flock per pool) and
// MemStore the in-memory fake for unit tests.
#pragma once

#include <map>
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
  // The allocator's round-robin hint.
  virtual std::optional<ip::Addr> last_reserved() = 0;
  virtual void set_last_reserved(const ip::Addr& a) = 0;
};

class MemStore : public Store {
 public:
  std::vector<Lease> leases(std::vector<std::string>* = nullptr) override {
    std::vector<Lease> out;
    for (auto& [k, v] : leases_) out.push_back(v);
    return out;
  }
  bool reserve(const Lease& l) override { return leases_.emplace(l.v4, l).second; }
  bool release(const ip::Addr& v4) override { return leases_.erase(v4) > 0; }
  std::optional<ip::Addr> last_reserved() override { return last_; }
  void set_last_reserved(const ip::Addr& a) override { last_ = a; }

 private:
  std::map<ip::Addr, Lease> leases_;
  std::optional<ip::Addr> last_;
};

// <dir>/<ipv4>: one JSON file per lease, <dir>/lock: the pool's flock,
// <dir>/last_reserved: the hint. Constructing it takes the lock.
class DiskStore : public Store {
 public:
  explicit DiskStore(std::string dir);
  std::vector<Lease> leases(std::vector<std::string>* corrupt = nullptr) override;
  bool reserve(const Lease& l) override;
  bool release(const ip::Addr& v4) override;
  std::optional<ip::Addr> last_reserved() override;
  void set_last_reserved(const ip::Addr& a) override;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  sys::FileLock lock_;
};

}  // namespace zos::ipam
