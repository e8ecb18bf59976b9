// Programs: find one on a search path, run it with a given environment and
// stdin, collect its output, optionally under a deadline.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zos::sys {

struct ExecResult {
  int status = -1;         // exit code, 128 + signal number, or -1 when killed at the deadline
  bool timed_out = false;
  std::string out;         // stdout (and stderr when merged)
  std::string err;         // empty when stderr was passed through or merged
};

struct ExecOptions {
  enum class Stderr { kCapture, kInherit, kMerge };
  // kCapture: into `err`; kInherit: the child writes to our stderr;
  // kMerge: into `out`, interleaved with stdout as the child wrote them.
  Stderr stderr_to = Stderr::kCapture;
  // With a timeout the child gets a process group of its own; the group is
  // killed at the deadline, and once the child has exited (a grandchild, a
  // DHCP client's lease script, may still hold it). The deadline covers the
  // whole run: the output and the exit (a child may close its pipes and
  // run on).
  std::optional<std::chrono::milliseconds> timeout;
  // A program that cannot be started (exec fails) is exit status 127, as in
  // a shell, instead of a SysError.
  bool start_failure_is_127 = false;
};

// Runs argv[0] (a path) with exactly `env` and `in` on its stdin (/dev/null
// when empty). Throws SysError when the program cannot be started (unless
// start_failure_is_127); a program that runs and fails is a result, not an
// exception.
ExecResult exec(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                const std::string& in = "", ExecOptions opts = {});

// The folders of a colon-separated search path ($PATH, CNI_PATH), empty
// entries skipped.
std::vector<std::string> split_path(const std::string& path);

// The first `dir/name` in `dirs` that is a regular file we may execute (a
// folder of that name is not the program).
std::optional<std::string> find_program(const std::string& name, const std::vector<std::string>& dirs);

// `name` on $PATH (the usual system folders when $PATH is unset or empty),
// or `name` itself when it holds a '/' and is executable.
std::optional<std::string> which(const std::string& name);

}  // namespace zos::sys
