// Config file and kernel command line parsing, the lease script and the
// service file: no root, no namespaces.
#include <catch2/catch.hpp>

#include "plugins/bootstrap/config.h"
#include "plugins/bootstrap/dhcp.h"
#include "plugins/bootstrap/uplink.h"

using namespace zos::bootstrap;

namespace {

// The ConfigError a config text gives, or "no error".
std::string err(const std::string& text) {
  try {
    parse_config(text, "f.json");
  } catch (const ConfigError& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

}  // namespace

TEST_CASE("config: defaults, uplink and public sections", "[config]") {
  auto c = parse_config("{}", "t");
  CHECK(c.uplink.bridge == "zos");
  CHECK(c.uplink.allow.empty());
  CHECK(!c.pub);
  c = parse_config(R"({"uplink": {"allow": ["eth1", "eth0"], "deny": ["eth2"], "ra_timeout": 3},
                       "public": {"type": "veth", "ipv4": "1.2.3.4/24", "gw4": "1.2.3.1"}})", "t");
  CHECK(c.uplink.allow == std::vector<std::string>{"eth1", "eth0"});
  CHECK(c.uplink.deny == std::vector<std::string>{"eth2"});
  CHECK(c.uplink.ra_timeout == 3);
  REQUIRE(c.pub);
  CHECK(c.pub->master == "zos");
  CHECK(c.pub->host_link == "zos-public");
}

TEST_CASE("config: clear errors", "[config]") {
  CHECK(err("{").find("config f.json is not valid JSON") != std::string::npos);
  CHECK(err("[]").find("must be a JSON object") != std::string::npos);
  CHECK(err(R"({"uplinks": {}})").find("unknown key 'uplinks'") != std::string::npos);
  CHECK(err(R"({"uplink": {"allow": [1]}})").find("allow must be a list") != std::string::npos);
  CHECK(err(R"({"uplink": {"allow": ["a/b"]}})").find("not an interface name") != std::string::npos);
  CHECK(err(R"({"uplink": {"dhcp_tries": -1}})").find("whole number of seconds") != std::string::npos);
  CHECK(err(R"({"public": {"type": "ipvlan"}})").find("must be \"macvlan\" or \"veth\"") != std::string::npos);
  CHECK(err(R"({"public": {"master": "eth1"}})").find("needs ipv4 or ipv6") != std::string::npos);
  CHECK(err(R"({"public": {"ipv4": "1.2.3.4/24"}})").find("needs the NIC") != std::string::npos);
}

TEST_CASE("kernel command line: allow replaces, deny adds", "[config]") {
  auto cl = parse_cmdline("BOOT_IMAGE=/k root=/dev/sda zos.uplink.allow=eth3,eth1 zos.uplink.deny=eth0 quiet");
  REQUIRE(cl.allow);
  CHECK(*cl.allow == std::vector<std::string>{"eth3", "eth1"});
  UplinkConfig c;
  c.allow = {"eth9"};
  c.deny = {"eth8"};
  auto m = merge(c, cl);
  CHECK(m.allow == std::vector<std::string>{"eth3", "eth1"});
  CHECK(m.deny == std::vector<std::string>{"eth8", "eth0"});
  CHECK(!parse_cmdline("quiet").allow);
  CHECK_THROWS_AS(parse_cmdline("zos.uplink.deny=a/b"), ConfigError);
  // The --json status prints these names: bytes that are not UTF-8 would abort the dump.
  CHECK_THROWS_AS(parse_cmdline("zos.uplink.allow=e\xfft0"), ConfigError);
}

TEST_CASE("lease script and service file", "[config]") {
  auto s = lease_script("/x/resolv.conf");
  CHECK(s.rfind("#!/bin/sh\n", 0) == 0);
  CHECK(s.find("ip addr replace \"$ip/$mask\"") != std::string::npos);
  CHECK(s.find("ip -4 route replace default via \"$gw\" dev \"$interface\"") != std::string::npos);
  CHECK(s.find("RESOLV='/x/resolv.conf'") != std::string::npos);
  CHECK(s.find("/etc/resolv.conf") == std::string::npos);
  DhcpClient c{{"/bin/busybox", "udhcpc"}};
  CHECK(service_text(c, "zos", "/s") ==
        "# Written by zos-bootstrap uplink: keeps the DHCP client running on the zos bridge.\n"
        "exec: /bin/busybox udhcpc -f -i zos -t 20 -T 1 -a1000 -s /s\nlog: ring\n");
  CHECK(service_path("/etc/zinit", "zos") == "/etc/zinit/dhcp-zos.yaml");
}

TEST_CASE("config: VLAN-tagged allow entries", "[config]") {
  auto c = parse_config(R"({"uplink": {"allow": ["eth0", {"name": "eth1", "vlan": 100}], "dhcp6_client": "/x"}})", "t");
  CHECK(c.uplink.allow == std::vector<std::string>{"eth0", "eth1"});
  CHECK(c.uplink.vlans == std::map<std::string, int>{{"eth1", 100}});
  CHECK(c.uplink.dhcp6_client == "/x");
  CHECK(err(R"({"uplink": {"allow": [{"name": "eth1"}]}})").find("needs a \"vlan\" id (1-4094)") != std::string::npos);
  CHECK(err(R"({"uplink": {"allow": [{"name": "eth1", "vlan": 4095}]}})").find("1-4094") != std::string::npos);
  CHECK(err(R"({"uplink": {"allow": [{"name": "eth1", "vlan": 5, "pvid": 1}]}})").find("unknown key 'pvid'") !=
        std::string::npos);
  CHECK(err(R"({"uplink": {"allow": [{"vlan": 5}]}})").find("list of interface names") != std::string::npos);
}
