// common/sys/netns: named namespaces, opening, switching.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

#include "common/net/link.h"
#include "common/sys/netns.h"
#include "common/sys/syscall.h"
#include "support/netns.h"
#include "support/support.h"

using namespace zos;
using zos::test::Netns;
using zos::test::netns_name;

namespace {

// The mountinfo line of `path`, empty when it is not a mount point.
std::string mountinfo_of(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, found;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devno, root, point;
    f >> id >> parent >> devno >> root >> point;
    if (point == path) found = line;  // the last one is the visible one
  }
  return found;
}

// How many mounts sit on `path` (stacked or hidden ones included).
int mounts_on(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devno, root, point;
    f >> id >> parent >> devno >> root >> point;
    n += point == path;
  }
  return n;
}

// Runs f() in a forked child with a private mount namespace (so its mounts
// vanish with it); returns f's complaint, "" when all went well.
std::string in_private_mount_ns(const std::function<std::string()>& f) {
  int p[2];
  if (::pipe(p) != 0) return "pipe failed";
  pid_t child = ::fork();
  if (child == 0) {
    ::close(p[0]);
    std::string err;
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      err = "private mount namespace: " + std::string(std::strerror(errno));
    else
      try {
        err = f();
      } catch (const std::exception& e) {
        err = e.what();
      }
    (void)!::write(p[1], err.data(), err.size());
    ::_exit(0);
  }
  ::close(p[1]);
  std::string err;
  char buf[512];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  int st = 0;
  ::waitpid(child, &st, 0);
  if (!WIFEXITED(st)) return "the child died: status " + std::to_string(st);
  return err;
}

