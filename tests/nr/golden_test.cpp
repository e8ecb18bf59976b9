// Integration: the golden objects of tests/model/golden, in 0-OS's own JSON
// form with private keys sealed to each node's identity, applied unchanged
// (the files are copied byte for byte) on a simulated grid.
//
//   node1-pub: up0 192.168.251.1, fd00:251::1 | public ── wan0 (Internet: 203.0.113.1,
//              2a02:1802:5e::1, fe80::1 on the prefix_zero segment; 2001:db8:ff::1 on lo)
//   node2:     up0 192.168.251.2, fd00:251::2    hidden in the first network ("<nil>" IP)
//   node3:     up0 fd00:251::3                    IPv6 only
//
// First network (allocation 0): 0bc0 node1 = exit (exit node 1; its public
// IPv6 2a02:1802:5e:0:1000::1 derived from prefix_zero), 0bc1 node2, 0bc2
// node3. Second (allocation_nr 1): 0bc4 node1 = IPv4 exit 203.0.113.11 with
// NAT and DNAT :80 -> 10.11.197.2:8080, 0bc5 node2.
#include <catch2/catch.hpp>

#include "common/crypto/sealed.h"
#include "common/sys/file.h"
#include "nr/grid_support.h"
#include "nr/nr_support.h"

using namespace zos::test;
using namespace zos::test::nr;

namespace {

// The identities of the golden objects (tests/model/golden/README.md).
const char* kSeed[] = {"896771857b91a7ce700bb58d4ff48e443aff6c3bf0e8fc809159ac2d432e1744",
                       "4bc660d6b88deeb775b2f4e26a87b7c66cb8396fe86a1f6758c29fd50e023b64",
                       "35229a34f031f9a2125bdcfcf949f19ed1f5717fb351451878f9ca47f4c78508"};

std::string golden_path(const std::string& name) {
  return std::string(ZOS_SOURCE_DIR) + "/tests/model/golden/" + name + ".json";
}

json golden(const std::string& name) {
  auto text = zos::sys::read_file(golden_path(name));
  REQUIRE(text);
  return json::parse(*text);
}

// The node id of seed i: base58 of its ed25519 public key.
std::string node_id(int i) {
  auto seed = zos::crypto::from_hex(kSeed[i]);
  zos::crypto::Seed s{};
  std::copy(seed->begin(), seed->end(), s.begin());
  auto pk = zos::crypto::public_key_of(s);
  return zos::crypto::base58(pk.data(), pk.size());
}

// identityd's seed file ("1.0.0" + 32 raw bytes, mode 0400) in the node's folder.
std::string write_identity(const Node& n, int i) {
  std::string path = n.file("seed.txt");
  zos::sys::write_file_atomic(path, "\"1.0.0\"" + *zos::crypto::from_hex(kSeed[i]), 0400, zos::sys::Sync::kCrashSafe);
  REQUIRE(sh("chmod 0400 " + path) == 0);
  return path;
}

// Writes the golden object for node n: registered for cleanup, then the
// file itself copied over byte for byte (Go's escapes included).
std::string place(Node& n, const std::string& name) {
  std::string f = n.write_network(golden(name), name + ".json");
  REQUIRE(sh("cp " + golden_path(name) + " " + f) == 0);
  return f;
}

}  // namespace

