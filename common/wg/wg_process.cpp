#include "common/wg/wg_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

#include "common/sys/fd.h"
#include "common/sys/file.h"
#include "common/sys/syscall.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace zos::wg::proc {

namespace {

struct Stat {
  char state = 0;
  uint64_t start_time = 0;
};

std::optional<Stat> read_stat(pid_t pid) {
  auto text = sys::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  // "pid (comm) S ppid ..." — comm may hold spaces and parentheses.
  auto close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(text->substr(close + 1));
  Stat st;
  std::string field;
  in >> st.state;
  for (int i = 4; i <= 22 && in >> field; ++i)
    if (i == 22) st.start_time = std::stoull(field);
  if (!in) return std::nullopt;
  return st;
}

// Records passed from the forked processes to the parent; one write each,
// below PIPE_BUF, so they never interleave.
struct Report {
  int32_t kind;  // 1: the pid of the grandchild, 2: errno of a failed exec step
  int32_t value;
};

[[noreturn]] void child_fail(int fd, int err) {
  Report r{2, err};
  (void)!::write(fd, &r, sizeof r);
  ::_exit(127);
}

// Runs in the grandchild, between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(int report_fd, int null_fd, int log_fd, char* const argv[], char* const envp[]) {
  if (::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) child_fail(report_fd, errno);
  // Nothing else of ours leaks into the daemon (lock files, netlink sockets):
  // every other descriptor closes on exec (the report pipe tells exec errors).
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    for (int fd = 3; fd < 65536; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) ::sigaction(sig, &dfl, nullptr);
  ::execve(argv[0], argv, envp);
  child_fail(report_fd, errno);
}

}  // namespace

std::optional<uint64_t> start_time(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto st = read_stat(pid);
  if (!st || st->state == 'Z' || st->state == 'X') return std::nullopt;
  return st->start_time;
}

bool alive(const Tracked& t) {
  auto s = start_time(t.pid);
  return s && *s == t.start_time;
}

Tracked spawn_detached(const std::string& path, const std::vector<std::string>& args,
                       const std::vector<std::string>& env, const std::string& log_path) {
  std::vector<std::string> argv_s{path};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = env;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  sys::Fd null_fd(sys::check("open /dev/null", [] { return ::open("/dev/null", O_RDWR | O_CLOEXEC); }));
  sys::Fd log_fd(sys::check("open " + log_path, [&] {
    return ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  }));
  int p[2];
  sys::check("pipe2", [&] { return ::pipe2(p, O_CLOEXEC); });
  sys::Fd rd(p[0]), wr(p[1]);

  const pid_t mid = sys::check("fork", [] { return ::fork(); });
  if (mid == 0) {
    // Intermediate: a new session, then the daemon, then leave so the daemon
    // is reparented (to init or the nearest subreaper), never our zombie.
    if (::setsid() < 0) child_fail(wr.get(), errno);
    const pid_t pid = ::fork();
    if (pid < 0) child_fail(wr.get(), errno);
    if (pid == 0) exec_child(wr.get(), null_fd.get(), log_fd.get(), argv.data(), envp.data());
    Report r{1, pid};
    (void)!::write(wr.get(), &r, sizeof r);
    ::_exit(0);
  }
  wr.reset();
  int status = 0;
  sys::check("waitpid", [&] { return ::waitpid(mid, &status, 0); });

  pid_t pid = 0;
  int err = 0;
  Report r;
  for (;;) {
    const ssize_t n = ::read(rd.get(), &r, sizeof r);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof r)) break;  // EOF: the exec happened (or all failed)
    if (r.kind == 1) pid = r.value;
    if (r.kind == 2) err = r.value;
  }
  if (err) sys::throw_errno("start " + path, err);
  if (pid <= 0) sys::throw_errno("start " + path + " (no process)", ECHILD);
  auto st = start_time(pid);
  if (!st) sys::throw_errno("start " + path + " (exited at once)", ESRCH);
  return Tracked{pid, *st};
}

bool stop(const Tracked& t, std::chrono::milliseconds grace) {
  if (!alive(t)) return false;
  auto wait_gone = [&](std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (alive(t)) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  };
  // The start time was checked just above; the window for a recycled pid is
  // the few microseconds in between.
  ::kill(t.pid, SIGTERM);
  if (wait_gone(grace)) return true;
  if (alive(t)) ::kill(t.pid, SIGKILL);
  wait_gone(std::chrono::milliseconds(2000));
  return true;
}

std::string format_pid_file(const Tracked& t) {
  return std::to_string(t.pid) + " " + std::to_string(t.start_time) + "\n";
}

std::optional<Tracked> parse_pid_file(const std::string& text) {
  std::istringstream in(text);
  long long pid = 0;
  unsigned long long start = 0;
  if (!(in >> pid >> start) || pid <= 0 || pid > INT32_MAX) return std::nullopt;
  return Tracked{static_cast<pid_t>(pid), start};
}

}  // namespace zos::wg::proc
