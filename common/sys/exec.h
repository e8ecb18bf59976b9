// Run a child process with a given environment and stdin, collect its output.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace zos::sys {

struct ExecResult {
  int status = -1;  // exit code, or 128 + signal number
  std::string out;
  std::string err;  // empty when stderr was passed through
};

struct ExecOptions {
  bool capture_stderr = true;  // false: the child writes to our stderr
};

// Runs argv[0] (a path) with exactly `env` and `in` on its stdin. Throws
// SysError when the program cannot be started; a program that runs and fails
// is a result, not an exception.
ExecResult exec(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                const std::string& in = "", ExecOptions opts = {});

}  // namespace zos::sys
