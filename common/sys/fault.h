// Fault injection for crash tests: when $ZOS_FAULT names this point, the
// process kills itself with SIGKILL right here, as a power cut or an OOM kill
// would. Costs one getenv() when unset.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace zos::sys {

inline void fault_point(const char* name) {
  const char* f = std::getenv("ZOS_FAULT");
  if (f && std::strcmp(f, name) == 0) ::kill(::getpid(), SIGKILL);
}

}  // namespace zos::sys
