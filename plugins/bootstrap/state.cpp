#include "plugins/bootstrap/state.h"

namespace zos::bootstrap {

Store::Store(const std::string& data_dir) : sys::JsonStateDir(data_dir + "/bootstrap", 0644, 0755) {}

sys::FileLock Store::lock() const {
  sys::make_dirs(dir());
  return sys::FileLock(path(".lock"));
}

}  // namespace zos::bootstrap
