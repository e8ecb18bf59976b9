// Scratch network namespaces for the [root] tests of common/net and
// common/sys/netns: named zt-nl-<pid>-<tag>, removed (with every link in
// them) when the guard goes out of scope, also when a test fails. And the
// typed addresses those tests write as text.
#pragma once

#include <unistd.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "common/ip/ip.h"
#include "common/net/nl.h"
#include "common/sys/netns.h"

namespace zos::test {

// Literals known to parse: "10.1.10.1/24", "fe80::1".
inline ip::Prefix P(const char* s) { return ip::Prefix::parse(s).value(); }
inline ip::Addr A(const char* s) { return ip::Addr::parse(s).value(); }

inline std::string scratch_netns_name(const std::string& tag) {
  return "zt-nl-" + std::to_string(::getpid()) + "-" + tag;
}

// Deletes a named namespace (or a leftover file) on scope exit.
struct NetnsCleanup {
  std::string name;
  ~NetnsCleanup() {
    try {
      sys::delete_named_netns(name);
    } catch (...) {
    }
  }
};

class ScratchNetns {
 public:
  explicit ScratchNetns(const std::string& tag) : cleanup_{scratch_netns_name(tag)} {
    sys::delete_named_netns(cleanup_.name);  // left by a crashed run with our pid
    if (!sys::create_named_netns(cleanup_.name))
      throw std::runtime_error("scratch netns " + cleanup_.name + " exists");
    fd_ = sys::open_netns(cleanup_.name);
  }
  const std::string& name() const { return cleanup_.name; }
  int fd() const { return fd_.get(); }
  // A netlink socket bound inside this namespace.
  nl::Socket socket() const {
    return sys::in_netns(fd_.get(), [] { return nl::Socket(); });
  }
  template <class F>
  decltype(auto) run(F&& f) const {
    return sys::in_netns(fd_.get(), std::forward<F>(f));
  }

 private:
  NetnsCleanup cleanup_;  // destroyed after fd_ closes
  sys::Fd fd_;
};

}  // namespace zos::test
