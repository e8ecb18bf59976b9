// Integration: zos-nr killed with SIGKILL at every step of ADD (ZOS_FAULT),
// then DEL, and a retried ADD, leave nothing behind and a working container.
// Nibble used here: 0b10 (one fault point at a time).
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
