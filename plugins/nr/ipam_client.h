// zos-nr's IPAM: the plugin named by ipam.type, given the whole config.
//
// When the type is "zos-ipam", its code runs in this process (the same
// handlers, store and locks as the zos-ipam binary): a warm ADD then costs
// one process instead of two. Any other type is exec'd from CNI_PATH as the
// spec describes (cni::delegate).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/cni/plugin.h"

namespace zos::nr {

class Ipam {
 public:
  Ipam(std::string type, const cni::Request& req) : type_(std::move(type)), req_(req) {}
  bool in_process() const { return type_ == "zos-ipam"; }
  cni::Result add(const nlohmann::json& conf) const;
  void del(const nlohmann::json& conf) const;
  void check(const nlohmann::json& conf) const;
  void gc(const nlohmann::json& conf) const;
  void status(const nlohmann::json& conf) const;

 private:
  std::optional<cni::Result> call(const char* verb, const nlohmann::json& conf) const;
  std::string type_;
  const cni::Request& req_;
};

}  // namespace zos::nr
