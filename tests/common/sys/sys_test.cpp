// common/sys helpers that the plugins share: exec (with its deadline),
// program search, write_if_changed, Undo, the state-file rule.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>

#include "common/sys/exec.h"
#include "common/sys/file.h"
#include "common/sys/flags.h"
#include "common/sys/json_state.h"
#include "common/sys/syscall.h"
#include "common/sys/undo.h"
#include "support/support.h"

using namespace zos;
using zos::test::TempDir;

namespace {

const std::map<std::string, std::string> kEnv = {{"PATH", "/usr/bin:/bin"}, {"ZOS_MARK", "m"}};

std::string script(const TempDir& d, const std::string& name, const std::string& body) {
  std::string p = d / name;
  sys::write_file_atomic(p, "#!/bin/sh\n" + body, 0755);
  return p;
}

}  // namespace

TEST_CASE("exec: env, stdin, stdout and stderr apart or merged", "[sys][exec]") {
  TempDir d;
  auto p = script(d, "echo.sh", "echo \"out $ZOS_MARK\"; cat; echo err >&2; exit 3\n");
  auto r = sys::exec({p}, kEnv, "in\n");
  CHECK(r.status == 3);
  CHECK(r.out == "out m\nin\n");
  CHECK(r.err == "err\n");
  CHECK_FALSE(r.timed_out);

  auto m = sys::exec({p}, kEnv, "", {.stderr_to = sys::ExecOptions::Stderr::kMerge});
  CHECK(m.out == "out m\nerr\n");  // stdin was /dev/null: cat printed nothing
  CHECK(m.err.empty());
}

TEST_CASE("exec: the deadline kills the child and what it started", "[sys][exec]") {
  TempDir d;
  // The grandchild holds stdout open: only killing the group ends the wait.
  auto p = script(d, "slow.sh", "sleep 30 & echo $! > " + (d / "grandchild") + "\necho started\nwait\n");
  auto t0 = std::chrono::steady_clock::now();
  auto r = sys::exec({p}, kEnv, "", {.stderr_to = sys::ExecOptions::Stderr::kMerge,
                                     .timeout = std::chrono::milliseconds(300)});
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(r.timed_out);
  CHECK(r.status == -1);
  CHECK(r.out == "started\n");
  CHECK(took < std::chrono::seconds(10));
  auto gc = sys::read_file(d / "grandchild");
  REQUIRE(gc);
  const pid_t pid = std::stoi(*gc);
  // Reaped by init once killed: give it a moment on a loaded machine.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    auto stat = sys::read_file("/proc/" + std::to_string(pid) + "/stat");
    gone = !stat || stat->find(") Z ") != std::string::npos;
    if (!gone) ::usleep(20000);
  }
  CHECK(gone);
}

TEST_CASE("exec: the deadline covers a child that closed its pipes and runs on", "[sys][exec]") {
  TempDir d;
  // The pipes close at once, so the wait for the exit is what must be bounded
  // (before, it was not: each section took the full 6 s sleep).
  std::string body;
  SECTION("the child sleeps") { body = "echo $$ > " + (d / "sleeper") + "\nexec >/dev/null 2>&1\nexec sleep 6\n"; }
  SECTION("the child waits for a grandchild that sleeps") {
    body = "exec >/dev/null 2>&1\nsleep 6 &\necho $! > " + (d / "sleeper") + "\nwait\n";
  }
  auto p = script(d, "detach.sh", body);
  auto t0 = std::chrono::steady_clock::now();
  auto r = sys::exec({p}, kEnv, "", {.timeout = std::chrono::milliseconds(500)});
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(r.timed_out);
  CHECK(r.status == -1);
  CHECK(took < std::chrono::seconds(4));
  auto sleeper = sys::read_file(d / "sleeper");
  REQUIRE(sleeper);
  const pid_t pid = std::stoi(*sleeper);
  bool gone = false;  // killed with the group (the child's own pid is reaped by us)
  for (int i = 0; i < 100 && !gone; ++i) {
    auto stat = sys::read_file("/proc/" + std::to_string(pid) + "/stat");
    gone = !stat || stat->find(") Z ") != std::string::npos;
    if (!gone) ::usleep(20000);
  }
  CHECK(gone);
}

TEST_CASE("exec: a program that cannot start", "[sys][exec]") {
  TempDir d;
  CHECK_THROWS_AS(sys::exec({d / "missing"}, kEnv), sys::SysError);
  auto r = sys::exec({d / "missing"}, kEnv, "", {.start_failure_is_127 = true});
  CHECK(r.status == 127);
}

TEST_CASE("find_program and which: regular executable files only", "[sys][exec]") {
  TempDir a, b;
  script(b, "tool", "exit 0\n");
  ::mkdir((a / "tool").c_str(), 0755);  // a folder of that name is not the program
  sys::write_file_atomic(a / "plain", "x", 0644);
  CHECK(sys::find_program("tool", {a.path(), b.path()}) == b / "tool");
  CHECK_FALSE(sys::find_program("plain", {a.path()}));
  CHECK_FALSE(sys::find_program("none", {a.path(), b.path()}));
  CHECK(sys::split_path(":" + a.path() + "::" + b.path() + ":") == std::vector<std::string>{a.path(), b.path()});
  CHECK(sys::which("sh").has_value());
  CHECK(sys::which(b / "tool") == b / "tool");
  CHECK_FALSE(sys::which(a / "tool"));
  CHECK_FALSE(sys::which(""));
}

