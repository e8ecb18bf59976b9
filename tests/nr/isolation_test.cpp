// Integration: the isolation matrix of issue #11. Three tenants on two nodes
// (node1 has the public side and the Internet behind it; tenant A's exit is
// on node1), one container per tenant per node. From every container (and
// from the Internet) to every address of every party, each expected result
// asserted: what belongs to one's own tenant answers, A reaches the
// Internet, nothing else does. Pings run in parallel with short timeouts.
//
// Nibbles used here: 0bd0 0bd1 (A), 0bd2 0bd3 (B), 0bd4 0bd5 (C).
#include <unistd.h>

#include <memory>

#include "nr/exit_world.h"
#include "nr/mesh_world.h"

using namespace zos::test;
using namespace zos::test::nr;

namespace {

struct Target {
  std::string addr, what;
  int owner;  // tenant index, -1 the Internet, -2 the nodes
};

// Runs every (from, to) ping at once, 1 s timeout, 2 tries; true when answered.
std::vector<bool> ping_all(const std::vector<std::pair<std::string, std::string>>& probes) {
  TempDir tmp;
  std::vector<std::unique_ptr<Background>> run;
  for (size_t i = 0; i < probes.size(); ++i) {
    const auto& [from, to] = probes[i];
    run.push_back(std::make_unique<Background>("nsenter --net=" + from + " ping -c 2 -i 0.3 -W 1 " + to +
                                               " >/dev/null 2>&1 && touch " + (tmp / std::to_string(i))));
  }
  for (auto& b : run) b->wait();
  std::vector<bool> out;
  for (size_t i = 0; i < probes.size(); ++i) out.push_back(sh("test -e " + (tmp / std::to_string(i))) == 0);
  return out;
}

}  // namespace

TEST_CASE("security: isolation matrix, three tenants on two nodes and the Internet", "[nr][root][security][matrix]") {
  ZOS_REQUIRE_ROOT();
  ExitWorld w("mx", "node1");
  Node n2("mx2", "node2");
  Node* nodes[2] = {&w.node, &n2};
  REQUIRE(sh("ip -n " + w.node.public_ns() + " link add up0 type veth peer name up0 netns " + n2.name()) == 0);
  REQUIRE(sh("ip -n " + w.node.public_ns() + " addr add 192.168.253.1/24 dev up0 && ip -n " + w.node.public_ns() +
             " link set up0 up && ip -n " + n2.name() + " addr add 192.168.253.2/24 dev up0 && ip -n " + n2.name() +
             " link set up0 up") == 0);
  int base = 40000 + (::getpid() % 2000) * 6;
  const std::string ids[3] = {"mx-a", "mx-b", "mx-c"};
  std::string cont[3][2], files[3][2];
  std::vector<Target> targets;
  // Every object written first (write_network clears leftovers of its NRs).
  for (int t = 0; t < 3; ++t) {
    std::vector<Member> ms = {{0xd0 + 2 * t, "node1", "192.168.253.1", base + 2 * t},
                              {0xd1 + 2 * t, "node2", "192.168.253.2", base + 2 * t + 1}};
    json net = network_of(ids[t], 1, ms, t == 0 ? 0xd0 : -1);
    if (t == 0) net["exit_point"] = exit_point("203.0.113.10/24", "2001:db8:ff::10/64");
    for (int i = 0; i < 2; ++i) files[t][i] = nodes[i]->write_network(net, ids[t] + ".json");
  }
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < 2; ++i) {
      int nib = 0xd0 + 2 * t + i;
      const auto& f = files[t][i];
      cont[t][i] = nodes[i]->container("mx" + std::to_string(t) + std::to_string(i));
      json r = succeeded(nodes[i]->cni("ADD", nodes[i]->conf(f, "1.1.0", ids[t]), ids[t] + std::to_string(i),
                                       cont[t][i]));
      std::string ll = sh_out("ip -n " + ns_name("mx" + std::to_string(t) + std::to_string(i)) +
                              " -6 -o addr show dev eth0 scope link | awk '{split($4,a,\"/\"); printf a[1]}'");
      std::string who = ids[t] + " on node" + std::to_string(i + 1);
      targets.push_back({ip4_of(r), who + ": container v4", t});
      targets.push_back({ip6_of(r), who + ": container v6", t});
      targets.push_back({ll + "%eth0", who + ": container link-local", -3});  // never off its own link
      targets.push_back({router4(nib), who + ": router v4", t});
      targets.push_back({router6(nib), who + ": router v6", t});
      targets.push_back({"10.255.11." + std::to_string(nib), who + ": WireGuard v4", t});
    }
  }
  targets.push_back({"203.0.113.10", "A's exit IPv4", 0});
  targets.push_back({"2001:db8:ff::10", "A's exit IPv6", 0});
  targets.push_back({"203.0.113.1", "the Internet v4", -1});
  targets.push_back({"2001:db8:ff::1", "the Internet v6", -1});
  for (const char* a : {"192.168.253.1", "192.168.253.2", "203.0.113.2", "2001:db8:ff::2"})
    targets.push_back({a, std::string("a node address ") + a, -2});
  // The mesh is up (handshakes done) before the matrix.
  for (int t = 0; t < 3; ++t) REQUIRE(ping_retry(cont[t][0], router4(0xd1 + 2 * t), 10));

  std::vector<std::pair<std::string, std::string>> probes;
  std::vector<std::pair<std::string, bool>> expect;  // label, reachable
  for (int t = 0; t < 3; ++t)
    for (int i = 0; i < 2; ++i)
      for (const auto& tg : targets) {
        bool own_link_local = tg.owner == -3 && tg.what.rfind(ids[t] + " on node" + std::to_string(i + 1), 0) == 0;
        if (own_link_local) continue;
        probes.push_back({cont[t][i], tg.addr});
        expect.push_back({ids[t] + " on node" + std::to_string(i + 1) + " -> " + tg.what + " (" + tg.addr + ")",
                          tg.owner == t || (tg.owner == -1 && t == 0)});
      }
  // The Internet back: nothing of any tenant answers it.
  for (const auto& tg : targets)
    if (tg.owner >= 0) {
      probes.push_back({w.inet_path, tg.addr});
      expect.push_back({"the Internet -> " + tg.what + " (" + tg.addr + ")", false});
    }
  auto got = ping_all(probes);
  int wrong = 0;
  for (size_t i = 0; i < probes.size(); ++i) {
    INFO(expect[i].first << ": expected " << (expect[i].second ? "answer" : "silence"));
    CHECK(got[i] == expect[i].second);
    wrong += got[i] != expect[i].second;
  }
  CHECK(wrong == 0);
}
