// Network namespaces: open by name or path, run code inside one, and the
// persistent named namespaces of `ip netns` (a bind mount of a namespace file
// on /run/netns/<name>).
//
// Switching is per thread: setns() moves only the calling thread, and threads
// started inside in_netns() do not inherit the namespace. Keep the code that
// switches single-threaded.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "common/sys/fd.h"

namespace zos::sys {

// Folder of the named namespaces ("ip netns" convention).
inline constexpr const char* kNetnsRunDir = "/run/netns";

// "/run/netns/<name>" for a bare name; a value containing '/' is a path.
std::string netns_path(const std::string& path_or_name);

// Opens a namespace file read-only (O_CLOEXEC). Throws SysError.
Fd open_netns(const std::string& path_or_name);
// Like open_netns(), nullopt when the file does not exist (ENOENT).
std::optional<Fd> open_netns_if_exists(const std::string& path_or_name);
// The calling thread's current network namespace.
Fd open_current_netns();

// True when /run/netns/<name> (or the path) is a live namespace: the file
// exists and is an nsfs mount, not an empty leftover file.
bool netns_exists(const std::string& path_or_name);

// Identity of a namespace (inode number of its nsfs file); equal ids mean the
// same namespace.
std::uint64_t netns_id(int nsfd);
std::uint64_t current_netns_id();

// Switches the calling thread into `nsfd` for the guard's lifetime and back
// when it ends (also while unwinding). Failing to switch back leaves the
// thread in an unknown namespace, so it prints why and aborts the process.
class NetnsGuard {
 public:
  explicit NetnsGuard(int nsfd);
  // Back to `back`, the caller's open_current_netns() of this thread (kept
  // for several switches: one open of /proc/thread-self/ns/net instead of one
  // each). It must still be the thread's namespace when the guard starts.
  NetnsGuard(int nsfd, int back);
  ~NetnsGuard();
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;

 private:
  Fd saved_;
  int back_;
};

// Runs f() inside the namespace `nsfd` and returns its result; the thread is
// back in its original namespace afterwards, whether f returns or throws.
template <class F>
decltype(auto) in_netns(int nsfd, F&& f) {
  NetnsGuard guard(nsfd);
  return std::forward<F>(f)();
}
// The same, back to `back` (see NetnsGuard).
template <class F>
decltype(auto) in_netns(int nsfd, int back, F&& f) {
  NetnsGuard guard(nsfd, back);
  return std::forward<F>(f)();
}

// Creates the persistent namespace /run/netns/<name> like `ip netns add`: the
// file is created O_EXCL and a fresh namespace is bind-mounted on it. When
// /run/netns is a mount point it is made shared, so the namespace mount
// propagates to other mount namespaces; a plain folder is left as it is (never
// bound on itself: that would duplicate the namespace mounts already in it and
// make them unremovable, see netns.cpp). Returns false when a live namespace of that name exists. An empty,
// unmounted file left there (e.g. by `ip netns exec` in a private mount
// namespace) is reused. Undone on failure. The caller's own namespace does not
// change. Serialised against concurrent callers with a flock on /run/netns.
bool create_named_netns(const std::string& name);

// Unmounts (MNT_DETACH) and unlinks /run/netns/<name>. Returns false when
// there was nothing to delete. Safe to repeat.
bool delete_named_netns(const std::string& name);

}  // namespace zos::sys
