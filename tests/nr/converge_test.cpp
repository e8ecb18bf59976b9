// Integration: repeated or interrupted operations converge (issue 12): a
// re-created NR keeps its router MAC, an ADD behind a newer apply joins it,
// an ADD heals a mesh whose wireguard-go died, GC collects what kill -9
// left, and wgPrivateKeyFile is judged by the file actually opened.
// Nibbles used here: 0bc1 (router MAC), 0bc2 (newer version), 0bc4 (key
// file), 0bc5 (dead wireguard-go).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "common/wg/wg.h"
#include "nr/nr_support.h"

using namespace zos::test;
using namespace zos::test::nr;

namespace {

std::string mac_in(const std::string& netns, const std::string& link) {
  auto s = sh_out("ip -n " + netns + " -o link show dev " + link + " 2>/dev/null");
  auto p = s.find("link/ether ");
  return p == std::string::npos ? "" : s.substr(p + 11, 17);
}

bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

// A network whose NR (nibble n) has its own WireGuard entry and one remote
// peer (never contacted: the tests only look at the local side).
json mesh_network(const std::string& id, int n, const std::string& own_private_b64) {
  auto remote = zos::wg::generate_private_key();
  json own_conn = {{"ip", "192.0.2.1"}, {"port", 40000 + n}, {"key", ""}};
  if (!own_private_b64.empty()) {
    auto k = zos::wg::key_from_base64(own_private_b64);
    own_conn["key"] = zos::wg::key_to_base64(zos::wg::public_key_of(*k));
    own_conn["private_key"] = own_private_b64;
  }
  json remote_conn = {{"ip", "192.0.2.2"}, {"port", 51820},
                      {"key", zos::wg::key_to_base64(zos::wg::public_key_of(remote))}};
  json net = network(id, n);
  net["resources"][0]["peers"] = json::array({{{"type", 0}, {"prefix", prefix(n)}, {"connection", own_conn}},
                                              {{"type", 0}, {"prefix", prefix(0xcf)}, {"connection", remote_conn}}});
  return net;
}

}  // namespace

TEST_CASE("nr: a re-created NR keeps its router MAC", "[nr][root][converge]") {
  ZOS_REQUIRE_ROOT();
  Node node("mac");
  auto file = node.write_network(network("t-mac", 0xc1));
  REQUIRE(node.manage({"apply", file, "--node", kNodeId}).status == 0);
  std::string mac1 = mac_in(nr_netns(0xc1), nr_veth(0xc1));
  REQUIRE(mac1.size() == 17);
  // The namespace goes (a reboot, an operator): the router veth with it.
  REQUIRE(sh("ip netns del " + nr_netns(0xc1)) == 0);
  auto again = node.manage({"apply", file, "--node", kNodeId});
  ZOS_SHOW(again);
  REQUIRE(again.status == 0);
  CHECK(mac_in(nr_netns(0xc1), nr_veth(0xc1)) == mac1);
}

TEST_CASE("nr: an ADD with an older object than the applied one attaches to the applied NR", "[nr][root][converge]") {
  ZOS_REQUIRE_ROOT();
  Node node("newer");
  auto v1 = node.write_network(network("t-newer", 0xc2, 1), "v1.json");
  auto v2 = node.write_network(network("t-newer", 0xc2, 2), "v2.json");
  REQUIRE(node.manage({"apply", v2, "--node", kNodeId}).status == 0);
  auto ns = node.container("newc");
  auto r = node.cni("ADD", node.conf(v1), "newer-1", ns);
  json res = succeeded(r);
  CHECK(ip4_of(res).rfind("10.11.194.", 0) == 0);
  CHECK(ping(ns, router4(0xc2)));
  CHECK(node.show()[0]["version"] == 2);
}

