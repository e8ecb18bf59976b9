#include "common/sys/netns.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/sys/syscall.h"

namespace zos::sys {
namespace {

constexpr const char* kSelfNetns = "/proc/thread-self/ns/net";

void check_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.size() > 255)
    throw SysError(EINVAL, "netns name '" + name + "' is not a valid file name");
}

// True when `path` is an nsfs file (a live namespace); false when it does not
// exist or is something else.
bool is_nsfs(const std::string& path) {
  struct statfs fs {};
  if (check_or("statfs " + path, {ENOENT, ENOTDIR}, [&] { return ::statfs(path.c_str(), &fs); }) < 0)
    return false;
  return fs.f_type == NSFS_MAGIC;
}

// An empty regular file that is not a namespace mount: what a namespace leaves
// behind when its bind mount went away (e.g. made in a private mount ns).
bool is_leftover(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return false;
  return S_ISREG(st.st_mode) && st.st_size == 0 && !is_nsfs(path);
}

// Switching back failed: the thread is in a namespace nobody asked for, and
// any further step would act on the wrong network. Stop here.
[[noreturn]] void die_switch_back(int err) {
  std::fprintf(stderr, "fatal: setns back to the original network namespace failed: %s\n",
               std::strerror(err));
  std::abort();
}

void switch_back_or_abort(int fd) {
  while (::setns(fd, CLONE_NEWNET) != 0) {
    if (errno != EINTR) die_switch_back(errno);
  }
}

// Makes /run/netns a shared mount when it is a mount point (as `ip netns add`
// and podman leave it), so namespace mounts made below it propagate to (and
// from) the mount namespaces that share it. A plain folder (what containerd's
// CRI plugin leaves) stays a plain folder: bind-mounting it on itself, as
// iproute2 does, would copy every namespace mount already in it (the pod's own
// /run/netns/cni-... that CRI mounts before calling ADD), and the hidden
// original would keep that file busy: its owner's umount + unlink then fails
// with EBUSY on every retry. Only the folder's own mount changes, not the
// propagation of the namespace mounts of others below it.
void share_run_dir() {
  check_or(std::string("mount --make-shared ") + kNetnsRunDir, {EINVAL},  // EINVAL: not a mount point
           [] { return ::mount("", kNetnsRunDir, "none", MS_SHARED, nullptr); });
}

// An exclusive flock on the /run/netns folder (the same inode whether or not a
// bind mount of the folder on itself covers it, so the lock holds across one).
Fd lock_run_dir() {
  Fd dir(check(std::string("open ") + kNetnsRunDir,
               [] { return ::open(kNetnsRunDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
  check(std::string("flock ") + kNetnsRunDir, [&] { return ::flock(dir.get(), LOCK_EX); });
  return dir;
}

}  // namespace

std::string netns_path(const std::string& path_or_name) {
  if (path_or_name.find('/') != std::string::npos) return path_or_name;
  check_name(path_or_name);
  return std::string(kNetnsRunDir) + "/" + path_or_name;
}

std::optional<Fd> open_netns_if_exists(const std::string& path_or_name) {
  const std::string path = netns_path(path_or_name);
  int r = check_or("open netns " + path, {ENOENT},
                   [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
  if (r < 0) return std::nullopt;
  Fd fd(r);
  struct statfs fs {};
  check("fstatfs netns " + path, [&] { return ::fstatfs(fd.get(), &fs); });
  if (fs.f_type != NSFS_MAGIC) {
    if (is_leftover(path)) return std::nullopt;  // the namespace is gone
    throw SysError(EINVAL, "open netns " + path + ": not a namespace file");
  }
  int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type >= 0 && type != CLONE_NEWNET)
    throw SysError(EINVAL, "open netns " + path + ": not a network namespace");
  return fd;
}

Fd open_netns(const std::string& path_or_name) {
  auto fd = open_netns_if_exists(path_or_name);
  if (!fd) throw SysError(ENOENT, "open netns " + netns_path(path_or_name));
  return std::move(*fd);
}

Fd open_current_netns() {
  return Fd(check(std::string("open ") + kSelfNetns,
                  [] { return ::open(kSelfNetns, O_RDONLY | O_CLOEXEC); }));
}

bool netns_exists(const std::string& path_or_name) { return is_nsfs(netns_path(path_or_name)); }

std::uint64_t netns_id(int nsfd) {
  struct stat st {};
  check("fstat netns fd", [&] { return ::fstat(nsfd, &st); });
  return st.st_ino;
}

std::uint64_t current_netns_id() {
  struct stat st {};
  check(std::string("stat ") + kSelfNetns, [&] { return ::stat(kSelfNetns, &st); });
  return st.st_ino;
}

NetnsGuard::NetnsGuard(int nsfd) : NetnsGuard(nsfd, -1) {}

NetnsGuard::NetnsGuard(int nsfd, int back) : saved_(back < 0 ? open_current_netns() : Fd()), back_(back < 0 ? saved_.get() : back) {
  check("setns into netns fd " + std::to_string(nsfd), [&] { return ::setns(nsfd, CLONE_NEWNET); });
}

NetnsGuard::~NetnsGuard() { switch_back_or_abort(back_); }

bool create_named_netns(const std::string& name) {
  check_name(name);
  check_or(std::string("mkdir ") + kNetnsRunDir, {EEXIST},
           [] { return ::mkdir(kNetnsRunDir, 0755); });
  Fd lock = lock_run_dir();
  share_run_dir();

  const std::string path = netns_path(name);
  int r = check_or("create " + path, {EEXIST}, [&] {
    return ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  });
  const bool created = r >= 0;
  if (created) {
    ::close(r);
  } else {
    if (is_nsfs(path)) return false;  // a live namespace of that name
    if (!is_leftover(path))
      throw SysError(EEXIST, "create netns " + path + ": exists and is not an empty file");
    // An empty leftover: mount the new namespace on it.
  }

  try {
    // A new namespace for this thread only long enough to pin it with a bind
    // mount; the thread is switched back before returning (or aborts).
    Fd self = open_current_netns();
    check("unshare(CLONE_NEWNET)", [] { return ::unshare(CLONE_NEWNET); });
    struct Back {
      int fd;
      ~Back() { switch_back_or_abort(fd); }
    } back{self.get()};
    check(std::string("mount --bind ") + kSelfNetns + " " + path,
          [&] { return ::mount(kSelfNetns, path.c_str(), "none", MS_BIND, nullptr); });
  } catch (...) {
    if (created) ::unlink(path.c_str());
    throw;
  }
  return true;
}

bool delete_named_netns(const std::string& name) {
  check_name(name);
  const std::string path = netns_path(name);
  struct stat st {};
  if (::stat(kNetnsRunDir, &st) != 0) return false;
  Fd lock = lock_run_dir();
  bool done = false;
  // Normally one mount; stacked mounts (a racing foreign tool) are all removed.
  for (int i = 0; i < 16; ++i) {
    if (check_or("umount " + path, {EINVAL, ENOENT},
                 [&] { return ::umount2(path.c_str(), MNT_DETACH); }) < 0)
      break;
    done = true;
  }
  if (check_or("unlink " + path, {ENOENT}, [&] { return ::unlink(path.c_str()); }) == 0) done = true;
  return done;
}

}  // namespace zos::sys
