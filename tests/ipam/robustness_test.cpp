// Integration tests: many ADDs at once, processes killed mid-write, a lock
// holder killed with the lock held.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "common/sys/file.h"
#include "ipam/ipam_support.h"

using namespace zos;
using namespace zos::test;
using namespace zos::test::ipam;

namespace {

// Every lease file holds a whole lease, no address is leased twice and no
// attachment holds two addresses; returns containerID -> address.
std::map<std::string, std::string> audit(const Pool& p) {
  std::map<std::string, std::string> owner;
  std::set<std::string> v6;
  for (const auto& f : p.lease_files()) {
    auto text = sys::read_file(p.pool_dir() + "/" + f);
    REQUIRE(text);
    json j = json::parse(*text, nullptr, false);
    INFO(f << ": " << *text);
    REQUIRE(j.is_object());
    REQUIRE(j["containerID"].is_string());
    std::string id = j["containerID"].get<std::string>() + "/" + j["ifname"].get<std::string>();
    CHECK(owner.count(id) == 0);
    owner[id] = f;
    for (const auto& a : j["ipv6"]) CHECK(v6.insert(a.get<std::string>()).second);
  }
  return owner;
}

}  // namespace

TEST_CASE("ipam: 32 ADDs at once, then 32 DELs at once", "[ipam][concurrency]") {
  Pool p;
  constexpr int kN = 32;
  std::vector<Exec> results(kN);
  std::vector<std::thread> threads;
  for (int i = 0; i < kN; ++i)
    threads.emplace_back([&, i] { results[i] = add(p, "par" + std::to_string(i)); });
  for (auto& t : threads) t.join();

  std::set<std::string> v4s;
  for (int i = 0; i < kN; ++i) {
    ZOS_SHOW(results[i]);
    REQUIRE(results[i].status == 0);
    v4s.insert(v4_of(results[i]));
  }
  CHECK(v4s.size() == kN);
  CHECK(p.lease_files().size() == kN);
  auto owners = audit(p);
  CHECK(owners.size() == kN);
  for (int i = 0; i < kN; ++i) CHECK(owners["par" + std::to_string(i) + "/eth0"] == v4_of(results[i]));

  threads.clear();
  for (int i = 0; i < kN; ++i)
    threads.emplace_back([&, i] { results[i] = del(p, "par" + std::to_string(i)); });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kN; ++i) {
    ZOS_SHOW(results[i]);
    CHECK(results[i].status == 0);
  }
  CHECK(p.lease_files().empty());
  for (const auto& f : p.all_files()) CHECK(f.find(".tmp-") == std::string::npos);
}

TEST_CASE("ipam: 32 ADDs at once into a nearly full pool lease the rest exactly once", "[ipam][concurrency]") {
  Pool p;
  // 240 leased: 13 left for 32 callers.
  std::vector<std::thread> threads;
  sys::make_dirs(p.pool_dir(), 0700);
  for (int h = 2; h < 242; ++h)
    sys::write_file_atomic(p.pool_dir() + "/10.1.10." + std::to_string(h),
                           json{{"containerID", "old" + std::to_string(h)}, {"ifname", "eth0"}}.dump(), 0600);
  std::vector<Exec> results(32);
  for (int i = 0; i < 32; ++i) threads.emplace_back([&, i] { results[i] = add(p, "late" + std::to_string(i)); });
  for (auto& t : threads) t.join();
  int ok = 0, full = 0;
  for (auto& r : results) {
    ZOS_SHOW(r);
    if (r.status == 0) ++ok;
    else if (code_of(r) == 100) ++full;
  }
  CHECK(ok == 13);
  CHECK(full == 19);
  CHECK(p.lease_files().size() == 253);
  CHECK(audit(p).size() == 253);
}

