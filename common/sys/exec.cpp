#include "common/sys/exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "common/sys/fd.h"
#include "common/sys/syscall.h"

namespace zos::sys {

namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  Fd r, w;
  Pipe() {
    int p[2];
    check("pipe2", [&] { return ::pipe2(p, O_CLOEXEC); });
    r.reset(p[0]);
    w.reset(p[1]);
  }
};

// Feeds `in` to the child and drains its stdout/stderr without deadlocking,
// until both close or the deadline passes. False at the deadline.
bool pump(Fd& to_child, Fd& from_out, Fd* from_err, const std::string& in, ExecResult& r,
          std::optional<Clock::time_point> deadline) {
  size_t off = 0;
  for (;;) {
    pollfd fds[3];
    int n = 0;
    int i_out = -1, i_err = -1, i_in = -1;
    if (from_out) fds[i_out = n++] = {from_out.get(), POLLIN, 0};
    if (from_err && *from_err) fds[i_err = n++] = {from_err->get(), POLLIN, 0};
    if (to_child) fds[i_in = n++] = {to_child.get(), POLLOUT, 0};
    if (n == 0) return true;
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) return false;
      wait_ms = static_cast<int>(left);
    }
    int got_n = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (got_n < 0 && errno == EINTR) continue;
    if (got_n < 0) throw_errno("poll");
    if (got_n == 0) continue;  // the deadline check above ends it
    auto drain = [&](int idx, Fd& fd, std::string& sink) {
      if (idx < 0 || !(fds[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
      char buf[8192];
      auto got = ::read(fd.get(), buf, sizeof buf);
      if (got < 0 && errno == EINTR) return;
      if (got <= 0)
        fd.reset();
      else
        sink.append(buf, static_cast<size_t>(got));
    };
    drain(i_out, from_out, r.out);
    if (from_err) drain(i_err, *from_err, r.err);
    if (i_in >= 0 && (fds[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      auto put = (fds[i_in].revents & POLLOUT) ? ::write(to_child.get(), in.data() + off, in.size() - off) : -1;
      if (put < 0 && errno == EINTR) continue;
      if (put > 0) off += static_cast<size_t>(put);
      if (put <= 0 || off == in.size()) to_child.reset();  // EPIPE: the child stopped reading
    }
  }
}

// Waits for `pid` (our child, not reaped) to exit, until the deadline; false
// at the deadline. The pipes may close long before the exit (a child that
// closes its stdout and runs on), so this wait is under the deadline too.
bool wait_exit(pid_t pid, Clock::time_point deadline) {
  Fd pidfd(check("pidfd_open", [&] { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }));
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{pidfd.get(), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno != EINTR) throw_errno("poll pidfd");
    if (n > 0) return true;
  }
}

// posix_spawn's attributes and file actions, freed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

ExecResult exec(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                const std::string& in, ExecOptions opts) {
  // A child that exits before reading its stdin must not kill us.
  static const bool ignored = [] { ::signal(SIGPIPE, SIG_IGN); return true; }();
  (void)ignored;
  using Stderr = ExecOptions::Stderr;

  std::optional<Pipe> pin;
  if (!in.empty()) pin.emplace();
  Pipe pout;
  std::optional<Pipe> perr;
  if (opts.stderr_to == Stderr::kCapture) perr.emplace();

  std::vector<std::string> envs;
  envs.reserve(env.size());
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (auto& e : envs) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  pid_t pid;
  {
    SpawnSetup s;
    if (pin) posix_spawn_file_actions_adddup2(&s.fa, pin->r.get(), 0);
    else posix_spawn_file_actions_addopen(&s.fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&s.fa, pout.w.get(), 1);
    if (perr) posix_spawn_file_actions_adddup2(&s.fa, perr->w.get(), 2);
    if (opts.stderr_to == Stderr::kMerge) posix_spawn_file_actions_adddup2(&s.fa, pout.w.get(), 2);
    if (opts.timeout) {  // own group: the deadline ends the child and what it started
      posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETPGROUP);
      posix_spawnattr_setpgroup(&s.attr, 0);
    }
    int rc = ::posix_spawn(&pid, cargv[0], &s.fa, &s.attr, cargv.data(), cenv.data());
    if (rc != 0 && opts.start_failure_is_127) return ExecResult{.status = 127};
    if (rc != 0) throw_errno("exec " + argv[0], rc);
  }

  Fd to_child;
  if (pin) {
    pin->r.reset();
    to_child = std::move(pin->w);
  }
  pout.w.reset();
  if (perr) perr->w.reset();
  ExecResult r;
  std::optional<Clock::time_point> deadline;
  if (opts.timeout) deadline = Clock::now() + *opts.timeout;
  try {
    if (!pump(to_child, pout.r, perr ? &perr->r : nullptr, in, r, deadline) ||
        (deadline && !wait_exit(pid, *deadline))) {
      r.timed_out = true;
      ::kill(-pid, SIGKILL);
    }
  } catch (...) {
    // A failed poll, read or pidfd_open: the child is ended and reaped, not
    // left running or a zombie behind the error.
    ::kill(opts.timeout ? -pid : pid, SIGKILL);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    throw;
  }
  if (opts.timeout) {
    // A grandchild may still hold the group: end it while the child is a
    // zombie (WNOWAIT), so its pid, the group's id, cannot have been reused.
    siginfo_t info{};
    check("waitid " + argv[0], [&] { return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT); });
    ::kill(-pid, SIGKILL);
  }
  int st = 0;
  check("waitpid " + argv[0], [&] { return ::waitpid(pid, &st, 0); });
  r.status = r.timed_out ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find(':', pos);
    if (end == std::string::npos) end = path.size();
    if (end > pos) out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

namespace {

bool executable_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

std::optional<std::string> find_program(const std::string& name, const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs)
    if (std::string p = dir + "/" + name; executable_file(p)) return p;
  return std::nullopt;
}

std::optional<std::string> which(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) return executable_file(name) ? std::optional(name) : std::nullopt;
  const char* env = std::getenv("PATH");
  return find_program(name, split_path(env && *env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
}

}  // namespace zos::sys