TEST_CASE("write_if_changed writes only what differs", "[sys][file]") {
  TempDir d;
  std::string p = d / "sub/dir/f";
  CHECK(sys::write_if_changed(p, "one\n"));  // makes the folders
  struct stat st1 {};
  REQUIRE(::stat(p.c_str(), &st1) == 0);
  CHECK_FALSE(sys::write_if_changed(p, "one\n"));
  struct stat st2 {};
  REQUIRE(::stat(p.c_str(), &st2) == 0);
  CHECK(st1.st_ino == st2.st_ino);  // not replaced
  CHECK(sys::write_if_changed(p, "two\n", 0600));
  CHECK(sys::read_file(p) == "two\n");
  REQUIRE(::stat(p.c_str(), &st2) == 0);
  CHECK((st2.st_mode & 0777) == 0600);
}

TEST_CASE("in_dir makes the folder only when the write finds it missing, other errors pass", "[sys][file]") {
  TempDir d;
  const std::string dir = d / "a/b";
  int calls = 0;
  auto write = [&] {
    ++calls;
    sys::write_file_atomic(dir + "/f", "x\n", 0600, sys::Sync::kCrashSafe);
  };
  sys::in_dir(dir, 0700, write);
  CHECK(calls == 2);  // ENOENT, the folders, again
  CHECK(sys::read_file(dir + "/f") == "x\n");
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  calls = 0;
  sys::in_dir(dir, 0700, write);
  CHECK(calls == 1);  // there: once
  CHECK_NOTHROW(sys::in_dir(d / "c", 0700, [&] { return sys::FileLock(d / "c/lock"); }));  // a value comes back
  CHECK(::access((d / "c/lock").c_str(), F_OK) == 0);
  calls = 0;
  CHECK_THROWS_AS(sys::in_dir(dir, 0700, [&] {
                    ++calls;
                    sys::throw_errno("open", EACCES);
                  }),
                  sys::SysError);
  CHECK(calls == 1);  // not ENOENT: no second try
}

TEST_CASE("Undo runs in reverse order unless dismissed, never throws", "[sys][undo]") {
  std::string log;
  try {
    sys::Undo a([&] { log += "a"; }, "a");
    sys::Undo b([&] { log += "b"; throw std::runtime_error("b failed"); }, "undoing b failed");
    sys::Undo c([&] { log += "c"; }, "c");
    c.dismiss();
    throw std::runtime_error("step failed");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "step failed");  // the error that unwound, not the undo's
  }
  CHECK(log == "ba");
}

TEST_CASE("read_json_state: a corrupt file is reported and kept aside, never read as absent", "[sys][state]") {
  TempDir d;
  std::string p = d / "rec.json";
  CHECK_FALSE(sys::read_json_state(p));
  sys::write_file_atomic(p, R"({"a":1})");
  CHECK(sys::read_json_state(p) == nlohmann::json{{"a", 1}});
  for (std::string bad : {"{\"a\":", "[1,2]", "\"text\"", ""}) {
    CAPTURE(bad);
    sys::write_file_atomic(p, bad);
    std::string kept;
    try {
      sys::read_json_state(p);
      FAIL("a corrupt state file was read");
    } catch (const sys::CorruptState& e) {
      CHECK(e.path == p);
      kept = e.kept;
      CHECK_THAT(e.what(), Catch::Contains(p) && Catch::Contains(kept));
    }
    REQUIRE(kept.rfind(p + ".corrupt-", 0) == 0);
    CHECK(sys::read_file(kept) == bad);  // what it held is kept for the operator
    CHECK_FALSE(sys::read_json_state(p));  // and the next read goes on without it
    ::unlink(kept.c_str());
  }
}

TEST_CASE("Flags: values, switches, positionals and the CLIs' usage errors", "[sys][flags]") {
  std::string node, dir = "default";
  bool json = false, force = false;
  auto flags = [&] { return sys::Flags().value("--node", &node).value("--data-dir", &dir).on("--json", &json).on("--force", &force); };
  auto pos = flags().parse({"apply", "--node", "n1", "f.json", "--json", "--node", "n2"}, 1,
                           {.prefix = "unknown flag ", .positional_if_no_dash = true});
  CHECK(pos == std::vector<std::string>{"f.json"});
  CHECK(node == "n2");  // the last counts
  CHECK(dir == "default");
  CHECK(json);
  CHECK_FALSE(force);
  auto usage = [&](std::vector<std::string> a, const sys::Flags::Unknown& u) {
    try {
      flags().parse(a, 0, u);
    } catch (const sys::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(usage({"--node"}, {}) == "--node needs a value");
  CHECK(usage({"--nope"}, {.prefix = "unknown flag ", .positional_if_no_dash = true}) == "unknown flag --nope");
  CHECK(usage({"word"}, {.prefix = "unknown argument ", .suffix = " for status"}) == "unknown argument word for status");
}
