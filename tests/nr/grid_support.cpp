#include "nr/grid_support.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

namespace zos::test::nr {

Background::Background(const std::string& cmd) {
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

int Background::wait() {
  int st = 0;
  if (pid_ > 0 && ::waitpid(pid_, &st, 0) == pid_) pid_ = -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void Background::stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

Extra::~Extra() {
  for (const auto& n : names) sh("ip netns del " + n + " 2>/dev/null");
}

std::string tcp_fetch(const std::string& ns, const std::string& addr, int port) {
  return sh_out("timeout 10 nsenter --net=" + ns + " busybox nc -w 3 " + addr + " " + std::to_string(port) +
                " </dev/null 2>/dev/null");
}

}  // namespace zos::test::nr
