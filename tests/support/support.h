// Shared test helpers: root detection, temp dirs, running a plugin binary as
// a runtime would (env + stdin, capture stdout/stderr and exit status), and
// what a test reads from a CNI error (thrown, or printed by a plugin).
// The one namespace fixture is support/netns.h.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/cni/error.h"
#include "common/ip/ip.h"

namespace zos::test {

// Typed addresses from literals known to parse: P("10.1.10.1/24"), A("fe80::1").
inline ip::Prefix P(const char* s) { return ip::Prefix::parse(s).value(); }
inline ip::Addr A(const char* s) { return ip::Addr::parse(s).value(); }

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

// Turns the process logger off, once (code under test that logs on purpose,
// e.g. cni::run, which a plugin's main() would have set up).
void quiet_logger();

// The cni::Error `f` throws; fails the test when it throws none.
cni::Error error_of(const std::function<void()>& f);
// The code of the cni::Error `f` throws; 0 when it throws none.
int code_of(const std::function<void()>& f);

// Makes `r` (an Exec) show its output when an assertion on it fails.
#define ZOS_SHOW(r) INFO("status " << (r).status << "\nstdout: " << (r).out << "\nstderr: " << (r).err)

// A plugin's run: the error code printed on stdout (0 when the call
// succeeded, -1 when stdout is not a CNI error) and its message (stdout
// itself when that is not JSON).
int code_of(const Exec& r);
std::string msg_of(const Exec& r);
// Parsed stdout; fails the test, showing the output, when it is not JSON.
nlohmann::json out_json(const Exec& r);
// The result of a call that must have succeeded (status 0, JSON on stdout);
// fails the test, showing the output, otherwise.
nlohmann::json succeeded(const Exec& r);

}  // namespace zos::test
