// One conflist for every tenant of a node: networksDir + CNI_ARGS
// ZOS_NETWORK=<network_id> picks the network per container.
// Nibbles: 0b80, 0b81.
#include <catch2/catch.hpp>

#include "nr/nr_support.h"

using namespace zos::test;
using namespace zos::test::nr;

TEST_CASE("nr: networksDir serves every tenant with one config", "[nr][root][networks-dir]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  std::string fa = node.write_network(network("t-dir-a", 0x80));
  node.write_network(network("t-dir-b", 0x81));
  json conf = node.conf(fa);
  conf.erase("networkFile");
  conf["networksDir"] = fa.substr(0, fa.rfind('/'));

  auto ca = node.container("dir-a");
  auto cb = node.container("dir-b");
  auto ra = node.cni("ADD", conf, "dir-a", ca, "eth0", {{"CNI_ARGS", "IgnoreUnknown=1;ZOS_NETWORK=t-dir-a"}});
  NR_SHOW(ra);
  REQUIRE(ra.status == 0);
  auto rb = node.cni("ADD", conf, "dir-b", cb, "eth0", {{"CNI_ARGS", "ZOS_NETWORK=t-dir-b"}});
  NR_SHOW(rb);
  REQUIRE(rb.status == 0);

  // Each container landed in its own tenant's NR.
  CHECK(ip4_of(out_json(ra)).rfind("10.11.128.", 0) == 0);
  CHECK(ip4_of(out_json(rb)).rfind("10.11.129.", 0) == 0);
  CHECK(ping(ca, router4(0x80)));
  CHECK(ping(cb, router4(0x81)));
  CHECK_FALSE(ping(ca, ip4_of(out_json(rb))));
  json shown = node.show();
  CHECK(shown.size() == 2);

  SECTION("no ZOS_NETWORK: 7, saying what to set") {
    auto r = node.cni("ADD", conf, "dir-c", node.container("dir-c"));
    CHECK(code_of(r) == 7);
    CHECK_THAT(msg_of(r), Catch::Contains("ZOS_NETWORK"));
  }
  SECTION("an unknown network: 7 naming the file") {
    auto r = node.cni("ADD", conf, "dir-d", node.container("dir-d"), "eth0", {{"CNI_ARGS", "ZOS_NETWORK=t-nope"}});
    CHECK(code_of(r) == 7);
    CHECK_THAT(msg_of(r), Catch::Contains("t-nope.json"));
  }
  SECTION("DEL with the same arguments releases each") {
    CHECK(node.cni("DEL", conf, "dir-a", ca, "eth0", {{"CNI_ARGS", "ZOS_NETWORK=t-dir-a"}}).status == 0);
    CHECK(node.cni("DEL", conf, "dir-b", cb, "eth0", {{"CNI_ARGS", "ZOS_NETWORK=t-dir-b"}}).status == 0);
    CHECK(node.leases().empty());
    CHECK(node.host_veths().empty());
  }
}
