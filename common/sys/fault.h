// Fault injection for crash tests: when $ZOS_FAULT names this point, the
// process kills itself with SIGKILL right here, as a power cut or an OOM kill
// would. $ZOS_FAULT=stop:<point> stops it there instead (SIGSTOP), so that a
// test can run something else at exactly that point, then SIGCONT it.
// Costs one getenv() when unset.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace zos::sys {

inline void fault_point(const char* name) {
  const char* f = std::getenv("ZOS_FAULT");
  if (!f) return;
  if (std::strcmp(f, name) == 0) ::kill(::getpid(), SIGKILL);
  else if (std::strncmp(f, "stop:", 5) == 0 && std::strcmp(f + 5, name) == 0) ::kill(::getpid(), SIGSTOP);
}

}  // namespace zos::sys
