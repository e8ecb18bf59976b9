// How zos-bootstrap runs its helpers (the DHCP clients, zinit), through
// sys::exec: our environment and namespace, stdout and stderr together in
// `out`, the child and what it started killed at the deadline; a program
// that cannot start is exit 127.
#pragma once

#include <unistd.h>

#include <string>
#include <vector>

#include "common/cni/env.h"
#include "common/sys/exec.h"

namespace zos::bootstrap {

inline sys::ExecResult run_bounded(const std::vector<std::string>& argv, int timeout_ms) {
  return sys::exec(argv, cni::environ_map(environ), "",
                   {.stderr_to = sys::ExecOptions::Stderr::kMerge,
                    .timeout = std::chrono::milliseconds(timeout_ms),
                    .start_failure_is_127 = true});
}

}  // namespace zos::bootstrap
