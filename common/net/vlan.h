// 802.1Q VLAN links over rtnetlink (see link.h for the conventions).
#pragma once

#include <optional>
#include <string>

#include "common/net/nl.h"

namespace zos::nl {

// Creates the VLAN link `name` with tag `vlan_id` (1-4094) on `parent_index`.
// Returns false when a VLAN of that name exists already (check its tag and
// parent with vlan_info); throws NlError(EEXIST) when another kind has it.
bool create_vlan(Socket& s, const std::string& name, int parent_index, int vlan_id);

// The tag and parent of a VLAN link; nullopt when `index` is not a VLAN.
struct VlanInfo {
  int id = 0;
  int parent = 0;
};
std::optional<VlanInfo> vlan_info(Socket& s, int index);

}  // namespace zos::nl
