#include "nr/grid_support.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "nr/nr_support.h"
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

void check_all_pairs(const std::vector<std::string>& ns, const std::vector<std::string>& v4,
                     const std::vector<std::string>& v6) {
  for (size_t i = 0; i < ns.size(); ++i)
    for (size_t j = 0; j < ns.size(); ++j) {
      if (i == j) continue;
      INFO("container " << i + 1 << " -> " << j + 1 << " (" << v4[j] << ", " << v6[j] << ")");
      CHECK(ping_retry(ns[i], v4[j]));
      CHECK(ping_retry(ns[i], v6[j]));
    }
}

std::string tcp_fetch(const std::string& ns, const std::string& addr, int port) {
  return sh_out("timeout 10 nsenter --net=" + ns + " busybox nc -w 3 " + addr + " " + std::to_string(port) +
                " </dev/null 2>/dev/null");
}

}  // namespace zos::test::nr
