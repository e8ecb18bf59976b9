// Integration: zos-nr killed with SIGKILL at every step of ADD (ZOS_FAULT),
// then DEL, and a retried ADD, leave nothing behind and a working container;
// a delete while an ADD is stopped between its apply and its attach waits.
// Nibbles used here: 0b10 (one fault point at a time), 0b11 (a delete during an ADD),
// 0b12 (a killed warm ADD, then CNI GC), 0b13 (a killed ADD retried in a new namespace).
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "nr/nr_support.h"

using namespace zos::test;
using namespace zos::test::nr;

TEST_CASE("nr: kill -9 at each step of ADD, then DEL and a retried ADD", "[nr][root][crash]") {
  ZOS_REQUIRE_ROOT();
  const std::string fault = GENERATE(as<std::string>{}, "nr-after-netns", "nr-after-bridge", "nr-after-router",
                                     "nr-after-firewall", "add-after-record", "add-after-ipam", "add-after-veth",
                                     "add-after-addr");
  INFO("ZOS_FAULT=" << fault);
  Node node;
  auto conf = node.conf(node.write_network(network("t-crash", 0x10)));
  auto ns = node.container("k");
  const std::string id = "crash-1";
  std::map<std::string, std::string> kill{{"ZOS_FAULT", fault}};

  auto clean = [&] {
    CHECK(node.host_veths().empty());
    CHECK(node.all_leases().empty());
    CHECK(node.records().empty());
    CHECK(sh("ip -n " + ns.substr(ns.rfind('/') + 1) + " link show dev eth0 >/dev/null 2>&1") != 0);
  };

  // (a) killed ADD, then DEL: nothing leaks
  auto k = node.cni("ADD", conf, id, ns, "eth0", kill);
  {
    ZOS_SHOW(k);
    REQUIRE(k.status == 128 + 9);
  }
  auto d = node.cni("DEL", conf, id, ns);
  {
    ZOS_SHOW(d);
    CHECK(d.status == 0);
  }
  clean();

  // (b) killed ADD, then a retried ADD (no DEL between): it works, one lease
  auto k2 = node.cni("ADD", conf, id, ns, "eth0", kill);
  {
    ZOS_SHOW(k2);
    REQUIRE(k2.status == 128 + 9);
  }
  auto a = node.cni("ADD", conf, id, ns);
  ZOS_SHOW(a);
  REQUIRE(a.status == 0);
  json r = out_json(a);
  CHECK(node.leases_of(id) == 1);
  CHECK(node.leases().size() == 1);
  CHECK(node.host_veths().size() == 1);
  CHECK(node.records().size() == 1);
  auto shown = node.show();
  REQUIRE(shown.size() == 1);
  CHECK(shown[0]["version"] == 1);
  CHECK(shown[0]["present"] == true);
  {
    INFO(shown.dump(2));
    CHECK(shown[0]["problems"].empty());
  }
  CHECK(shown[0]["containers"].size() == 1);
  CHECK(ping(ns, router4(0x10)));
  CHECK(ping(ns, router6(0x10)));
  auto cconf = conf;
  cconf["prevResult"] = r;
  auto c = node.cni("CHECK", cconf, id, ns);
  {
    ZOS_SHOW(c);
    CHECK(c.status == 0);
  }

  auto d2 = node.cni("DEL", cconf, id, ns);
  CHECK(d2.status == 0);
  clean();
}

// Nibble 0b12. The runtime may never send DEL for a killed ADD, only a GC
// that no longer lists the container: whatever the kill left (a lease
// without a record when it came between IPAM and the record, which is
// written once, after IPAM; a record, guard elements, a veth later) goes.
TEST_CASE("nr: kill -9 at each step of a warm ADD, then CNI GC leaves nothing", "[nr][root][crash][gc]") {
  ZOS_REQUIRE_ROOT();
  const std::string fault =
      GENERATE(as<std::string>{}, "add-after-ipam", "add-after-record", "add-after-veth", "add-after-addr");
  INFO("ZOS_FAULT=" << fault);
  Node node;
  auto conf = node.conf(node.write_network(network("t-crashgc", 0x12)));
  auto keep = node.container("gk");
  auto first = node.cni("ADD", conf, "crashgc-keep", keep);  // builds the NR: the ADD below is warm
  {
    ZOS_SHOW(first);
    REQUIRE(first.status == 0);
  }
  auto ns = node.container("gc");
  auto k = node.cni("ADD", conf, "crashgc-1", ns, "eth0", {{"ZOS_FAULT", fault}});
  {
    ZOS_SHOW(k);
    REQUIRE(k.status == 128 + 9);
  }
  CHECK(node.leases_of("crashgc-1") == 1);  // IPAM had answered at every one of these points
  auto gconf = conf;
  gconf["cni.dev/valid-attachments"] = json::array({{{"containerID", "crashgc-keep"}, {"ifname", "eth0"}}});
  auto g = node.cni("GC", gconf);
  {
    ZOS_SHOW(g);
    CHECK(g.status == 0);
  }
  CHECK(node.leases_of("crashgc-1") == 0);
  CHECK(node.leases_of("crashgc-keep") == 1);
  CHECK(node.host_veths().size() == 1);
  CHECK(node.records().size() == 1);
  CHECK(ping(keep, router4(0x12)));
  CHECK(sh("ip -n " + ns.substr(ns.rfind('/') + 1) + " link show dev eth0 >/dev/null 2>&1") != 0);
}

