#include "plugins/bootstrap/state.h"

#include "common/sys/json_state.h"

namespace zos::bootstrap {

Store::Store(const std::string& data_dir) : dir_(data_dir + "/bootstrap") {}

sys::FileLock Store::lock() const {
  sys::make_dirs(dir_);
  return sys::FileLock(path(".lock"));
}

std::optional<nlohmann::json> Store::read(const std::string& name) const {
  return sys::read_json_state(path(name));
}

bool Store::write(const std::string& name, const nlohmann::json& j) const {
  return sys::write_if_changed(path(name), j.dump(2) + "\n");
}

bool Store::remove(const std::string& name) const { return sys::remove_if_exists(path(name)); }

std::vector<std::string> Store::public_names() const {
  std::vector<std::string> out;
  for (const auto& f : sys::list_dir(dir_)) {
    const std::string pre = "public-", suf = ".json";
    if (f.size() > pre.size() + suf.size() && f.rfind(pre, 0) == 0 && f.ends_with(suf))
      out.push_back(f.substr(pre.size(), f.size() - pre.size() - suf.size()));
  }
  return out;
}

}  // namespace zos::bootstrap
