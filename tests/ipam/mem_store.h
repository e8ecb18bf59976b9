// The allocator's store in memory, for its unit tests (allocator_test.cpp,
// ranges_test.cpp): the product has only DiskStore (plugins/ipam/store.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plugins/ipam/store.h"

namespace zos::test::ipam {

class MemStore : public zos::ipam::Store {
 public:
  using Lease = zos::ipam::Lease;
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

}  // namespace zos::test::ipam
