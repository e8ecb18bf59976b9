#include "common/cni/version.h"

#include <charconv>

namespace zos::cni {

const std::vector<std::string>& supported_versions() {
  static const std::vector<std::string> v = {"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
  return v;
}

bool is_supported(std::string_view v) {
  for (const auto& s : supported_versions())
    if (s == v) return true;
  return false;
}

int compare_versions(std::string_view a, std::string_view b) {
  auto next = [](std::string_view& s) {
    int n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    (void)ec;
    s.remove_prefix(static_cast<size_t>(p - s.data()));
    if (!s.empty() && s.front() == '.') s.remove_prefix(1);
    return n;
  };
  for (int i = 0; i < 3; ++i) {
    int x = next(a), y = next(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

}  // namespace zos::cni
