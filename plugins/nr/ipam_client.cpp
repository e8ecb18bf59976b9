#include "plugins/nr/ipam_client.h"

#include "common/cni/delegate.h"
#include "plugins/ipam/ipam.h"

namespace zos::nr {

std::optional<cni::Result> Ipam::call(const char* verb, const nlohmann::json& conf) const {
  if (!in_process()) {
    std::string raw = conf.dump();
    return cni::delegate(type_, verb, req_, &raw);
  }
  // The handlers read the config as a value: the raw text is only a
  // delegate's stdin, so it is neither printed nor copied here.
  cni::Request sub{req_.env, conf, "", req_.version, req_.prev};
  sub.env.command = verb;
  static const cni::Handlers h = ipam::handlers();
  std::string v = verb;
  if (v == "ADD") return h.add(sub);
  if (v == "DEL") h.del(sub);
  else if (v == "CHECK") h.check(sub);
  else if (v == "GC") h.gc(sub);
  else if (v == "STATUS") h.status(sub);
  return std::nullopt;
}

cni::Result Ipam::add(const nlohmann::json& conf) const { return *call("ADD", conf); }
void Ipam::del(const nlohmann::json& conf) const { call("DEL", conf); }
void Ipam::check(const nlohmann::json& conf) const { call("CHECK", conf); }
void Ipam::gc(const nlohmann::json& conf) const { call("GC", conf); }
void Ipam::status(const nlohmann::json& conf) const { call("STATUS", conf); }

}  // namespace zos::nr
