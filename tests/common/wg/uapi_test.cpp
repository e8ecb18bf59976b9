// Userspace backend against a real wireguard-go: two namespaces joined by a
// veth, a tunnel between them, read-back, peer changes, moving the link to a
// third namespace, stopping and restarting the process.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "common/net/link.h"
#include "common/sys/netns.h"
#include "common/sys/syscall.h"
#include "common/wg/wg.h"
#include "common/wg/wg_uapi.h"
#include "support/netns.h"
#include "support/support.h"

using namespace zos;
using namespace zos::wg;
using zos::test::Netns;
using zos::test::sh;
using zos::test::sh_out;

namespace {

std::string wg_go() {
  const char* e = std::getenv("ZOS_WIREGUARD_GO");
  return e && *e ? e : "/usr/bin/wireguard-go";
}

bool can_run() {
  if (::access(wg_go().c_str(), X_OK) != 0) {
    WARN("skipped: " + wg_go() + " is not installed (apt-get install wireguard-go)");
    return false;
  }
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) {
    WARN("skipped: no /dev/net/tun");
    return false;
  }
  return true;
}

// A namespace zt-wg-<pid>-<tag> (the shared fixture), its loopback up.
Netns wg_ns(const std::string& tag) {
  Netns n("wg", tag);
  n.sh("ip link set lo up");
  return n;
}

// Stops the wireguard-go processes this test started (only those: the
// backend's recorded pids) even when a check fails. Declared after the
// namespaces so it runs first.
struct Stopper {
  UapiBackend& b;
  std::vector<std::string> names;
  ~Stopper() {
    for (const auto& n : names) try {
        b.remove(n);
      } catch (...) {
      }
  }
};

std::string link_name(char tag) { return "zt-wg" + std::to_string(::getpid() % 1000000) + tag; }

bool ping(const Netns& ns, const std::string& to, int tries = 5) {
  for (int i = 0; i < tries; ++i)
    if (ns.sh("ping -c 1 -W 2 " + to) == 0) return true;
  return false;
}

std::vector<ip::Prefix> sorted(std::vector<ip::Prefix> v) {
  std::sort(v.begin(), v.end());
  return v;
}

ip::Prefix pfx(const std::string& s) { return *ip::Prefix::parse(s); }

