// zos-nr's CNI verbs (ADD, DEL, CHECK, STATUS, GC).
#pragma once

#include "common/cni/plugin.h"

namespace zos::nr {

cni::Handlers handlers();

}  // namespace zos::nr
