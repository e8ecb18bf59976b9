// Runs a helper program (the DHCP client, zinit) with a deadline: the child
// is killed (its whole process group) when it outlives `timeout_ms`.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace zos::bootstrap {

struct SpawnResult {
  int status = -1;         // exit code, 128 + signal, or -1 when killed at the deadline
  bool timed_out = false;
  std::string output;      // stdout and stderr, interleaved
};

// argv[0] is a path. The child inherits our environment and namespace.
SpawnResult run_bounded(const std::vector<std::string>& argv, int timeout_ms);

// First executable `name` on $PATH (or the path itself when it has a '/').
std::optional<std::string> which(const std::string& name);

}  // namespace zos::bootstrap
