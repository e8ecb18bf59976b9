#include "common/sys/exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "common/sys/fd.h"
#include "common/sys/syscall.h"

namespace zos::sys {

namespace {

struct Pipe {
  Fd r, w;
  Pipe() {
    int p[2];
    check("pipe2", [&] { return ::pipe2(p, O_CLOEXEC); });
    r.reset(p[0]);
    w.reset(p[1]);
  }
};

// Feeds `in` to the child and drains its stdout/stderr without deadlocking.
void pump(Fd& to_child, Fd& from_out, Fd* from_err, const std::string& in, ExecResult& r) {
  size_t off = 0;
  if (in.empty()) to_child.reset();
  for (;;) {
    pollfd fds[3];
    int n = 0;
    int i_out = -1, i_err = -1, i_in = -1;
    if (from_out) fds[i_out = n++] = {from_out.get(), POLLIN, 0};
    if (from_err && *from_err) fds[i_err = n++] = {from_err->get(), POLLIN, 0};
    if (to_child) fds[i_in = n++] = {to_child.get(), POLLOUT, 0};
    if (n == 0) return;
    check("poll", [&] { return ::poll(fds, static_cast<nfds_t>(n), -1); });
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

}  // namespace

ExecResult exec(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                const std::string& in, ExecOptions opts) {
  // A child that exits before reading its stdin must not kill us.
  static const bool ignored = [] { ::signal(SIGPIPE, SIG_IGN); return true; }();
  (void)ignored;

  Pipe pin, pout;
  std::optional<Pipe> perr;
  if (opts.capture_stderr) perr.emplace();

  std::vector<std::string> envs;
  envs.reserve(env.size());
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (auto& e : envs) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pin.r.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, pout.w.get(), 1);
  if (perr) posix_spawn_file_actions_adddup2(&fa, perr->w.get(), 2);
  pid_t pid;
  int rc = ::posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw_errno("exec " + argv[0], rc);

  pin.r.reset();
  pout.w.reset();
  if (perr) perr->w.reset();
  ExecResult r;
  pump(pin.w, pout.r, perr ? &perr->r : nullptr, in, r);
  int st = 0;
  check("waitpid " + argv[0], [&] { return ::waitpid(pid, &st, 0); });
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

}  // namespace zos::sys
