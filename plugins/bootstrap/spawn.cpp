#include "plugins/bootstrap/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "common/sys/fd.h"
#include "common/sys/syscall.h"

namespace zos::bootstrap {

SpawnResult run_bounded(const std::vector<std::string>& argv, int timeout_ms) {
  int p[2];
  ZOS_SYSCALL(::pipe2(p, O_CLOEXEC));
  sys::Fd r(p[0]), w(p[1]);
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) sys::throw_errno("fork for " + argv.at(0));
  if (pid == 0) {
    ::setpgid(0, 0);  // own group: a timeout kills the client and its script
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(w.get(), 1);
    ::dup2(w.get(), 2);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  w.reset();

  SpawnResult res;
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (r) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      res.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    pollfd fd{r.get(), POLLIN, 0};
    int n = ::poll(&fd, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    ssize_t got = ::read(r.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) r.reset();
    else res.output.append(buf, static_cast<size_t>(got));
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  // A grandchild (the lease script) may still hold the group: end it too.
  ::kill(-pid, SIGKILL);
  if (res.timed_out) res.status = -1;
  else res.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return res;
}

std::optional<std::string> which(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos)
    return ::access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
  const char* env = std::getenv("PATH");
  std::string path = env && *env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t b = 0;
  for (;;) {
    size_t e = path.find(':', b);
    std::string dir = path.substr(b, e == std::string::npos ? std::string::npos : e - b);
    if (!dir.empty()) {
      std::string cand = dir + "/" + name;
      if (::access(cand.c_str(), X_OK) == 0) return cand;
    }
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return std::nullopt;
}

}  // namespace zos::bootstrap
