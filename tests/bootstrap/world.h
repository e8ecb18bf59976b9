// A small world in namespaces for the zos-bootstrap tests: a "node" netns
// with fake NICs (veth pairs) to per-NIC peer namespaces, dnsmasq servers,
// and the zos-bootstrap binary run inside the node with nsenter. Every
// namespace is the shared fixture (support/netns.h), named zt-bs-<pid>-<tag>;
// namespaces, processes and files are removed on scope exit, also when a
// test fails.
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/netns.h"
#include "support/support.h"

namespace zos::test::bs {

// Namespaces are the shared fixture's, area "bs".
inline std::string ns_name(const std::string& tag) { return netns_name("bs", tag); }

// A process we started; SIGTERM, then SIGKILL, on scope exit (this pid only).
class Proc {
 public:
  explicit Proc(const std::vector<std::string>& argv) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      std::vector<char*> a;
      for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      ::execvp(a[0], a.data());
      ::_exit(127);
    }
  }
  ~Proc() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 40; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  Proc(const Proc&) = delete;
  void signal(int sig) const { ::kill(pid_, sig); }
  bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

inline void must(const std::string& cmd) {
  INFO(cmd);
  REQUIRE(sh(cmd + " >/dev/null") == 0);
}

inline void write(const std::string& path, const std::string& text, mode_t mode = 0644) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

inline bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

inline std::string read(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Polls `cond` every 100 ms for at most `seconds`.
template <class F>
bool wait_for(F&& cond, int seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return cond();
}

// Runs zos-bootstrap inside `ns` with nsenter (never in the host namespace).
// `uplink` runs in a mount namespace of its own where dhcpcd's run and state
// folders are empty tmpfs: dhcpcd keeps one pid file and control socket per
// interface name, and a second dhcpcd hands its work to the first over that
// socket, i.e. to another parallel test's node (they all have a `zos`).
// (`public` makes named namespaces, which must stay visible: no wrapper.)
inline Exec bootstrap(const Netns& ns, std::vector<std::string> args, const std::string& path_prefix = "") {
  std::vector<std::string> argv = {"/usr/bin/nsenter", "--net=/run/netns/" + ns.name()};
  if (!args.empty() && args[0] == "uplink")
    argv.insert(argv.end(),
                {"unshare", "--mount", "--propagation", "private", "sh", "-c",
                 "mkdir -p /run/dhcpcd && mount -t tmpfs zt-dhcpcd-run /run/dhcpcd && "
                 "{ [ ! -d /var/lib/dhcpcd ] || mount -t tmpfs zt-dhcpcd-lib /var/lib/dhcpcd; } && exec \"$@\"",
                 "sh"});
  argv.push_back(bin("zos-bootstrap"));
  argv.insert(argv.end(), args.begin(), args.end());
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  if (!path_prefix.empty()) path = path_prefix + ":" + path;
  return run(argv, {{"PATH", path}, {"ZOS_LOG_LEVEL", "info"}});
}

}  // namespace zos::test::bs
