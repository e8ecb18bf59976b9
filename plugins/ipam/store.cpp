#include "plugins/ipam/store.h"

#include <nlohmann/json.hpp>

#include "common/cni/error.h"
#include "common/sys/fault.h"

namespace zos::ipam {

using nlohmann::json;

namespace {

std::string prepare(const std::string& dir) {
  sys::make_dirs(dir, 0700);
  return dir + "/lock";
}

}  // namespace

DiskStore::DiskStore(std::string dir) : dir_(std::move(dir)), lock_(prepare(dir_)) {
  // Under the lock no writer is in flight: leftovers are from killed ones.
  sys::clean_temp_files(dir_);
}

std::vector<Lease> DiskStore::leases(std::vector<std::string>* corrupt) {
  std::vector<Lease> out;
  for (const auto& name : sys::list_dir(dir_)) {
    auto v4 = ip::Addr::parse(name);
    if (!v4 || !v4->is_v4()) continue;  // lock, last_reserved, ...
    std::string path = dir_ + "/" + name;
    auto text = sys::read_file(path);
    if (!text) continue;  // released between readdir and open
    json j = json::parse(*text, nullptr, false);
    Lease l;
    l.v4 = *v4;
    bool ok = j.is_object() && j.value("containerID", json()).is_string() && j.value("ifname", json()).is_string();
    if (ok) {
      l.container_id = j["containerID"];
      l.ifname = j["ifname"];
      l.mac = j.value("mac", "");
      for (const auto& a : j.value("ipv6", json::array())) {
        auto v6 = a.is_string() ? ip::Addr::parse(a.get<std::string>()) : std::nullopt;
        if (!v6) ok = false;
        else l.v6.push_back(*v6);
      }
    }
    if (!ok && corrupt) {
      corrupt->push_back(path);
      continue;
    }
    if (!ok)
      throw cni::Error(cni::kDecodeFailure, "lease file " + path + " is corrupt: if no container uses " + name +
                                                ", remove the file; otherwise restore it as {\"containerID\", \"ifname\"}");
    out.push_back(std::move(l));
  }
  return out;
}

bool DiskStore::reserve(const Lease& l) {
  json j = {{"containerID", l.container_id}, {"ifname", l.ifname}};
  if (!l.mac.empty()) j["mac"] = l.mac;
  json v6 = json::array();
  for (const auto& a : l.v6) v6.push_back(a.str());
  j["ipv6"] = v6;
  sys::fault_point("ipam-before-reserve");
  bool ok = sys::create_file_exclusive(dir_ + "/" + l.v4.str(), j.dump() + "\n", 0600);
  sys::fault_point("ipam-after-reserve");
  return ok;
}

bool DiskStore::release(const ip::Addr& v4) { return sys::remove_if_exists(dir_ + "/" + v4.str()); }

std::optional<ip::Addr> DiskStore::last_reserved() {
  auto text = sys::read_file(dir_ + "/last_reserved");
  if (!text) return std::nullopt;
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return ip::Addr::parse(*text);  // a damaged hint is only a hint: ignore it
}

void DiskStore::set_last_reserved(const ip::Addr& a) {
  sys::write_file_atomic(dir_ + "/last_reserved", a.str() + "\n", 0600);
}

}  // namespace zos::ipam