TEST_CASE("ipam: a process killed mid-ADD leaves no half lease", "[ipam][crash]") {
  for (const char* fault : {"ipam-before-reserve", "ipam-after-reserve"}) {
    DYNAMIC_SECTION(fault) {
      Pool p;
      REQUIRE(add(p, "first").status == 0);  // 10.1.10.2
      auto e = env("ADD", "victim");
      e["ZOS_FAULT"] = fault;
      auto killed = call(e, p.conf());
      ZOS_SHOW(killed);
      REQUIRE(killed.status == 128 + SIGKILL);
      CHECK(killed.out.empty());
      // Whatever is under a final name is a whole lease.
      auto owners = audit(p);
      if (std::string(fault) == "ipam-before-reserve") CHECK(owners.size() == 1);
      if (std::string(fault) == "ipam-after-reserve") {
        CHECK(owners.size() == 2);
        CHECK(owners["victim/eth0"] == "10.1.10.3");
      }

      // The runtime retries the ADD: one lease, usable addresses.
      auto again = add(p, "victim");
      ZOS_SHOW(again);
      REQUIRE(again.status == 0);
      CHECK(v4_of(again) == "10.1.10.3");
      auto owners2 = audit(p);
      CHECK(owners2.size() == 2);
      CHECK(owners2["victim/eth0"] == "10.1.10.3");
      for (const auto& f : p.all_files()) CHECK(f.find(".tmp-") == std::string::npos);

      // Others keep getting fresh addresses.
      auto other = add(p, "other");
      CHECK(v4_of(other) == "10.1.10.4");
      CHECK(audit(p).size() == 3);

      // The failed ADD is followed by a DEL, which releases it.
      REQUIRE(del(p, "victim").status == 0);
      CHECK(audit(p).count("victim/eth0") == 0);
    }
  }
}

TEST_CASE("ipam: a lock holder killed with SIGKILL does not wedge the pool", "[ipam][crash]") {
  // A holder of the pool lock killed with SIGKILL: the kernel drops the flock.
  Pool p;
  sys::make_dirs(p.pool_dir(), 0700);
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    sys::FileLock lock(p.pool_dir() + "/lock");
    (void)!::write(ready[1], "x", 1);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char c;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);

  std::atomic<bool> done{false};
  Exec r;
  std::thread t([&] {
    r = add(p, "c1");
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK_FALSE(done.load());  // the ADD waits for the lock
  ::kill(child, SIGKILL);
  int st = 0;
  ::waitpid(child, &st, 0);
  CHECK(WIFSIGNALED(st));
  t.join();
  ZOS_SHOW(r);
  CHECK(r.status == 0);
  CHECK(v4_of(r) == "10.1.10.2");
  CHECK(add(p, "c2").status == 0);
  CHECK(audit(p).size() == 2);
}

TEST_CASE("ipam: an ADD whose lease hint cannot be written keeps a whole answer: no stray lease", "[ipam][crash]") {
  // The hint is written after the lease; a full disk fails only that write.
  // A directory in its place fails it the same way (rename: EISDIR).
  Pool p;
  REQUIRE(sh("mkdir -p " + p.pool_dir() + "/last_reserved/x") == 0);
  auto r = add(p, "c1");
  ZOS_SHOW(r);
  // Either the ADD succeeded with its one lease, or it failed and left none.
  if (r.status == 0) CHECK(p.lease_files().size() == 1);
  else CHECK(p.lease_files().empty());
  CHECK(r.status == 0);
  CHECK(del(p, "c1").status == 0);
  CHECK(p.lease_files().empty());
}

TEST_CASE("ipam: the lease hint is rewritten at its fixed width, a longer older one cut", "[ipam]") {
  Pool p;
  const std::string hint = p.pool_dir() + "/last_reserved";
  auto add_ok = [&](const std::string& id) {
    auto r = add(p, id);
    ZOS_SHOW(r);
    REQUIRE(r.status == 0);
  };
  add_ok("c1");  // makes the pool folder
  sys::write_file_atomic(hint, "10.1.10.9" + std::string(40, ' ') + "\n", 0600);
  add_ok("c2");
  auto text = sys::read_file(hint);
  REQUIRE(text);
  CHECK(text->size() == 16);
  CHECK(text->substr(0, text->find(' ')) == "10.1.10.10");
  add_ok("c3");  // the next rewrite, at the same width
  text = sys::read_file(hint);
  REQUIRE(text);
  CHECK(text->size() == 16);
  CHECK(text->substr(0, text->find(' ')) == "10.1.10.11");
  for (const char* id : {"c1", "c2", "c3"}) CHECK(del(p, id).status == 0);
}

TEST_CASE("ipam: a relative dataDir is refused (the runtime's working directory is nowhere in particular)",
          "[ipam][config]") {
  Pool p;
  std::string rel = "zt-rel-ipam-" + std::to_string(::getpid());
  auto r = add(p, "c1", p.conf("1.1.0", {{"dataDir", rel}}));
  ZOS_SHOW(r);
  CHECK(r.status == 1);
  CHECK(r.out.find("\"code\":7") != std::string::npos);
  CHECK(r.out.find("dataDir") != std::string::npos);
  bool made = sys::read_file(rel + "/ipam/tnet/10.1.10.0_24/10.1.10.2").has_value();
  if (made) sh("rm -rf " + rel);  // (in the test's working directory)
  CHECK_FALSE(made);
}
