// CNI spec versions: which we speak and how they compare.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zos::cni {

inline constexpr std::string_view kCurrentVersion = "1.1.0";
const std::vector<std::string>& supported_versions();
bool is_supported(std::string_view v);
// -1, 0, 1 like strcmp, on dotted numeric versions ("0.3.1" < "0.4.0").
int compare_versions(std::string_view a, std::string_view b);
inline bool at_least(std::string_view v, std::string_view min) { return compare_versions(v, min) >= 0; }

}  // namespace zos::cni