void touch(const std::string& path, const std::string& content = "") {
  std::ofstream(path) << content;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("netns_path maps bare names to /run/netns", "[netns]") {
  CHECK(sys::netns_path("blue") == "/run/netns/blue");
  CHECK(sys::netns_path("/var/run/netns/cni-1") == "/var/run/netns/cni-1");
  CHECK(sys::netns_path("/proc/1/ns/net") == "/proc/1/ns/net");
  CHECK_THROWS_AS(sys::netns_path(".."), sys::SysError);
  CHECK_THROWS_AS(sys::netns_path(""), sys::SysError);
}

TEST_CASE("an absent namespace is a value, not an error", "[netns]") {
  const std::string name = netns_name("nl", "absent");
  CHECK_FALSE(sys::open_netns_if_exists(name).has_value());
  CHECK_FALSE(sys::open_netns_if_exists("/nonexistent/dir/ns").has_value());
  CHECK_FALSE(sys::netns_exists(name));
  try {
    sys::open_netns(name);
    FAIL("open_netns of an absent namespace did not throw");
  } catch (const sys::SysError& e) {
    CHECK(e.err() == ENOENT);
    CHECK(std::string(e.what()).find(name) != std::string::npos);
  }
}

TEST_CASE("open_netns refuses files that are not network namespaces", "[netns]") {
  try {
    sys::open_netns("/proc/self/ns/mnt");  // a namespace, of the wrong type
    FAIL("opened a mount namespace as a network namespace");
  } catch (const sys::SysError& e) {
    CHECK(e.err() == EINVAL);
  }
  CHECK_THROWS_AS(sys::open_netns("/etc/passwd"), sys::SysError);
  // The current namespace opens fine and has the id of /proc/thread-self/ns/net.
  auto self = sys::open_netns("/proc/self/ns/net");
  CHECK(sys::netns_id(self.get()) == sys::current_netns_id());
}

TEST_CASE("create, find and delete a named namespace", "[netns][root]") {
  ZOS_REQUIRE_ROOT();
  const std::string name = netns_name("nl", "a");
  auto cleanup = Netns::adopt(name);
  const auto host = sys::current_netns_id();

  REQUIRE(sys::create_named_netns(name));
  CHECK(sys::current_netns_id() == host);  // the caller did not move
  CHECK(sys::netns_exists(name));
  CHECK(sys::netns_exists("/run/netns/" + name));
  CHECK_FALSE(sys::create_named_netns(name));  // exists: false, not an error

  auto fd = sys::open_netns(name);
  CHECK(sys::netns_id(fd.get()) != host);
  auto again = sys::open_netns_if_exists(name);
  REQUIRE(again);
  CHECK(sys::netns_id(again->get()) == sys::netns_id(fd.get()));

  // /run/netns is a shared mount point, like `ip netns add` leaves it.
  const std::string run = mountinfo_of("/run/netns");
  REQUIRE_FALSE(run.empty());
  CHECK(run.find("shared:") != std::string::npos);
  CHECK_FALSE(mountinfo_of("/run/netns/" + name).empty());

  // iproute2 sees it as one of its own.
  CHECK(test::sh("ip -n " + name + " link show lo >/dev/null 2>&1") == 0);

  fd.reset();
  again.reset();
  CHECK(sys::delete_named_netns(name));
  CHECK_FALSE(sys::netns_exists(name));
  CHECK_FALSE(file_exists("/run/netns/" + name));
  CHECK_FALSE(sys::delete_named_netns(name));  // repeat: false
  CHECK_FALSE(sys::open_netns_if_exists(name).has_value());
}

TEST_CASE("two named namespaces are distinct", "[netns][root]") {
  ZOS_REQUIRE_ROOT();
  Netns a("nl", "d1"), b("nl", "d2");
  CHECK(sys::netns_id(a.fd()) != sys::netns_id(b.fd()));
  CHECK(sys::netns_id(a.fd()) != sys::current_netns_id());
}

TEST_CASE("a leftover empty file under /run/netns is reused", "[netns][root]") {
  ZOS_REQUIRE_ROOT();
  const std::string name = netns_name("nl", "left");
  const std::string path = "/run/netns/" + name;
  auto cleanup = Netns::adopt(name);
  {
    // Make sure /run/netns exists (a throwaway namespace creates it).
    Netns warmup("nl", "warm");
  }
  touch(path);
  REQUIRE(file_exists(path));
  CHECK_FALSE(sys::netns_exists(name));
  CHECK_FALSE(sys::open_netns_if_exists(name).has_value());  // the namespace is gone

  REQUIRE(sys::create_named_netns(name));
  CHECK(sys::netns_exists(name));
  auto fd = sys::open_netns(name);
  CHECK(sys::netns_id(fd.get()) != sys::current_netns_id());
  fd.reset();
  CHECK(sys::delete_named_netns(name));
  CHECK_FALSE(file_exists(path));
}

TEST_CASE("a non-empty foreign file under /run/netns is not taken over", "[netns][root]") {
  ZOS_REQUIRE_ROOT();
  const std::string name = netns_name("nl", "foreign");
  const std::string path = "/run/netns/" + name;
  auto cleanup = Netns::adopt(name);
  { Netns warmup("nl", "warm"); }
  touch(path, "not a namespace");
  try {
    sys::create_named_netns(name);
    FAIL("create_named_netns took over a non-empty file");
  } catch (const sys::SysError& e) {
    CHECK(e.err() == EEXIST);
  }
  std::ifstream in(path);
  std::string content;
  std::getline(in, content);
  CHECK(content == "not a namespace");
  CHECK_THROWS_AS(sys::open_netns(name), sys::SysError);
}

// containerd's CRI plugin leaves /run/netns a plain folder and mounts the
// pod's netns in it before ADD; the NR that ADD creates must not pin a second
// copy of that mount (CRI's umount + unlink then fails with EBUSY forever).
TEST_CASE("a plain /run/netns: a netns already in it stays removable", "[netns][root]") {
  ZOS_REQUIRE_ROOT();
  std::string err = in_private_mount_ns([]() -> std::string {
    // A /run of our own: /run/netns is a plain folder, not a mount point
    // (the mounts that were on /run/netns go first, or they would still be
    // listed under that path, hidden).
    while (::umount2("/run/netns", MNT_DETACH) == 0) {
    }
    if (::mount("zt-plain-run", "/run", "tmpfs", 0, "mode=0755") != 0) return "mount tmpfs /run failed";
    if (::mkdir("/run/netns", 0755) != 0) return "mkdir /run/netns failed";
    if (!mountinfo_of("/run/netns").empty()) return "/run/netns is a mount point already";
    // The pod's netns, as CRI makes it: a file with a namespace bound on it.
    const std::string pod = "/run/netns/cni-pod";
    touch(pod);
    if (::mount("/proc/self/ns/net", pod.c_str(), "none", MS_BIND, nullptr) != 0) return "bind the pod netns failed";

    if (!sys::create_named_netns("zt-nr")) return "create_named_netns said the NR exists";
    if (!sys::netns_exists("zt-nr")) return "the NR netns is not there";
    const int mounts = mounts_on(pod);

    // CRI's removal of the pod netns.
    if (::umount2(pod.c_str(), MNT_DETACH) != 0) return "umount " + pod + ": " + std::strerror(errno);
    if (::unlink(pod.c_str()) != 0)
      return "unlink " + pod + " after its umount: " + std::strerror(errno) + " (it was mounted " +
             std::to_string(mounts) + " times)";
    if (mounts != 1) return "the pod netns was mounted " + std::to_string(mounts) + " times";
    if (!sys::delete_named_netns("zt-nr") || file_exists("/run/netns/zt-nr")) return "the NR netns did not go";
    return "";
  });
  CHECK(err == "");
}

TEST_CASE("in_netns switches and always switches back", "[netns][root]") {
  ZOS_REQUIRE_ROOT();
  Netns a("nl", "sw1"), b("nl", "sw2");
  const auto host = sys::current_netns_id();
  const auto ida = sys::netns_id(a.fd());
  const auto idb = sys::netns_id(b.fd());

  SECTION("returns f's result, inside the namespace") {
    auto seen = sys::in_netns(a.fd(), [] { return sys::current_netns_id(); });
    CHECK(seen == ida);
    CHECK(sys::current_netns_id() == host);
  }
  SECTION("void functions and nesting") {
    std::uint64_t inner = 0, outer_after = 0;
    sys::in_netns(a.fd(), [&] {
      sys::in_netns(b.fd(), [&] { inner = sys::current_netns_id(); });
      outer_after = sys::current_netns_id();
    });
    CHECK(inner == idb);
    CHECK(outer_after == ida);
    CHECK(sys::current_netns_id() == host);
  }
  SECTION("an exception propagates and the thread is back home") {
    CHECK_THROWS_WITH(sys::in_netns(a.fd(), []() -> int { throw std::runtime_error("boom"); }), "boom");
    CHECK(sys::current_netns_id() == host);
  }
  SECTION("a bad fd throws before switching") {
    CHECK_THROWS_AS(sys::in_netns(-1, [] { return 0; }), sys::SysError);
    CHECK(sys::current_netns_id() == host);
  }
  SECTION("with the caller's handle of its namespace: several switches, always back to it") {
    const sys::Fd self = sys::open_current_netns();
    CHECK(sys::in_netns(a.fd(), self.get(), [] { return sys::current_netns_id(); }) == ida);
    CHECK(sys::current_netns_id() == host);
    CHECK_THROWS_WITH(sys::in_netns(b.fd(), self.get(), []() -> int { throw std::runtime_error("boom"); }), "boom");
    CHECK(sys::current_netns_id() == host);
    CHECK(sys::in_netns(b.fd(), self.get(), [] { return sys::current_netns_id(); }) == idb);
    CHECK(sys::current_netns_id() == host);
    CHECK_THROWS_AS(sys::in_netns(-1, self.get(), [] { return 0; }), sys::SysError);
    CHECK(sys::current_netns_id() == host);
  }
  SECTION("a socket made inside keeps talking to that namespace") {
    auto sock = a.socket();
    CHECK(sys::current_netns_id() == host);
    auto links = nl::list_links(sock);
    REQUIRE(links.size() == 1);  // a fresh namespace has only lo
    CHECK(links[0].name == "lo");
  }
}

TEST_CASE("create_named_netns rejects bad names", "[netns][root]") {
  ZOS_REQUIRE_ROOT();
  CHECK_THROWS_AS(sys::create_named_netns("a/b"), sys::SysError);
  CHECK_THROWS_AS(sys::create_named_netns(".."), sys::SysError);
  CHECK_THROWS_AS(sys::delete_named_netns(""), sys::SysError);
}
