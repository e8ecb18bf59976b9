// Integration: every CNI verb of zos-nr in every CNI version, and the verbs'
// duties (CHECK finds damage, DEL is safe, a clashing ifname is refused, GC,
// STATUS).
// Nibbles used here: 0b04 (versions), 0b05 (CHECK), 0b06 (DEL), 0b07 (ifname),
// 0b60 (STATUS), 0b70 (GC).
#include "nr/nr_support.h"

using namespace zos::test;
using namespace zos::test::nr;

namespace {

const std::vector<std::string> kVersions = {"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};

bool at_least(const std::string& v, const std::string& min) {
  auto idx = [](const std::string& x) {
    for (size_t i = 0; i < kVersions.size(); ++i)
      if (kVersions[i] == x) return i;
    return kVersions.size();
  };
  return idx(v) >= idx(min);
}

// ADD into a fresh container; REQUIREs success.
json add_ok(Node& node, const json& conf, const std::string& id, const std::string& netns) {
  auto r = node.cni("ADD", conf, id, netns);
  ZOS_SHOW(r);
  REQUIRE(r.status == 0);
  return out_json(r);
}

json with_prev(json conf, const json& prev) {
  conf["prevResult"] = prev;
  return conf;
}

}  // namespace

TEST_CASE("nr: every verb in every CNI version", "[nr][root][verbs]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  std::string file = node.write_network(network("t-ver", 0x04));
  const std::string pfx6 = "2a02:1802:5e:b04:";
  int n = 0;
  for (const auto& v : kVersions) {
    INFO("cniVersion " << v);
    auto conf = node.conf(file, v);
    std::string id = "ver-" + std::to_string(n);
    auto ns = node.container("v" + std::to_string(n++));

    // VERSION
    auto ver = node.cni("VERSION", json{{"cniVersion", v}});
    {
      ZOS_SHOW(ver);
      REQUIRE(ver.status == 0);
    }
    json vj = out_json(ver);
    // Like the reference skel, VERSION answers in the plugin's own version.
    CHECK(std::find(kVersions.begin(), kVersions.end(), vj["cniVersion"].get<std::string>()) != kVersions.end());
    for (const auto& s : kVersions) CHECK(std::find(vj["supportedVersions"].begin(), vj["supportedVersions"].end(), s) !=
                                          vj["supportedVersions"].end());

    // ADD: the result in the caller's version
    auto add = node.cni("ADD", conf, id, ns);
    ZOS_SHOW(add);
    REQUIRE(add.status == 0);
    json r = out_json(add);
    CHECK(r["cniVersion"] == v);
    if (!at_least(v, "0.3.0")) {
      CHECK_FALSE(r.contains("interfaces"));
      CHECK_FALSE(r.contains("ips"));
      REQUIRE(r.contains("ip4"));
      REQUIRE(r.contains("ip6"));
      CHECK(r["ip4"]["ip"].get<std::string>().rfind("10.11.4.", 0) == 0);
      CHECK(r["ip4"]["gateway"] == router4(0x04));
      CHECK(r["ip6"]["ip"].get<std::string>().rfind(pfx6, 0) == 0);
      CHECK(r["ip6"]["gateway"] == router6(0x04));
    } else {
      REQUIRE(r["interfaces"].size() == 3);
      CHECK(r["interfaces"][0]["name"] == nr_bridge(0x04));
      CHECK(r["interfaces"][1]["name"].get<std::string>().rfind("zv", 0) == 0);
      CHECK(r["interfaces"][2]["name"] == "eth0");
      CHECK(r["interfaces"][2]["sandbox"] == ns);
      CHECK(r["interfaces"][2]["mac"].get<std::string>().size() == 17);
      REQUIRE(r["ips"].size() >= 2);
      bool has4 = false, has6 = false;
      for (const auto& ipc : r["ips"]) {
        CHECK(ipc["interface"] == 2);
        std::string a = ipc["address"];
        bool six = a.find(':') != std::string::npos;
        (six ? has6 : has4) = true;
        CHECK(ipc["gateway"] == (six ? router6(0x04) : router4(0x04)));
        if (at_least(v, "1.0.0")) CHECK_FALSE(ipc.contains("version"));
        else CHECK(ipc["version"] == (six ? "6" : "4"));
      }
      CHECK(has4);
      CHECK(has6);
      CHECK(r["routes"].size() >= 2);
      if (at_least(v, "1.1.0")) {
        REQUIRE(r["interfaces"][2].contains("mtu"));
        CHECK(r["interfaces"][2]["mtu"].get<int>() >= 1280);
      } else {
        CHECK_FALSE(r["interfaces"][2].contains("mtu"));
      }
    }
    CHECK(ping(ns, router4(0x04)));

    // CHECK: right after ADD it passes (0.4.0+), below it is refused (1)
    auto chk = node.cni("CHECK", with_prev(conf, r), id, ns);
    {
      ZOS_SHOW(chk);
      if (at_least(v, "0.4.0")) CHECK(chk.status == 0);
      else CHECK(code_of(chk) == 1);
    }

    // DEL
    std::string hveth = at_least(v, "0.3.0") ? r["interfaces"][1]["name"].get<std::string>() : "";
    auto del = node.cni("DEL", with_prev(conf, r), id, ns);
    {
      ZOS_SHOW(del);
      CHECK(del.status == 0);
      CHECK(del.out.empty());
    }
    if (!hveth.empty()) CHECK_FALSE(node.has_link(hveth));
    CHECK(node.leases_of(id) == 0);

    // GC and STATUS: 1.1.0 only
    auto gc = node.cni("GC", conf);
    auto st = node.cni("STATUS", conf);
    ZOS_SHOW(gc);
    if (at_least(v, "1.1.0")) {
      CHECK(gc.status == 0);
      CHECK(gc.out.empty());
      CHECK(st.status == 0);
    } else {
      CHECK((code_of(gc) == 1 || code_of(gc) == 4));
      CHECK((code_of(st) == 1 || code_of(st) == 4));
    }
  }
  CHECK(node.host_veths().empty());
  CHECK(node.all_leases().empty());
}

TEST_CASE("nr: CHECK names what is broken (code 110)", "[nr][root][check]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  auto conf = node.conf(node.write_network(network("t-chk", 0x05)));
  auto ns = node.container("c");
  json r = add_ok(node, conf, "chk-1", ns);
  std::string hveth = r["interfaces"][1]["name"];
  auto chk = [&] { return node.cni("CHECK", with_prev(conf, r), "chk-1", ns); };
  {
    auto ok = chk();
    ZOS_SHOW(ok);
    REQUIRE(ok.status == 0);
  }
  std::string cname = ns.substr(ns.rfind('/') + 1);

  SECTION("a deleted default route in the container") {
    REQUIRE(sh("ip -n " + cname + " route del default") == 0);
    auto c = chk();
    ZOS_SHOW(c);
    CHECK(code_of(c) == 110);
    CHECK_THAT(msg_of(c), Catch::Contains("route") && Catch::Contains("0.0.0.0/0"));
  }
  SECTION("a deleted IPv6 default route in the container") {
    REQUIRE(sh("ip -n " + cname + " -6 route del default") == 0);
    auto c = chk();
    ZOS_SHOW(c);
    CHECK(code_of(c) == 110);
    CHECK_THAT(msg_of(c), Catch::Contains("route") && Catch::Contains("::/0"));
  }
  SECTION("a host veth detached from the bridge") {
    REQUIRE(sh("ip -n " + node.name() + " link set " + hveth + " nomaster") == 0);
    auto c = chk();
    ZOS_SHOW(c);
    CHECK(code_of(c) == 110);
    CHECK_THAT(msg_of(c), Catch::Contains(hveth) && Catch::Contains(nr_bridge(0x05)));
  }
  SECTION("a missing NR namespace") {
    REQUIRE(sh("ip netns del " + nr_netns(0x05)) == 0);
    auto c = chk();
    ZOS_SHOW(c);
    CHECK(code_of(c) == 110);
    CHECK_THAT(msg_of(c), Catch::Contains(nr_netns(0x05)));
  }
  SECTION("a deleted firewall table") {
    REQUIRE(sh("ip netns exec " + nr_netns(0x05) + " nft delete table inet zos-nr") == 0);
    auto c = chk();
    ZOS_SHOW(c);
    CHECK(code_of(c) == 110);
    CHECK_THAT(msg_of(c), Catch::Contains("firewall") && Catch::Contains("zos-nr"));
  }
  SECTION("a deleted firewall chain") {
    REQUIRE(sh("nsenter --net=/run/netns/" + nr_netns(0x05) +
               " nft 'flush chain inet zos-nr forward; delete chain inet zos-nr forward'") == 0);
    auto c = chk();
    ZOS_SHOW(c);
    CHECK(code_of(c) == 110);
    CHECK_THAT(msg_of(c), Catch::Contains("firewall chain forward of table inet zos-nr is missing"));
  }
  SECTION("a missing container address") {
    std::string a = r["ips"][0]["address"];
    REQUIRE(sh("ip -n " + cname + " addr del " + a + " dev eth0") == 0);
    auto c = chk();
    ZOS_SHOW(c);
    CHECK(code_of(c) == 110);
    CHECK_THAT(msg_of(c), Catch::Contains(a));
  }
  SECTION("a missing router address in the NR") {
    REQUIRE(sh("ip -n " + nr_netns(0x05) + " addr del " + router4(0x05) + "/24 dev " + nr_veth(0x05)) == 0);
    auto c = chk();
    ZOS_SHOW(c);
    CHECK(code_of(c) == 110);
    CHECK_THAT(msg_of(c), Catch::Contains(router4(0x05)));
  }
  CHECK(node.cni("DEL", with_prev(conf, r), "chk-1", ns).status == 0);
}

TEST_CASE("nr: DEL is safe: netns gone, CNI_NETNS empty, repeated, never added", "[nr][root][del]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  auto conf = node.conf(node.write_network(network("t-del", 0x06)));
  auto ns = node.container("d");
  json r = add_ok(node, conf, "del-1", ns);
  std::string hveth = r["interfaces"][1]["name"];
  REQUIRE(node.has_link(hveth));
  REQUIRE(node.leases_of("del-1") == 1);
  REQUIRE(node.records().size() == 1);

  SECTION("container netns gone") {
    node.drop_container(ns);
    auto d = node.cni("DEL", conf, "del-1", ns);
    ZOS_SHOW(d);
    CHECK(d.status == 0);
  }
  SECTION("CNI_NETNS empty") {
    auto d = node.cni("DEL", conf, "del-1", "");
    ZOS_SHOW(d);
    CHECK(d.status == 0);
    // The container end went with the host end.
    CHECK(sh("ip -n " + ns.substr(ns.rfind('/') + 1) + " link show dev eth0 >/dev/null 2>&1") != 0);
  }
  SECTION("twice") {
    CHECK(node.cni("DEL", conf, "del-1", ns).status == 0);
    auto d = node.cni("DEL", conf, "del-1", ns);
    ZOS_SHOW(d);
    CHECK(d.status == 0);
  }
  SECTION("twice, the second with the netns gone and no network file") {
    CHECK(node.cni("DEL", conf, "del-1", ns).status == 0);
    node.drop_container(ns);
    auto c2 = conf;
    c2["networkFile"] = node.file("nonexistent.json");
    auto d = node.cni("DEL", c2, "del-1", ns);
    ZOS_SHOW(d);
    CHECK(d.status == 0);
  }
  CHECK_FALSE(node.has_link(hveth));
  CHECK(node.host_veths().empty());
  CHECK(node.all_leases().empty());
  CHECK(node.records().empty());
  // DEL of a container that never was
  auto never = node.cni("DEL", conf, "del-never", "");
  ZOS_SHOW(never);
  CHECK(never.status == 0);
}

TEST_CASE("nr: ADD into a container that has CNI_IFNAME already fails (4), leaving nothing", "[nr][root]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  auto conf = node.conf(node.write_network(network("t-ifn", 0x07)));
  auto ns = node.container("i");
  std::string cname = ns.substr(ns.rfind('/') + 1);
  REQUIRE(sh("ip -n " + cname + " link add eth0 type veth peer name eth0peer") == 0);
  auto r = node.cni("ADD", conf, "ifn-1", ns);
  ZOS_SHOW(r);
  CHECK(r.status != 0);
  CHECK(code_of(r) == 4);
  CHECK_THAT(msg_of(r), Catch::Contains("eth0"));
  CHECK(node.host_veths().empty());
  CHECK(node.all_leases().empty());
  CHECK(node.records().empty());
  // The container's own eth0 is untouched, also by the DEL that follows.
  CHECK(sh_out("ip -n " + cname + " -o link show dev eth0").find("eth0@eth0peer") != std::string::npos);
  CHECK(node.cni("DEL", conf, "ifn-1", ns).status == 0);
  CHECK(sh_out("ip -n " + cname + " -o link show dev eth0").find("eth0@eth0peer") != std::string::npos);
  // Another name works.
  auto r2 = node.cni("ADD", conf, "ifn-1", ns, "net1");
  ZOS_SHOW(r2);
  CHECK(r2.status == 0);
  CHECK(node.cni("DEL", conf, "ifn-1", ns, "net1").status == 0);
}

// hostPort (what CRI sends for a pod's hostPort when the conflist declares
// the portMappings capability on zos-nr) is refused before anything is built.
TEST_CASE("nr: runtimeConfig.portMappings is refused (2), leaving nothing", "[nr][root][hostport]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  auto conf = node.conf(node.write_network(network("t-hp", 0x08)));
  auto ns = node.container("hp");
  conf["runtimeConfig"]["portMappings"] = json::parse(R"([{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}])");
  auto r = node.cni("ADD", conf, "hp-1", ns);
  ZOS_SHOW(r);
  CHECK(code_of(r) == 2);
  CHECK_THAT(msg_of(r), Catch::Contains("hostPort"));
  CHECK(node.host_veths().empty());
  CHECK(node.all_leases().empty());
  CHECK(node.show().empty());  // not even the NR was built
  CHECK(node.cni("DEL", conf, "hp-1", ns).status == 0);
  // An empty list is no port: fine.
  conf["runtimeConfig"]["portMappings"] = json::array();
  auto ok = node.cni("ADD", conf, "hp-2", ns);
  ZOS_SHOW(ok);
  CHECK(ok.status == 0);
  CHECK(node.cni("DEL", conf, "hp-2", ns).status == 0);
}

TEST_CASE("nr: GC drops attachments not in the valid list", "[nr][root][gc]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  auto conf = node.conf(node.write_network(network("t-gc", 0x70)));
  auto a = node.container("ga");
  auto b = node.container("gb");
  json ra = add_ok(node, conf, "gc-a", a);
  json rb = add_ok(node, conf, "gc-b", b);
  std::string ha = ra["interfaces"][1]["name"], hb = rb["interfaces"][1]["name"];
  auto gconf = conf;
  gconf["cni.dev/valid-attachments"] = json::array({{{"containerID", "gc-a"}, {"ifname", "eth0"}}});
  auto g = node.cni("GC", gconf);
  ZOS_SHOW(g);
  CHECK(g.status == 0);
  CHECK(g.out.empty());
  CHECK(node.has_link(ha));
  CHECK_FALSE(node.has_link(hb));
  CHECK(node.leases_of("gc-a") == 1);
  CHECK(node.leases_of("gc-b") == 0);
  CHECK(node.records().size() == 1);
  CHECK(ping(a, router4(0x70)));
  // An empty valid list drops everything.
  gconf["cni.dev/valid-attachments"] = json::array();
  CHECK(node.cni("GC", gconf).status == 0);
  CHECK(node.host_veths().empty());
  CHECK(node.all_leases().empty());
  CHECK(node.records().empty());
}

TEST_CASE("nr: STATUS is 0 when ready and 50 when the network file is unreadable", "[nr][root][status]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  std::string file = node.write_network(network("t-st", 0x60));
  auto conf = node.conf(file);
  auto ok = node.cni("STATUS", conf);
  {
    ZOS_SHOW(ok);
    CHECK(ok.status == 0);
    CHECK(ok.out.empty());
  }
  SECTION("missing file") { conf["networkFile"] = node.file("missing.json"); }
  SECTION("a directory") { conf["networkFile"] = node.data_dir().substr(0, node.data_dir().rfind('/')); }
  SECTION("not JSON") {
    std::string f = node.file("garbage.json");
    REQUIRE(sh("echo '{not json' > " + f) == 0);
    conf["networkFile"] = f;
  }
  SECTION("no resource for this node") { conf["nodeId"] = "some-other-node"; }
  auto bad = node.cni("STATUS", conf);
  ZOS_SHOW(bad);
  CHECK(bad.status != 0);
  CHECK(code_of(bad) == 50);
  CHECK_FALSE(msg_of(bad).empty());
}
