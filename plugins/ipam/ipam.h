// zos-ipam's CNI verbs.
#pragma once

#include "common/cni/plugin.h"

namespace zos::ipam {

cni::Handlers handlers();

}  // namespace zos::ipam