// Nibble 0b13. A killed ADD's veth whose container end no longer holds
// CNI_IFNAME (renamed here, as something else in the container might) is
// found when its name is taken at the create, removed, and made again.
TEST_CASE("nr: an ADD killed after its veth, whose container end was renamed, is retried", "[nr][root][crash]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  auto conf = node.conf(node.write_network(network("t-crashns", 0x13)));
  auto ns = node.container("n");
  const std::string nsname = ns.substr(ns.rfind('/') + 1);
  auto k = node.cni("ADD", conf, "crashns-1", ns, "eth0", {{"ZOS_FAULT", "add-after-veth"}});
  {
    ZOS_SHOW(k);
    REQUIRE(k.status == 128 + 9);
  }
  REQUIRE(node.host_veths().size() == 1);
  REQUIRE(sh("ip -n " + nsname + " link set dev eth0 name old0") == 0);
  auto a = node.cni("ADD", conf, "crashns-1", ns);
  ZOS_SHOW(a);
  REQUIRE(a.status == 0);
  CHECK(node.host_veths().size() == 1);
  CHECK(sh("ip -n " + nsname + " link show dev old0 >/dev/null 2>&1") != 0);  // went with its host end
  CHECK(node.records().size() == 1);
  CHECK(node.leases_of("crashns-1") == 1);
  CHECK(ping(ns, router4(0x13)));
  CHECK(node.cni("DEL", conf, "crashns-1", ns).status == 0);
  CHECK(node.host_veths().empty());
  CHECK(node.all_leases().empty());
}

namespace {

// A process with ZOS_TEST_TAG=<tag> in its environment, only a stopped one
// when `stopped` (zos-nr stops at its fault point with ZOS_FAULT=stop:...);
// 0 while there is none.
pid_t tagged(const std::string& tag, bool stopped) {
  const std::string want = "ZOS_TEST_TAG=" + tag + std::string(1, '\0');
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = e.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(") ");
    if (close == std::string::npos || (stopped && line[close + 2] != 'T')) continue;
    std::ifstream env(e.path() / "environ", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(env)), std::istreambuf_iterator<char>());
    if (all.find(want) != std::string::npos) return static_cast<pid_t>(std::stoi(pid));
  }
  return 0;
}

// Kills what runs with the tag on every way out of the test. A failed
// assertion while the ADD is stopped would otherwise hang the test: the
// futures' destructors wait for the ADD, and for the delete its lock holds.
// Declared after both futures, so it runs first.
struct KillTagged {
  std::string tag;
  ~KillTagged() {
    for (int i = 0; i < 100; ++i) {
      pid_t p = tagged(tag, false);
      if (!p) return;
      ::kill(p, SIGKILL);
      ::usleep(10000);
    }
  }
};

}  // namespace

// Nibble 0b11. A DeleteNetResource that comes while an ADD is between its
// apply and its attach (ZOS_FAULT=stop:add-after-apply holds the ADD there)
// waits for the ADD, which keeps the NR's lock through both, and then
// removes all of it, the new container's veth included. Without the lock
// held through, the delete ran at once and the ADD's attach found the
// bridge gone: 999. Warm (the NR was applied before: shared lock) and cold
// (the ADD builds it: exclusive lock).
TEST_CASE("nr: a delete between an ADD's apply and its attach waits for the ADD", "[nr][root][crash][lock]") {
  ZOS_REQUIRE_ROOT();
  using namespace std::chrono_literals;
  const bool warm = GENERATE(true, false);
  INFO((warm ? "warm ADD (NR applied before)" : "cold ADD (the ADD builds the NR)"));
  Node node;
  auto file = node.write_network(network("t-lock", 0x11));
  auto conf = node.conf(file);
  auto ns = node.container("l");
  if (warm) REQUIRE(node.manage({"apply", file, "--node", kNodeId}).status == 0);

  const std::string tag = std::to_string(::getpid()) + (warm ? "-warm" : "-cold");
  auto add = std::async(std::launch::async, [&] {
    return node.cni("ADD", conf, "lock-1", ns, "eth0", {{"ZOS_FAULT", "stop:add-after-apply"}, {"ZOS_TEST_TAG", tag}});
  });
  std::future<Exec> del;
  KillTagged guard{tag};
  pid_t pid = 0;
  for (int i = 0; i < 600 && !pid && add.wait_for(50ms) == std::future_status::timeout; ++i) pid = tagged(tag, true);
  REQUIRE(pid != 0);  // else the ADD ended (or took 30 s) before its attach
  del = std::async(std::launch::async, [&] { return node.manage({"delete", file, "--node", kNodeId}); });
  // Time enough for a delete that nothing holds back (~50 ms) to be done.
  const bool del_waited = del.wait_for(3s) == std::future_status::timeout;
  ::kill(pid, SIGCONT);
  auto a = add.get();
  auto d = del.get();
  ZOS_SHOW(a);
  CHECK(del_waited);
  CHECK(a.status == 0);
  CHECK(code_of(a) != 999);
  CHECK(d.status == 0);
  // The delete came after the ADD: nothing of the NR or the container left.
  CHECK(node.host_veths().empty());
  CHECK(node.records().empty());
  CHECK(node.all_leases().empty());
  CHECK_FALSE(node.has_link(nr_bridge(0x11)));
  CHECK(sh("ip netns list | grep -qw " + nr_netns(0x11)) != 0);
  CHECK(node.show().empty());
}
