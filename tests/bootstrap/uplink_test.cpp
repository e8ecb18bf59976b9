// zos-bootstrap uplink in the four-NIC world (uplink_world.h): DHCPv4, SLAAC,
// re-runs, failures. DHCPv6, VLANs and lying servers: uplink_kinds_test.cpp.
#include "bootstrap/uplink_world.h"
#include "plugins/bootstrap/cli.h"

using namespace zos::test;
using namespace zos::test::bs;
using nlohmann::json;

TEST_CASE("uplink chooses the NIC with DHCP and a re-run changes nothing", "[root][uplink]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  auto cfg = w.config(std::string(R"({"allow": ["eth0", "eth1", "eth2", "eth3"], )") + kFast + "}");
  auto r = w.uplink(cfg, {"--json"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto j = json::parse(r.out);
  CHECK(j["nic"] == "eth2");
  CHECK(j["already"] == false);
  CHECK(j["lease"]["gateway4"] == "10.99.2.1");
  REQUIRE(j["lease"]["ipv4"].size() == 1);
  const std::string addr = j["lease"]["ipv4"][0];
  CHECK(addr.rfind("10.99.2.", 0) == 0);
  CHECK(j["tried"][0]["nic"] == "eth0");
  CHECK(j["tried"][0]["result"].get<std::string>().find("no carrier") != std::string::npos);
  CHECK(j["tried"][1]["nic"] == "eth1");
  CHECK(j["tried"][1]["result"].get<std::string>().find("no DHCPv4 lease") != std::string::npos);
  CHECK(j["tried"].size() == 3);  // eth3 never probed
  CHECK(j["zinit"] == "monitored");

  // zos carries the lease and the default route; eth2 is its port.
  CHECK(w.ip("-o link show eth2").find("master zos") != std::string::npos);
  CHECK(w.ip("-4 -o addr show dev zos").find(addr) != std::string::npos);
  CHECK(w.ip("-4 route show default").find("default via 10.99.2.1 dev zos") != std::string::npos);
  CHECK(w.sysctl("net/ipv6/conf/zos/disable_ipv6") == "0\n");
  w.others_untouched("eth2");
  // The RAs of eth2's network reach zos too (SLAAC beside DHCPv4).
  CHECK(wait_for([&] { return w.ip("-6 -o addr show dev zos scope global").find("fd00:99:2:") != std::string::npos; }, 10));
  CHECK(wait_for([&] { return w.ip("-6 route show default").find("dev zos") != std::string::npos; }, 5));

  // The service file, the record, zinit.
  const std::string script = w.tmp / "data/bootstrap/udhcpc.script";
  CHECK(read(w.tmp / "zinit/dhcp-zos.yaml") ==
        "# Written by zos-bootstrap uplink: keeps the DHCP client running on the zos bridge.\n"
        "exec: " + j["client"].get<std::string>() + " -f -i zos -t 20 -T 1 -a1000 -s " + script + "\nlog: ring\n");
  CHECK(j["client"].get<std::string>().ends_with("udhcpc"));
  CHECK(::access(script.c_str(), X_OK) == 0);
  auto rec = json::parse(read(w.tmp / "data/bootstrap/uplink.json"));
  CHECK(rec["nic"] == "eth2");
  CHECK(rec["bridge"] == "zos");
  CHECK(read(w.tmp / "zinit.log") == "monitor dhcp-zos\n");

  // Second run: reported, nothing changes (links, addresses, routes, files).
  struct stat svc1, rec1;
  ::stat((w.tmp / "zinit/dhcp-zos.yaml").c_str(), &svc1);
  ::stat((w.tmp / "data/bootstrap/uplink.json").c_str(), &rec1);
  auto before = w.snapshot();
  auto r2 = w.uplink(cfg);
  INFO(r2.out << r2.err);
  REQUIRE(r2.status == 0);
  CHECK(r2.out.find("uplink: zos on eth2") != std::string::npos);
  CHECK(r2.out.find("already up") != std::string::npos);
  CHECK(w.snapshot() == before);
  struct stat svc2, rec2;
  ::stat((w.tmp / "zinit/dhcp-zos.yaml").c_str(), &svc2);
  ::stat((w.tmp / "data/bootstrap/uplink.json").c_str(), &rec2);
  CHECK(svc1.st_mtim.tv_nsec == svc2.st_mtim.tv_nsec);
  CHECK(svc1.st_ino == svc2.st_ino);
  CHECK(rec1.st_ino == rec2.st_ino);

  // status agrees with the record; a detached NIC is reported.
  auto s = bootstrap(w.node, {"status", "--json", "--data-dir", w.tmp / "data", "--zinit-dir", w.tmp / "zinit"});
  INFO(s.out << s.err);
  CHECK(s.status == 0);
  CHECK(json::parse(s.out)["uplink"]["state"] == "ok");
  must(w.node.in() + "ip link set eth2 nomaster");
  s = bootstrap(w.node, {"status", "--data-dir", w.tmp / "data", "--zinit-dir", w.tmp / "zinit"});
  CHECK(s.status == 3);
  CHECK(s.out.find("recorded NIC eth2 is not a port of zos") != std::string::npos);
}

TEST_CASE("uplink accepts an RA-only IPv6 network (deny list on the kernel command line)", "[root][uplink]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  write(w.tmp / "cmdline", "quiet zos.uplink.deny=eth2,eth0\n");
  auto cfg = w.config(std::string(R"({"allow": ["eth0", "eth1", "eth2", "eth3"], )") + kFast + "}");
  auto r = w.uplink(cfg, {"--json", "--no-zinit"});
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto j = json::parse(r.out);
  CHECK(j["nic"] == "eth3");
  CHECK(j["lease"]["ipv4"].empty());
  REQUIRE(j["lease"]["ipv6"].size() == 1);
  CHECK(j["lease"]["ipv6"][0].get<std::string>().rfind("fd00:99:3:", 0) == 0);
  CHECK(j["lease"]["gateway6"].get<std::string>().rfind("fe80::", 0) == 0);
  CHECK(j["zinit"] == "disabled");
  CHECK(j["skipped"].size() == 2);
  CHECK(w.ip("-o link show eth3").find("master zos") != std::string::npos);
  CHECK(w.ip("-6 route show default").find("dev zos") != std::string::npos);
  w.others_untouched("eth3");
  CHECK(!exists(w.tmp / "zinit.log"));
}

TEST_CASE("uplink without DHCP anywhere fails and leaves nothing behind", "[root][uplink]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  auto before = w.snapshot();
  auto cfg = w.config(std::string(R"({"allow": ["eth0", "eth1"], )") + kFast + "}");
  auto r = w.uplink(cfg, {"--json"});
  INFO(r.out << r.err);
  CHECK(r.status == 1);
  CHECK(r.err.find("no NIC got a working uplink (DHCPv4, SLAAC or DHCPv6)") != std::string::npos);
  CHECK(r.err.find("eth0 (no carrier after 2s)") != std::string::npos);
  CHECK(r.err.find("eth1 (no DHCPv4 lease") != std::string::npos);
  auto j = json::parse(r.out);
  CHECK(j["tried"].size() == 2);
  CHECK(w.ip("link show zos").find("does not exist") != std::string::npos);
  CHECK(w.snapshot() == before);
  w.others_untouched("");
  CHECK(!exists(w.tmp / "zinit/dhcp-zos.yaml"));
  CHECK(!exists(w.tmp / "data/bootstrap/uplink.json"));
  CHECK(!exists(w.tmp / "data/bootstrap/udhcpc.script"));
  CHECK(!exists(w.tmp / "zinit.log"));
}

TEST_CASE("uplink rejects bad input before touching anything", "[root][uplink]") {
  ZOS_REQUIRE_ROOT();
  UplinkWorld w;
  auto before = w.snapshot();
  SECTION("unknown NIC") {
    auto r = w.uplink(w.config(R"({"allow": ["eth1", "eth9"]})"));
    CHECK(r.status == 2);
    CHECK(r.err.find("unknown NIC 'eth9'") != std::string::npos);
  }
  SECTION("malformed config") {
    write(w.tmp / "bad.json", "{\"uplink\": {\"allow\": [\"eth1\"");
    auto r = w.uplink(w.tmp / "bad.json");
    CHECK(r.status == 2);
    CHECK(r.err.find("is not valid JSON") != std::string::npos);
  }
  SECTION("wrong types") {
    auto r = w.uplink(w.config(R"({"allow": "eth1"})"));
    CHECK(r.status == 2);
    CHECK(r.err.find("allow must be a list") != std::string::npos);
  }
  SECTION("only virtual links, none named") {
    auto r = w.uplink(w.config("{}"));
    CHECK(r.status == 1);
    CHECK(r.err.find("no NIC to probe") != std::string::npos);
  }
  SECTION("missing command line file") {
    auto r = bootstrap(w.node, {"uplink", "--config", w.config("{}"), "--cmdline", w.tmp / "nope",
                                "--data-dir", w.tmp / "data", "--zinit-dir", w.tmp / "zinit"});
    CHECK(r.status == 2);
    CHECK(r.err.find("does not exist") != std::string::npos);
  }
  CHECK(w.snapshot() == before);
  CHECK(!exists(w.tmp / "zinit/dhcp-zos.yaml"));
}

TEST_CASE("uplink refuses the machine's own namespace", "[root][uplink]") {
  ZOS_REQUIRE_ROOT();
  TempDir tmp;
  write(tmp / "c.json", R"({"uplink": {"allow": ["zt-bs-none"]}})");
  // Run without nsenter. Should the guard not see the host namespace here,
  // the allow list names no NIC and the command stops before any change.
  auto r = run({bin("zos-bootstrap"), "uplink", "--config", tmp / "c.json", "--cmdline", "/dev/null",
                "--data-dir", tmp / "d", "--zinit-dir", tmp / "z"},
               {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}});
  CHECK(r.status == 2);
  if (zos::bootstrap::in_host_netns()) CHECK(r.err.find("refusing to run uplink") != std::string::npos);
  CHECK(!exists(tmp / "z/dhcp-zos.yaml"));
}
