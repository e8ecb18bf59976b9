// Integration: two NRs of one network on two nodes, joined by WireGuard:
// wireguard-go on this machine (no wireguard module), the kernel's in the qemu
// guest (tests/qemu/nr-kernel.sh), which sets ZOS_TEST_WG_BACKEND=kernel.
// Nibbles used here: 0b90 (node A) and 0b91 (node B).
//
// Two node namespaces joined by a veth pair zt-m<pid%10000>a/b with
// 192.168.252.1/24 and .2/24 (the "underlay"); each NR's wg link is created
// in its node namespace (where its UDP socket stays) and moved into the NR.
#include <unistd.h>

#include "common/wg/wg.h"
#include "nr/nr_support.h"

using namespace zos::test;
using namespace zos::test::nr;

namespace {

json peer(int n, const std::string& ip, int port, const zos::wg::Key& priv, bool own) {
  json c = {{"ip", ip}, {"port", port}, {"key", zos::wg::key_to_base64(zos::wg::public_key_of(priv))}};
  if (own) c["private_key"] = zos::wg::key_to_base64(priv);
  return {{"type", 0}, {"prefix", prefix(n)}, {"connection", c}};
}

std::string pids_of(const std::string& link) {
  auto r = run({"/usr/bin/pgrep", "-f", "wireguard-go.*" + link}, {{"PATH", "/usr/bin:/bin"}});
  return r.out;
}

// The link's ifindex in its namespace ("" when absent): same index, same link.
std::string index_of(const std::string& netns, const std::string& link) {
  auto s = sh_out("ip -n " + netns + " -o link show dev " + link + " 2>/dev/null");
  return s.substr(0, s.find(':'));
}

// `wg show <link> peers` where the link is (the kernel's is only visible there).
std::string wg_peers(const std::string& netns, const std::string& link) {
  return sh_out("/usr/bin/nsenter --net=/run/netns/" + netns + " wg show " + link + " peers 2>&1");
}


}  // namespace