bool wait_dead(pid_t pid) {
  for (int i = 0; i < 300; ++i) {
    if (!proc::start_time(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

PeerConfig peer(const Key& pub, std::optional<Endpoint> ep, std::vector<ip::Prefix> ips) {
  PeerConfig p;
  p.public_key = pub;
  p.endpoint = ep;
  p.allowed_ips = std::move(ips);
  return p;
}

}  // namespace

TEST_CASE("wg userspace: tunnel between two namespaces with wireguard-go", "[wg][root]") {
  ZOS_REQUIRE_ROOT();
  if (!can_run()) return;
  test::TempDir state;
  Netns a = wg_ns("a"), b = wg_ns("b"), c = wg_ns("c");
  UapiBackend wg(state.path());
  const std::string wa = link_name('a'), wb = link_name('b');
  Stopper stopper{wg, {wa, wb}};

  // Underlay: a veth between a and b.
  REQUIRE(a.sh("ip link add va type veth peer name vb netns " + b.name()) == 0);
  REQUIRE(a.sh("ip addr add 192.168.250.1/24 dev va") == 0);
  REQUIRE(b.sh("ip addr add 192.168.250.2/24 dev vb") == 0);
  REQUIRE(a.sh("ip link set va up") == 0);
  REQUIRE(b.sh("ip link set vb up") == 0);

  REQUIRE(a.run([&] { return wg.create(wa); }));
  REQUIRE(b.run([&] { return wg.create(wb); }));
  CHECK_FALSE(a.run([&] { return wg.create(wa); }));  // running: "exists"
  CHECK_FALSE(c.run([&] { return wg.create(wa); }));  // from anywhere: the socket is machine-wide
  REQUIRE(wg.process(wa));
  CHECK(exists(UapiBackend::socket_path(wa)));
  // The TUN link is where the process started.
  CHECK(a.run([&] { nl::Socket s; return nl::get_link(s, wa); })->kind == "tun");

  const Key ka = generate_private_key(), kb = generate_private_key(), kc = generate_private_key();
  const Key pa = public_key_of(ka), pb = public_key_of(kb), pc = public_key_of(kc);
  DeviceConfig ca;
  ca.name = wa;
  ca.private_key = ka;
  ca.listen_port = 51820;
  ca.peers = {peer(pb, Endpoint{*ip::Addr::parse("192.168.250.2"), 51821}, {pfx("10.99.0.2/32"), pfx("fd99::2/128")})};
  wg.configure(ca);
  DeviceConfig cb;
  cb.name = wb;
  cb.private_key = kb;
  cb.listen_port = 51821;
  cb.peers = {peer(pa, Endpoint{*ip::Addr::parse("192.168.250.1"), 51820}, {pfx("10.99.0.1/32")})};
  wg.configure(cb);

  REQUIRE(a.sh("ip addr add 10.99.0.1/24 dev " + wa) == 0);
  REQUIRE(a.sh("ip link set " + wa + " up") == 0);
  REQUIRE(b.sh("ip addr add 10.99.0.2/24 dev " + wb) == 0);
  REQUIRE(b.sh("ip link set " + wb + " up") == 0);
  REQUIRE(ping(a, "10.99.0.2"));

  DeviceState st = wg.get(wa);
  CHECK(st.name == wa);
  CHECK(st.has_private_key);
  CHECK(st.public_key == pa);
  CHECK(st.listen_port == 51820);
  REQUIRE(st.peers.size() == 1);
  CHECK(st.peers[0].public_key == pb);
  CHECK(st.peers[0].endpoint == Endpoint{*ip::Addr::parse("192.168.250.2"), 51821});
  CHECK(sorted(st.peers[0].allowed_ips) == sorted({pfx("10.99.0.2/32"), pfx("fd99::2/128")}));
  REQUIRE(st.peers[0].last_handshake);
  CHECK(*st.peers[0].last_handshake > std::chrono::system_clock::now() - std::chrono::minutes(1));
  CHECK(st.peers[0].rx_bytes > 0);
  CHECK(st.peers[0].tx_bytes > 0);
  // wireguard-tools reads the same socket.
  if (sh("command -v wg >/dev/null 2>&1") == 0) CHECK(sh_out("wg show " + wa + " peers") == key_to_base64(pb) + "\n");

  // update_only does not create; a new peer appears; remove=true drops it.
  DeviceConfig ch;
  ch.name = wa;
  ch.peers = {peer(pc, std::nullopt, {pfx("10.99.0.50/32")})};
  ch.peers[0].update_only = true;
  wg.configure(ch);
  CHECK(wg.get(wa).peers.size() == 1);
  ch.peers[0].update_only = false;
  wg.configure(ch);
  CHECK(wg.get(wa).peers.size() == 2);
  ch.peers[0].remove = true;
  wg.configure(ch);
  st = wg.get(wa);
  REQUIRE(st.peers.size() == 1);
  CHECK(st.peers[0].public_key == pb);

  // replace_peers: the listed set only; replace_allowed_ips: the listed IPs only.
  ch.peers[0].remove = false;
  wg.configure(ch);
  REQUIRE(wg.get(wa).peers.size() == 2);
  DeviceConfig rp;
  rp.name = wa;
  rp.replace_peers = true;
  // Replacing peers re-creates them: what is not listed (the endpoint) is gone.
  rp.peers = {peer(pb, std::nullopt, {pfx("10.99.0.2/32")})};
  rp.peers[0].replace_allowed_ips = true;
  wg.configure(rp);
  st = wg.get(wa);
  REQUIRE(st.peers.size() == 1);
  CHECK(st.peers[0].public_key == pb);
  CHECK(st.peers[0].allowed_ips == std::vector<ip::Prefix>{pfx("10.99.0.2/32")});
  CHECK_FALSE(st.peers[0].endpoint);
  rp.peers[0].endpoint = Endpoint{*ip::Addr::parse("192.168.250.2"), 51821};
  wg.configure(rp);
  CHECK(wg.get(wa).peers.at(0).endpoint == rp.peers[0].endpoint);
  CHECK(ping(a, "10.99.0.2"));

  // One configure or get is one UAPI connection.
  const uint64_t trips = wg.round_trips();
  wg.configure(rp);
  wg.get(wa);
  CHECK(wg.round_trips() == trips + 2);

  // Move the link into a third namespace: clear traffic flows there, the
  // encrypted UDP still leaves from namespace a.
  a.run([&] {
    nl::Socket s;
    auto l = nl::get_link(s, wa);
    REQUIRE(l);
    nl::set_netns(s, l->index, c.fd());
  });
  CHECK_FALSE(a.run([&] { nl::Socket s; return nl::get_link(s, wa); }));
  REQUIRE(c.sh("ip addr add 10.99.0.1/24 dev " + wa) == 0);
  REQUIRE(c.sh("ip link set " + wa + " up") == 0);
  const uint64_t rx_before = wg.get(wa).peers.at(0).rx_bytes;
  REQUIRE(ping(c, "10.99.0.2"));
  CHECK(wg.get(wa).peers.at(0).rx_bytes > rx_before);
  CHECK(a.sh_out("ss -Hunl") .find(":51820") != std::string::npos);
  CHECK(c.sh_out("ss -Hunl").find(":51820") == std::string::npos);
  CHECK(c.sh("ping -c 1 -W 1 192.168.250.2") != 0);  // c has no underlay at all

  // remove(): stops exactly that process, its socket goes, the link goes.
  const pid_t pid = wg.process(wa)->pid;
  CHECK(c.run([&] { return wg.remove(wa); }));
  CHECK(wait_dead(pid));
  CHECK_FALSE(wg.process(wa));
  CHECK_FALSE(exists(UapiBackend::socket_path(wa)));
  CHECK_FALSE(exists(state / (wa + ".pid")));
  CHECK_FALSE(c.run([&] { nl::Socket s; return nl::get_link(s, wa); }));
  CHECK_FALSE(c.run([&] { return wg.remove(wa); }));
  CHECK_THROWS_AS(wg.get(wa), sys::SysError);
  // The other end is untouched.
  CHECK(wg.get(wb).peers.size() == 1);
}

TEST_CASE("wg userspace: a dead process is detected and started again", "[wg][root]") {
  ZOS_REQUIRE_ROOT();
  if (!can_run()) return;
  test::TempDir state;
  Netns a = wg_ns("r");
  UapiBackend wg(state.path());
  const std::string w = link_name('r');
  Stopper stopper{wg, {w}};

  REQUIRE(a.run([&] { return wg.create(w); }));
  const auto first = wg.process(w);
  REQUIRE(first);
  REQUIRE(::kill(first->pid, SIGKILL) == 0);
  REQUIRE(wait_dead(first->pid));
  CHECK_FALSE(wg.process(w));
  // Killed hard, it leaves its socket file behind, unanswered; its TUN link
  // goes with it (the kernel tears it down as the process exits, which may
  // trail the pid's end by a moment).
  CHECK(exists(UapiBackend::socket_path(w)));
  CHECK_THROWS_AS(wg.get(w), sys::SysError);
  bool link_gone = false;
  for (int i = 0; i < 200 && !link_gone; ++i) {
    link_gone = !a.run([&] { nl::Socket s; return nl::get_link(s, w).has_value(); });
    if (!link_gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(link_gone);

  REQUIRE(a.run([&] { return wg.create(w); }));
  const auto second = wg.process(w);
  REQUIRE(second);
  CHECK(second->pid != first->pid);
  DeviceConfig c;
  c.name = w;
  c.private_key = generate_private_key();
  c.listen_port = 51830;
  wg.configure(c);
  CHECK(wg.get(w).listen_port == 51830);
  CHECK(wg.get(w).public_key == public_key_of(*c.private_key));

  // A link of that name that no wireguard-go serves is not taken over.
  const std::string other = link_name('x');
  REQUIRE(a.sh("ip tuntap add name " + other + " mode tun") == 0);  // persistent, no process
  CHECK_THROWS(a.run([&] { return wg.create(other); }));
  CHECK_FALSE(wg.process(other));

  // Deleting the namespace that holds the moved TUN link ends the process.
  const std::string w2 = link_name('d');
  stopper.names.push_back(w2);
  {
    Netns e = wg_ns("e");
    REQUIRE(a.run([&] { return wg.create(w2); }));
    a.run([&] {
      nl::Socket s;
      nl::set_netns(s, nl::get_link(s, w2)->index, e.fd());
    });
  }
  const auto p2 = wg.process(w2);
  if (p2) CHECK(wait_dead(p2->pid));
  CHECK_FALSE(wg.process(w2));

  // Deleting the namespace it started in does not: its UDP and netlink
  // sockets keep that namespace alive (unnamed). remove() still stops it.
  const std::string w3 = link_name('s');
  stopper.names.push_back(w3);
  {
    Netns d = wg_ns("d");
    REQUIRE(d.run([&] { return wg.create(w3); }));
  }
  const auto p3 = wg.process(w3);
  REQUIRE(p3);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(proc::alive(*p3));
  CHECK(wg.remove(w3));
  CHECK(wait_dead(p3->pid));
}

TEST_CASE("wg userspace: a binary that fails to start is reported", "[wg][root]") {
  ZOS_REQUIRE_ROOT();
  test::TempDir state;
  Netns a = wg_ns("f");
  UapiBackend wg(state.path());
  ::setenv("ZOS_WIREGUARD_GO", "/bin/false", 1);
  struct Unset {
    ~Unset() { ::unsetenv("ZOS_WIREGUARD_GO"); }
  } unset;
  try {
    a.run([&] { return wg.create(link_name('f')); });
    FAIL("started /bin/false as wireguard-go");
  } catch (const sys::SysError& e) {
    CHECK(std::string(e.what()).find("exited") != std::string::npos);
  }
  CHECK_FALSE(wg.process(link_name('f')));
}
