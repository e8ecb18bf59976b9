// Where 0-OS's network module keeps its state on a node: one definition for
// zos-nr, zos-ipam, zos-bootstrap and zos-agent (each overridable by its
// config, flags or $ZOS_DATA_DIR).
#pragma once

namespace zos::model {

inline constexpr const char* kDefaultDataDir = "/var/cache/modules/network";

}  // namespace zos::model
