// The uplink tests' world: a node namespace with four fake NICs, each a
// veth to a peer namespace of its own:
//   eth0  no carrier (the far end is down)
//   eth1  a network without DHCP or router advertisements (a test may start
//         its own server there: a DHCPv6 router, a VLAN, a lying DHCP server)
//   eth2  dnsmasq: DHCPv4 (10.99.2.0/24, router 10.99.2.1) and RAs (fd00:99:2::/64)
//   eth3  dnsmasq: RA only (fd00:99:3::/64)
// The node's ends start down, like NICs at boot.
#pragma once

#include <nlohmann/json.hpp>

#include "bootstrap/world.h"

namespace zos::test::bs {

struct UplinkWorld {
  TempDir tmp;
  Netns node{"bs", "node"}, p0{"bs", "p0"}, p1{"bs", "p1"}, p2{"bs", "p2"}, p3{"bs", "p3"};
  std::vector<std::unique_ptr<Proc>> servers;  // destroyed before the namespaces

  UplinkWorld() {
    const Netns* peers[] = {&p0, &p1, &p2, &p3};
    for (int i = 0; i < 4; ++i) {
      must("ip link add eth" + std::to_string(i) + " netns " + node.name() + " type veth peer name srv netns " +
           peers[i]->name());
      must(peers[i]->in() + "ip link set lo up");
      if (i > 0) must(peers[i]->in() + "ip link set srv up");
      // busybox udhcpc drops frames with a partial checksum: no tx offload.
      must(peers[i]->in() + "ethtool -K srv tx off");
    }
    must(p2.in() + "ip addr add 10.99.2.1/24 dev srv");
    must(p2.in() + "ip addr add fd00:99:2::1/64 dev srv nodad");
    must(p3.in() + "ip addr add fd00:99:3::1/64 dev srv nodad");
    dnsmasq(p2, {"--dhcp-range=10.99.2.50,10.99.2.99,255.255.255.0,1h", "--dhcp-option=option:router,10.99.2.1",
                 "--enable-ra", "--dhcp-range=::,constructor:srv,ra-only"});
    dnsmasq(p3, {"--enable-ra", "--dhcp-range=::,constructor:srv,ra-only"});
    write(tmp / "cmdline", "BOOT_IMAGE=/vmlinuz quiet\n");
    // A stand-in zinit on PATH records how it is asked to monitor.
    ::mkdir((tmp / "bin").c_str(), 0755);
    write(tmp / "bin/zinit", "#!/bin/sh\necho \"$@\" >> " + tmp / "zinit.log" + "\n", 0755);
  }

  void dnsmasq(const Netns& ns, std::vector<std::string> extra, const std::string& iface = "srv") {
    const std::string t = tmp / ns.name();
    std::vector<std::string> argv = {"nsenter", "--net=/run/netns/" + ns.name(), "dnsmasq", "-k",
                                     "--conf-file=/dev/null", "--port=0", "--user=root", "--group=root",
                                     "--interface=" + iface, "--bind-interfaces", "--no-resolv", "--no-hosts",
                                     "--no-ping", "--pid-file=" + t + ".pid", "--dhcp-leasefile=" + t + ".leases",
                                     "--log-facility=" + t + ".log", "--log-dhcp"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    servers.push_back(std::make_unique<Proc>(argv));
    REQUIRE(wait_for([&] { return read(t + ".log").find("started") != std::string::npos; }, 5));
  }

  // eth1's network as a DHCPv4 segment (10.99.1.0/24, server 10.99.1.1)
  // served by dnsmasq with `extra` options (the lie under test).
  void dhcp4_on_eth1(std::vector<std::string> extra) {
    must(p1.in() + "ip addr add 10.99.1.1/24 dev srv");
    dnsmasq(p1, extra);
  }
  // The same segment served by tests/bootstrap/dhcp4_server.py (the lies
  // dnsmasq does not tell); returns its log ("ready", "ack N").
  std::string scripted_dhcp4_on_eth1(const std::vector<std::string>& args) {
    must(p1.in() + "ip addr add 10.99.1.1/24 dev srv");
    const std::string log = tmp / "dhcp4_server.log";
    std::string cmd = "exec " + p1.in() + "python3 " + std::string(ZOS_SOURCE_DIR) +
                      "/tests/bootstrap/dhcp4_server.py --iface srv --server 10.99.1.1 --offer 10.99.1.50";
    for (const auto& a : args) cmd += " " + a;
    servers.push_back(std::make_unique<Proc>(std::vector<std::string>{"sh", "-c", cmd + " > " + log + " 2>&1"}));
    REQUIRE(wait_for([&] { return read(log).find("ready") != std::string::npos; }, 5));
    return log;
  }

  std::string config(const std::string& uplink_json) {
    write(tmp / "config.json", "{\"uplink\": " + uplink_json + "}");
    return tmp / "config.json";
  }
  std::vector<std::string> args(const std::string& cfg, std::vector<std::string> more = {}) {
    std::vector<std::string> a = {"uplink", "--config", cfg, "--cmdline", tmp / "cmdline", "--data-dir",
                                  tmp / "data", "--zinit-dir", tmp / "zinit"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  Exec uplink(const std::string& cfg, std::vector<std::string> more = {}) {
    return bootstrap(node, args(cfg, more), tmp / "bin");
  }
  std::string ip(const std::string& cmd) { return sh_out("ip -n " + node.name() + " " + cmd + " 2>&1"); }
  std::string sysctl(const std::string& key) { return sh_out(node.in() + "cat /proc/sys/" + key); }

  // The node's network as text, without the ticking lifetimes and the
  // qdisc (a link that was up once keeps "noqueue" instead of "noop").
  std::string snapshot() {
    const std::string n = "ip -n " + node.name();
    return sh_out("{ " + n + " -o link show; " + n + " addr show | grep -v valid_lft; " + n + " route; " + n +
                  " -6 route; } | sed -e 's/expires [0-9]*sec//' -e 's/qdisc [a-z_]*//'");
  }
  // The node's ends other than `chosen` are as the test made them.
  void others_untouched(const std::string& chosen) {
    for (std::string n : {"eth0", "eth1", "eth2", "eth3"}) {
      if (n == chosen) continue;
      INFO(n);
      auto l = ip("-o link show " + n);
      CHECK(l.find("master") == std::string::npos);
      CHECK(l.find(",UP") == std::string::npos);
      CHECK(sysctl("net/ipv6/conf/" + n + "/disable_ipv6") == "0\n");
    }
  }
};

inline const char* kFast = R"("carrier_timeout": 2, "dhcp_tries": 2, "dhcp_interval": 1, "ra_timeout": 5)";


}  // namespace zos::test::bs
