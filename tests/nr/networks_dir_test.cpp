// One conflist for every tenant of a node: networksDir + CNI_ARGS
// ZOS_NETWORK=<network_id> picks the network per container.
// Nibbles: 0b80, 0b81.
#include <catch2/catch.hpp>

#include "nr/nr_support.h"

using namespace zos::test;
using namespace zos::test::nr;

namespace {

// Two networks (a, b) written to the node's folder and a config serving both
// through networksDir; returns the config, `file_a` is a's object file.
json two_network_conf(Node& node, const std::string& a, int na, const std::string& b, int nb, std::string& file_a) {
  file_a = node.write_network(network(a, na));
  node.write_network(network(b, nb));
  json conf = node.conf(file_a);
  conf.erase("networkFile");
  conf["networksDir"] = file_a.substr(0, file_a.rfind('/'));
  return conf;
}

}  // namespace

TEST_CASE("nr: networksDir serves every tenant with one config", "[nr][root][networks-dir]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  std::string fa;
  json conf = two_network_conf(node, "t-dir-a", 0x80, "t-dir-b", 0x81, fa);

  auto ca = node.container("dir-a");
  auto cb = node.container("dir-b");
  auto ra = node.cni("ADD", conf, "dir-a", ca, "eth0", {{"CNI_ARGS", "IgnoreUnknown=1;ZOS_NETWORK=t-dir-a"}});
  ZOS_SHOW(ra);
  REQUIRE(ra.status == 0);
  auto rb = node.cni("ADD", conf, "dir-b", cb, "eth0", {{"CNI_ARGS", "ZOS_NETWORK=t-dir-b"}});
  ZOS_SHOW(rb);
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

// Kubernetes: a pod cannot set CNI_ARGS, but CRI sends K8S_POD_NAMESPACE; the
// operator maps namespaces to networks. Nibbles: 0b82, 0b83.
TEST_CASE("nr: pod namespaces pick the network of networksDir", "[nr][root][networks-dir]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  std::string fa;
  json conf = two_network_conf(node, "t-ns-a", 0x82, "t-ns-b", 0x83, fa);
  conf["podNamespaces"] = {{"tenant-a", "t-ns-a"}};
  conf["podNamespaceAsNetwork"] = true;
  auto cri = [](const std::string& ns) {  // what containerd's CRI plugin sends
    return "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + ns + ";K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=x;K8S_POD_UID=u";
  };

  auto ca = node.container("ns-a");
  auto cb = node.container("ns-b");
  auto ra = node.cni("ADD", conf, "ns-a", ca, "eth0", {{"CNI_ARGS", cri("tenant-a")}});  // by the map
  ZOS_SHOW(ra);
  REQUIRE(ra.status == 0);
  auto rb = node.cni("ADD", conf, "ns-b", cb, "eth0", {{"CNI_ARGS", cri("t-ns-b")}});  // named like the network
  ZOS_SHOW(rb);
  REQUIRE(rb.status == 0);
  CHECK(ip4_of(out_json(ra)).rfind("10.11.130.", 0) == 0);
  CHECK(ip4_of(out_json(rb)).rfind("10.11.131.", 0) == 0);
  CHECK(ping(ca, router4(0x82)));
  CHECK(ping(cb, router4(0x83)));
  CHECK_FALSE(ping(ca, ip4_of(out_json(rb))));

  SECTION("a namespace with no network: 7 naming podNamespaces; its DEL still succeeds") {
    conf.erase("podNamespaceAsNetwork");
    auto r = node.cni("ADD", conf, "ns-c", node.container("ns-c"), "eth0", {{"CNI_ARGS", cri("t-ns-b")}});
    CHECK(code_of(r) == 7);
    CHECK_THAT(msg_of(r), Catch::Contains("podNamespaces"));
    CHECK(node.cni("DEL", conf, "ns-c", "", "eth0", {{"CNI_ARGS", cri("t-ns-b")}}).status == 0);
  }
  SECTION("ZOS_NETWORK cannot move a mapped namespace to another network: 4") {
    auto r = node.cni("ADD", conf, "ns-d", node.container("ns-d"), "eth0",
                      {{"CNI_ARGS", cri("tenant-a") + ";ZOS_NETWORK=t-ns-b"}});
    CHECK(code_of(r) == 4);
  }
  SECTION("podNamespaces without networksDir: 7") {
    json c2 = node.conf(fa);
    c2["podNamespaces"] = {{"tenant-a", "t-ns-a"}};
    auto r = node.cni("ADD", c2, "ns-e", node.container("ns-e"), "eth0", {{"CNI_ARGS", cri("tenant-a")}});
    CHECK(code_of(r) == 7);
    CHECK_THAT(msg_of(r), Catch::Contains("networksDir"));
  }
  SECTION("DEL by namespace releases each") {
    CHECK(node.cni("DEL", conf, "ns-a", ca, "eth0", {{"CNI_ARGS", cri("tenant-a")}}).status == 0);
    CHECK(node.cni("DEL", conf, "ns-b", "", "eth0", {{"CNI_ARGS", cri("t-ns-b")}}).status == 0);
    CHECK(node.leases().empty());
    CHECK(node.host_veths().empty());
  }
}