TEST_CASE("nr: containers on two nodes reach each other through the WireGuard mesh, v4 and v6",
          "[nr][root][mesh]") {
  ZOS_REQUIRE_ROOT();
  Node na("mA");
  Node nb("mB", "node2");
  std::string tag = std::to_string(::getpid() % 10000);
  std::string va = "zt-m" + tag + "a", vb = "zt-m" + tag + "b";
  REQUIRE(sh("ip link add " + va + " netns " + na.name() + " type veth peer name " + vb + " netns " + nb.name()) ==
          0);
  REQUIRE(na.sh_node("ip addr add 192.168.252.1/24 dev " + va + " && ip link set " + va + " up") == 0);
  REQUIRE(nb.sh_node("ip addr add 192.168.252.2/24 dev " + vb + " && ip link set " + vb + " up") == 0);

  auto ka = zos::wg::generate_private_key();
  auto kb = zos::wg::generate_private_key();
  int pa = 40000 + ::getpid() % 10000, pb = pa + 10000;
  auto entry = [&](int n, const std::string& id, bool own_a) {
    return json{{"node_id", {{"id", id}}},
                {"prefix", prefix(n)},
                {"peers", json::array({peer(0x90, "192.168.252.1", pa, ka, own_a),
                                       peer(0x91, "192.168.252.2", pb, kb, !own_a)})}};
  };
  json net = {{"network_id", "t-mesh"},
              {"version", 1},
              {"allocation_nr", 0},
              {"resources", json::array({entry(0x90, "node1", true), entry(0x91, "node2", false)})}};
  // Both files before any NR exists: write_network clears leftover NRs.
  auto fa = na.write_network(net);
  auto fb = nb.write_network(net);
  auto ca = na.conf(fa);
  auto cb = nb.conf(fb);

  auto a = na.container("ma");
  auto b = nb.container("mb");
  auto ra = na.cni("ADD", ca, "mesh-a", a);
  auto rb = nb.cni("ADD", cb, "mesh-b", b);
  json ja = succeeded(ra), jb = succeeded(rb);
  std::string a4 = ip4_of(ja), b4 = ip4_of(jb), a6 = ip6_of(ja), b6 = ip6_of(jb);
  REQUIRE(a4.rfind("10.11.144.", 0) == 0);
  REQUIRE(b4.rfind("10.11.145.", 0) == 0);
  REQUIRE(a6.rfind("2a02:1802:5e:b90:", 0) == 0);
  REQUIRE(b6.rfind("2a02:1802:5e:b91:", 0) == 0);

  // The backend zos-nr picked by itself: the kernel's when it has the
  // wireguard link type, else wireguard-go (one process per link).
  const std::string backend = expected_wg_backend();
  CHECK(wg_backend_of(nr_netns(0x90), "wg-0b90-0") == backend);
  CHECK(wg_backend_of(nr_netns(0x91), "wg-0b91-0") == backend);
  CHECK(pids_of("wg-0b90-0").empty() == (backend == "kernel"));
  CHECK(pids_of("wg-0b91-0").empty() == (backend == "kernel"));

  // The first packets wait for the handshake: ping_retry allows a few tries.
  CHECK(ping_retry(a, b4));
  CHECK(ping_retry(b, a4));
  CHECK(ping_retry(a, b6));
  CHECK(ping_retry(b, a6));

  // Applying again (converge) keeps the same link and process.
  auto before = pids_of("wg-0b90-0");
  auto index_before = index_of(nr_netns(0x90), "wg-0b90-0");
  const std::map<std::string, std::string> info{{"ZOS_LOG_LEVEL", "info"}};
  auto again = na.manage({"apply", fa, "--node", "node1"}, true, info);
  {
    ZOS_SHOW(again);
    CHECK(again.status == 0);
    // Unchanged: nothing is sent to the device.
    CHECK_THAT(again.err, Catch::Contains("1 peer(s)") && Catch::Contains("0 peer change(s) sent"));
  }
  CHECK(pids_of("wg-0b90-0") == before);
  CHECK(index_of(nr_netns(0x90), "wg-0b90-0") == index_before);
  CHECK(ping_retry(a, b4));

  std::string pub_b = zos::wg::key_to_base64(zos::wg::public_key_of(kb));
  CHECK(wg_peers(nr_netns(0x90), "wg-0b90-0").find(pub_b) != std::string::npos);

  // A peer changed behind zos-nr's back is sent again, alone.
  REQUIRE(sh("/usr/bin/nsenter --net=/run/netns/" + nr_netns(0x90) + " wg set wg-0b90-0 peer " + pub_b +
             " allowed-ips 10.11.145.0/24") == 0);
  CHECK_FALSE(ping(a, b6));
  auto healed = na.manage({"apply", fa, "--node", "node1"}, true, info);
  {
    ZOS_SHOW(healed);
    CHECK(healed.status == 0);
    CHECK_THAT(healed.err, Catch::Contains("1 peer change(s) sent"));
  }
  CHECK(ping_retry(a, b6));

  // Version 2 drops node B from A's peers: the peer and its routes go.
  json net2 = net;
  net2["version"] = 2;
  net2["resources"][0]["peers"].erase(1);
  na.write_network(net2);
  auto v2 = na.manage({"apply", fa, "--node", "node1"});
  {
    ZOS_SHOW(v2);
    CHECK(v2.status == 0);
  }
  std::string routes = sh_out("ip -n " + nr_netns(0x90) + " route show dev wg-0b90-0; ip -n " + nr_netns(0x90) +
                              " -6 route show dev wg-0b90-0");
  INFO(routes);
  CHECK(routes.find("10.11.145.0/24") == std::string::npos);
  CHECK(routes.find("2a02:1802:5e:b91::/64") == std::string::npos);
  std::string peers_v2 = wg_peers(nr_netns(0x90), "wg-0b90-0");
  INFO(peers_v2);
  CHECK(peers_v2.find("wg-0b90-0") == std::string::npos);  // not an error about the link
  CHECK(peers_v2.find(pub_b) == std::string::npos);
  CHECK_FALSE(ping(a, b4));

  // CHECK sees a WireGuard link that went away.
  {
    json chk = ca;
    chk["prevResult"] = ja;
    REQUIRE(na.cni("CHECK", chk, "mesh-a", a).status == 0);
    REQUIRE(sh("ip -n " + nr_netns(0x90) + " link del wg-0b90-0") == 0);
    auto r = na.cni("CHECK", chk, "mesh-a", a);
    ZOS_SHOW(r);
    CHECK(code_of(r) == 110);
    CHECK_THAT(msg_of(r), Catch::Contains("wg-0b90-0"));
  }

  // Deleting the NRs stops wireguard-go.
  CHECK(na.cni("DEL", ca, "mesh-a", a).status == 0);
  CHECK(nb.cni("DEL", cb, "mesh-b", b).status == 0);
  auto da = na.manage({"delete", fa, "--node", "node1"});
  auto db = nb.manage({"delete", fb, "--node", "node2"});
  {
    ZOS_SHOW(da);
    CHECK(da.status == 0);
  }
  {
    ZOS_SHOW(db);
    CHECK(db.status == 0);
  }
  CHECK(pids_of("wg-0b90-0").empty());
  CHECK(pids_of("wg-0b91-0").empty());
}
