// The tests' one namespace fixture: a named network namespace
// zt-<area>-<pid>-<tag> (netns_name), made as `ip netns add` makes it
// (common/sys/netns) and deleted, with every link in it, when the fixture
// goes out of scope, also when a test fails. A leftover of a crashed run
// with the same pid is removed first. The fd is opened on first use only, so
// a test that deletes the name itself (a reboot, an operator) really ends
// the namespace. <area> says whose it is: nl (common/net), nc (nfnl), wg,
// bs (bootstrap), nr.
#pragma once

#include <unistd.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "common/net/nl.h"
#include "common/sys/netns.h"
#include "support/support.h"

namespace zos::test {

inline std::string netns_name(const std::string& area, const std::string& tag) {
  return "zt-" + area + "-" + std::to_string(::getpid()) + "-" + tag;
}

class Netns {
 public:
  Netns(const std::string& area, const std::string& tag) : Netns(Named{netns_name(area, tag)}) {}
  // A namespace of exactly this name (the qemu guest's scripts know it).
  struct Named {
    std::string name;
  };
  explicit Netns(Named n) : name_(std::move(n.name)) {
    sys::delete_named_netns(name_);  // left by a crashed run
    if (!sys::create_named_netns(name_)) throw std::runtime_error("netns " + name_ + " exists");
  }
  // Only the cleanup, for a name the test makes itself (the tests of
  // sys::create_named_netns): deleted at the end, never created here.
  static Netns adopt(std::string name) { return Netns(std::move(name), Adopt{}); }
  ~Netns() { drop(); }
  Netns(Netns&& o) noexcept : name_(std::exchange(o.name_, "")), fd_(std::move(o.fd_)), keep_(o.keep_) {}
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  Netns& operator=(Netns&&) = delete;

  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }
  int fd() const {
    if (!fd_) fd_ = sys::open_netns(name_);
    return fd_.get();
  }
  // A netlink socket bound inside this namespace.
  nl::Socket socket() const {
    return sys::in_netns(fd(), [] { return nl::Socket(); });
  }
  // Calls `f` inside this namespace (this thread only, restored after).
  template <class F>
  decltype(auto) run(F&& f) const {
    return sys::in_netns(fd(), std::forward<F>(f));
  }
  // Shell prefix that runs a command inside.
  std::string in() const { return "nsenter --net=" + path() + " "; }
  // A command inside, output discarded; its exit status.
  int sh(const std::string& cmd) const { return test::sh(in() + cmd + " >/dev/null 2>&1"); }
  // A command inside; its stdout and stderr.
  std::string sh_out(const std::string& cmd) const { return test::sh_out(in() + cmd + " 2>&1"); }
  // Leaves the namespace behind at the end (a post-mortem).
  void keep() { keep_ = true; }

 private:
  struct Adopt {};
  Netns(std::string name, Adopt) : name_(std::move(name)) {}
  void drop() {
    fd_.reset();  // before the name goes, or the namespace outlives it
    if (name_.empty() || keep_) return;
    try {
      sys::delete_named_netns(name_);
    } catch (...) {
    }
  }
  std::string name_;
  mutable sys::Fd fd_;
  bool keep_ = false;
};

}  // namespace zos::test