TEST_CASE("nr: CNI GC removes the temporary files of killed zos-nr writers", "[nr][root][converge]") {
  ZOS_REQUIRE_ROOT();
  Node node("tmpgc");
  auto file = node.write_network(network("t-tmpgc", 0xc3));
  std::vector<std::string> dead, live;
  for (const char* d : {"/nr/attachments/", "/nr/networks/"}) {
    REQUIRE(sh("mkdir -p " + node.data_dir() + d) == 0);
    dead.push_back(node.data_dir() + d + "zv0000000000aa.json.tmp-999999999");  // no such pid
    live.push_back(node.data_dir() + d + "zv0000000000bb.json.tmp-" + std::to_string(::getpid()));
  }
  for (const auto& f : dead) std::ofstream(f) << "{";
  for (const auto& f : live) std::ofstream(f) << "{";
  auto gc = node.cni("GC", node.conf(file));
  ZOS_SHOW(gc);
  REQUIRE(gc.status == 0);
  for (const auto& f : dead) CHECK_FALSE(exists(f));
  for (const auto& f : live) CHECK(exists(f));  // a writer that still runs keeps its file
}

TEST_CASE("nr: wgPrivateKeyFile is opened once, no symlink, owned by root, no group/other bits",
          "[nr][root][converge]") {
  ZOS_REQUIRE_ROOT();
  Node node("keyfile");
  auto file = node.write_network(mesh_network("t-keyfile", 0xc4, ""));
  std::string key = node.file("wg.key");
  std::ofstream(key) << zos::wg::key_to_base64(zos::wg::generate_private_key()) << "\n";
  REQUIRE(::chmod(key.c_str(), 0600) == 0);
  std::string link = node.file("wg-link.key");
  REQUIRE(::symlink(key.c_str(), link.c_str()) == 0);
  struct Bad {
    std::string path, why;
    std::function<void()> prepare;
  };
  std::vector<Bad> bad = {
      {link, "symlink", [] {}},
      {key, "owned by uid 65534", [&] { REQUIRE(::chown(key.c_str(), 65534, 65534) == 0); }},
      {key, "mode 0640", [&] {
         REQUIRE(::chown(key.c_str(), 0, 0) == 0);
         REQUIRE(::chmod(key.c_str(), 0640) == 0);
       }},
  };
  for (const auto& b : bad) {
    INFO(b.why);
    b.prepare();
    auto a = node.manage({"apply", file, "--node", kNodeId, "--key-file", b.path});
    ZOS_SHOW(a);
    CHECK(a.status == 1);
    CHECK(a.err.find(b.why) != std::string::npos);
    CHECK_FALSE(exists("/run/netns/" + nr_netns(0xc4)));
  }
  REQUIRE(::chmod(key.c_str(), 0400) == 0);
  auto ok = node.manage({"apply", file, "--node", kNodeId, "--key-file", key});
  ZOS_SHOW(ok);
  CHECK(ok.status == 0);
}

TEST_CASE("nr: an ADD after wireguard-go died heals the mesh instead of taking the fast path",
          "[nr][root][converge]") {
  ZOS_REQUIRE_ROOT();
  if (expected_wg_backend() != "userspace") {
    WARN("skipped: the kernel backend has no process to kill");
    return;
  }
  Node node("wgdead");
  auto file = node.write_network(mesh_network("t-wgdead", 0xc5, zos::wg::key_to_base64(zos::wg::generate_private_key())));
  auto c1 = node.container("wgd1");
  succeeded(node.cni("ADD", node.conf(file), "wgdead-1", c1));
  // "[w]": the pattern must not match the sh -c that carries it (pgrep skips
  // only itself; after a pid wrap the sh can come first).
  auto pid = sh_out("pgrep -f '[w]ireguard-go.*wg-0bc5-0' | head -1");
  REQUIRE_FALSE(pid.empty());
  REQUIRE(::kill(std::stoi(pid), SIGKILL) == 0);
  for (int i = 0; i < 50 && ::kill(std::stoi(pid), 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));

  auto c2 = node.container("wgd2");
  succeeded(node.cni("ADD", node.conf(file), "wgdead-2", c2));
  auto shown = node.show();
  REQUIRE(shown.size() == 1);
  INFO(shown.dump(2));
  CHECK(shown[0]["problems"].empty());
}