TEST_CASE("nr: 0-OS's own network objects, sealed keys and a derived exit, on a grid", "[nr][root][golden]") {
  ZOS_REQUIRE_ROOT();
  Node n1("z1", node_id(0)), n2("z2", node_id(1)), n3("z3", node_id(2));
  Node* nodes[3] = {&n1, &n2, &n3};
  Netns sw_ns("nr", "zsw"), inet_ns("nr", "zinet");
  const std::string sw = sw_ns.name(), inet = inet_ns.name(), pub1 = n1.public_ns();
  const std::string inet_path = "/run/netns/" + inet;

  REQUIRE(sh("ip netns add " + pub1) == 0);
  REQUIRE(sh("ip -n " + sw + " link add sw0 type bridge && ip -n " + sw + " link set sw0 up") == 0);
  const std::string side[3] = {pub1, n2.name(), n3.name()};
  for (int i = 0; i < 3; ++i) {
    std::string ns = side[i], k = std::to_string(i + 1), port = "p" + k;
    REQUIRE(sh("ip -n " + sw + " link add " + port + " type veth peer name up0 netns " + ns + " && ip -n " + sw +
               " link set " + port + " master sw0 up") == 0);
    REQUIRE(sh("ip -n " + ns + " link set lo up && ip -n " + ns + " addr add fd00:251::" + k +
               "/64 dev up0 nodad && ip -n " + ns + " link set up0 up") == 0);
    if (i < 2) REQUIRE(sh("ip -n " + ns + " addr add 192.168.251." + k + "/24 dev up0") == 0);  // node3: IPv6 only
  }
  // The Internet on node1's `public` link: the farm's prefix_zero segment,
  // its router fe80::1, which routes the farm's /48 to the exit's address.
  REQUIRE(sh("ip -n " + inet + " link set lo up && ip -n " + inet + " link add wan0 type veth peer name public netns " +
             pub1 + " && ip -n " + pub1 + " link set public up") == 0);
  // As on a 0-OS node, the public side's default route leaves by `public`:
  // the link the node policy lets exits use by default.
  REQUIRE(sh("ip -n " + pub1 + " -6 route add default via fe80::1 dev public") == 0);
  REQUIRE(sh("ip -n " + inet + " addr add 203.0.113.1/24 dev wan0 && ip -n " + inet +
             " addr add 2a02:1802:5e::1/64 dev wan0 nodad && ip -n " + inet + " addr add fe80::1/64 dev wan0 nodad && ip -n " +
             inet + " addr add 2001:db8:ff::1/128 dev lo && ip -n " + inet + " link set wan0 up") == 0);
  REQUIRE(sh("ip -n " + inet + " route add 2a02:1802:5e::/48 via 2a02:1802:5e:0:1000::1 dev wan0") == 0);

  // Each node: its identity file, the two objects as 0-OS wrote them.
  std::string fa[3], fb[2];
  json confa[3], confb[2];
  for (int i = 0; i < 3; ++i) {
    std::string id = write_identity(*nodes[i], i);
    fa[i] = place(*nodes[i], "three-node-exit");
    confa[i] = nodes[i]->conf(fa[i]);
    confa[i]["identityKeyFile"] = id;
    if (i < 2) {
      fb[i] = place(*nodes[i], "ipv4-exit-alloc1");
      confb[i] = nodes[i]->conf(fb[i], "1.1.0", "zosb");
      confb[i]["identityKeyFile"] = id;
    }
  }

  std::string c[3], c4[3], c6[3], d[2], d4[2], d6[2];
  for (int i = 0; i < 3; ++i) {
    c[i] = nodes[i]->container("zc" + std::to_string(i + 1));
    json r = succeeded(nodes[i]->cni("ADD", confa[i], "golden-c" + std::to_string(i), c[i]));
    c4[i] = ip4_of(r);
    c6[i] = ip6_of(r);
  }
  for (int i = 0; i < 2; ++i) {
    d[i] = nodes[i]->container("zd" + std::to_string(i + 1));
    json r = succeeded(nodes[i]->cni("ADD", confb[i], "golden-d" + std::to_string(i), d[i]));
    d4[i] = ip4_of(r);
    d6[i] = ip6_of(r);
  }
  // allocation_nr 1 names the second network's NRs; its DNAT names d2's address.
  CHECK(n1.has_link(nr_bridge(0xc4, 1)));
  REQUIRE(d4[1] == "10.11.197.2");

  {
    // Every pair, v4 and v6, in both networks: the sealed keys opened, the
    // "Connection"s were read, the hidden node dialled out.
    check_all_pairs({c[0], c[1], c[2]}, {c4[0], c4[1], c4[2]}, {c6[0], c6[1], c6[2]});
    check_all_pairs({d[0], d[1]}, {d4[0], d4[1]}, {d6[0], d6[1]});
    // The hidden node keeps its tunnels open; the others learnt its endpoint.
    std::string ka = sh_out("nsenter --net=/run/netns/" + nr_netns(0xc1) + " wg show wg-0bc1-0 persistent-keepalive");
    INFO(ka);
    CHECK(ka.find("\t25") != std::string::npos);

    // The first network's exit: 0-OS's derived public IPv6 and its gateway
    // link-local on the pub link; every container reaches the Internet's IPv6.
    std::string addrs = sh_out("ip -n " + nr_netns(0xc0) + " -6 addr show dev pub-0bc0-0");
    INFO(addrs);
    CHECK(addrs.find("2a02:1802:5e:0:1000::1/64") != std::string::npos);
    CHECK(addrs.find("fe80::1000:0:0:1/64") != std::string::npos);
    for (int i = 0; i < 3; ++i) {
      INFO("c" << i + 1 << " -> Internet");
      CHECK(ping_retry(c[i], "2001:db8:ff::1"));
    }
    // The second network's IPv4 exit: NAT out, DNAT in (0-OS's encoder wrote
    // external_ip = internal_ip), and nothing of the first network.
    for (int i = 0; i < 2; ++i) CHECK(ping_retry(d[i], "203.0.113.1"));
    Background server("exec nsenter --net=" + d[1] + " busybox nc -ll -p 8080 -e echo hello-from-d2");
    std::string got;
    for (int i = 0; i < 5 && got.find("hello-from-d2") == std::string::npos; ++i)
      got = tcp_fetch(inet_path, "203.0.113.11", 80);
    CHECK(got.find("hello-from-d2") != std::string::npos);
    server.stop();
    CHECK_FALSE(ping(d[0], c4[1]));
    CHECK_FALSE(ping(c[1], d4[0]));
  }

  for (int i = 0; i < 3; ++i) CHECK(nodes[i]->cni("DEL", confa[i], "golden-c" + std::to_string(i), c[i]).status == 0);
  for (int i = 0; i < 2; ++i) CHECK(nodes[i]->cni("DEL", confb[i], "golden-d" + std::to_string(i), d[i]).status == 0);
}

TEST_CASE("nr: a key sealed to another node stops `zos-nr apply` before anything is built", "[nr][root][golden]") {
  ZOS_REQUIRE_ROOT();
  // node2's object, applied with node1's identity.
  Node n("zk", node_id(1));
  std::string wrong = write_identity(n, 0);
  std::string f = place(n, "three-node-exit");
  auto r = n.manage({"apply", f, "--node", n.id(), "--identity-file", wrong});
  ZOS_SHOW(r);
  CHECK(r.status == 1);
  CHECK(r.err.find("not sealed to this node's identity " + node_id(0)) != std::string::npos);
  CHECK(sh("test -e /run/netns/" + nr_netns(0xc1)) != 0);
  CHECK_FALSE(n.has_link(nr_bridge(0xc1)));
}
