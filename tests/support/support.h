// Shared test helpers: root detection, temp dirs, running a plugin binary as
// a runtime would (env + stdin, capture stdout/stderr and exit status).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

namespace zos::test {

inline bool is_root() { return ::geteuid() == 0; }

// Tests tagged [root] start with this. Without root the test cannot run, and
// says so as a skip, never as a pass: the process exits 77, which ctest
// (catch_discover_tests runs one test case per process, SKIP_RETURN_CODE 77)
// reports as "Skipped", and scripts/test.sh fails a CI run that skipped one.
// By hand, without root, run a test binary with "~[root]".
#define ZOS_REQUIRE_ROOT()                                                         \
  do {                                                                             \
    if (!::zos::test::is_root()) {                                                 \
      std::fprintf(stderr, "SKIPPED: this test needs root (run with ~[root])\n"); \
      std::fflush(nullptr);                                                        \
      std::_Exit(77);                                                              \
    }                                                                              \
  } while (0)

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct Exec {
  int status = -1;  // exit code, or 128+signal
  std::string out;
  std::string err;
};

// Runs `argv` with exactly `env` as its environment and `in` on stdin.
Exec run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
         const std::string& in = "");

// Path of a binary built by this project (build/bin/<name>).
std::string bin(const std::string& name);

// Runs a shell command; returns its exit status (for cross-checks with `ip`).
int sh(const std::string& cmd);
// Runs a shell command and returns its stdout.
std::string sh_out(const std::string& cmd);

}  // namespace zos::test
