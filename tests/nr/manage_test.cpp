// Integration: the management subcommands (the 0-OS Networker contract) and
// the NR's apply semantics (idempotent, converging, versioned, no clashes).
// Nibbles used here: 0b30 (converge), 0b31 (name clash), 0b32 (re-created bridge), 0b33
// (re-apply without zos-nft), 0b40 (management).
#include <sys/stat.h>

#include "common/sys/file.h"
#include "nr/nr_support.h"

using namespace zos::test;
using namespace zos::test::nr;

namespace {

std::string ifindex(const Node& node, const std::string& link) {
  auto out = sh_out("ip -n " + node.name() + " -o link show dev " + link + " 2>/dev/null");
  return out.substr(0, out.find(':'));
}

std::string master_of(const Node& node, const std::string& link) {
  auto out = sh_out("ip -n " + node.name() + " -o link show dev " + link + " 2>/dev/null");
  auto p = out.find(" master ");
  if (p == std::string::npos) return "";
  p += 8;
  return out.substr(p, out.find(' ', p) - p);
}

bool path_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

bool fw_table(int n) {
  return sh("ip netns exec " + nr_netns(n) + " nft list table inet zos-nr >/dev/null 2>&1") == 0;
}

}  // namespace

TEST_CASE("nr: apply is idempotent, converges, follows the version", "[nr][root][apply]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  auto net = network("t-conv", 0x30);
  std::string file = node.write_network(net);
  auto a1 = node.manage({"apply", file, "--node", kNodeId});
  {
    ZOS_SHOW(a1);
    REQUIRE(a1.status == 0);
    CHECK(a1.out == nr_netns(0x30) + "\n");
  }
  auto conf = node.conf(file);
  auto ns = node.container("c");
  auto add = node.cni("ADD", conf, "conv-1", ns);
  {
    ZOS_SHOW(add);
    REQUIRE(add.status == 0);
  }
  std::string br_idx = ifindex(node, nr_bridge(0x30)), veth_idx = ifindex(node, nr_veth(0x30));
  REQUIRE_FALSE(br_idx.empty());

  // second apply: same answer, nothing re-created, the container undisturbed
  auto a2 = node.manage({"apply", file, "--node", kNodeId});
  {
    ZOS_SHOW(a2);
    CHECK(a2.status == 0);
    CHECK(a2.out == a1.out);
  }
  CHECK(ifindex(node, nr_bridge(0x30)) == br_idx);
  CHECK(ifindex(node, nr_veth(0x30)) == veth_idx);
  CHECK(ping(ns, router4(0x30)));

  // a deleted bridge is restored
  REQUIRE(sh("ip -n " + node.name() + " link del " + nr_bridge(0x30)) == 0);
  REQUIRE_FALSE(node.has_link(nr_bridge(0x30)));
  auto a3 = node.manage({"apply", file, "--node", kNodeId});
  {
    ZOS_SHOW(a3);
    CHECK(a3.status == 0);
  }
  CHECK(node.has_link(nr_bridge(0x30)));
  CHECK(master_of(node, nr_veth(0x30)) == nr_bridge(0x30));
  auto shown = node.show();
  REQUIRE(shown.size() == 1);
  {
    INFO(shown.dump(2));
    CHECK(shown[0]["problems"].empty());
  }

  // a deleted router veth is restored too
  REQUIRE(sh("ip -n " + node.name() + " link del " + nr_veth(0x30)) == 0);
  CHECK(node.manage({"apply", file, "--node", kNodeId}).status == 0);
  CHECK(master_of(node, nr_veth(0x30)) == nr_bridge(0x30));
  CHECK(node.show()[0]["problems"].empty());

  // a higher version re-applies, also through CNI ADD
  REQUIRE(sh("ip netns exec " + nr_netns(0x30) + " nft delete table inet zos-nr") == 0);
  net["version"] = 2;
  node.write_network(net);
  auto ns2 = node.container("c2");
  auto add2 = node.cni("ADD", conf, "conv-2", ns2);
  {
    ZOS_SHOW(add2);
    CHECK(add2.status == 0);
  }
  CHECK(fw_table(0x30));
  CHECK(node.show()[0]["version"] == 2);
  CHECK(ping(ns2, router4(0x30)));
  net["version"] = 3;
  node.write_network(net);
  CHECK(node.manage({"apply", file, "--node", kNodeId}).status == 0);
  CHECK(node.show()[0]["version"] == 3);

  // a lower version is refused by apply (1); an ADD that carries it joins
  // the applied version 3 (the runtime's copy lags behind an apply)
  net["version"] = 1;
  node.write_network(net);
  auto low = node.manage({"apply", file, "--node", kNodeId});
  {
    ZOS_SHOW(low);
    CHECK(low.status == 1);
    CHECK_THAT(low.err, Catch::Contains("older") && Catch::Contains("3"));
  }
  auto ns3 = node.container("c3");
  auto add3 = node.cni("ADD", conf, "conv-3", ns3);
  {
    ZOS_SHOW(add3);
    CHECK(add3.status == 0);
  }
  CHECK(node.leases_of("conv-3") == 1);
  CHECK(ping(ns3, router4(0x30)));
  CHECK(node.show()[0]["version"] == 3);
  net["version"] = 3;
  node.write_network(net);
  CHECK(node.cni("DEL", conf, "conv-1", ns).status == 0);
  CHECK(node.cni("DEL", conf, "conv-2", ns2).status == 0);
  CHECK(node.cni("DEL", conf, "conv-3", ns3).status == 0);
}

TEST_CASE("nr: converge puts attached containers back on a re-created bridge", "[nr][root][apply]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  std::string file = node.write_network(network("t-conv2", 0x32));
  auto conf = node.conf(file);
  auto ns = node.container("c");
  auto add = node.cni("ADD", conf, "conv2-1", ns);
  ZOS_SHOW(add);
  REQUIRE(add.status == 0);
  std::string hveth = out_json(add)["interfaces"][1]["name"];
  REQUIRE(sh("ip -n " + node.name() + " link del " + nr_bridge(0x32)) == 0);
  CHECK(node.manage({"apply", file, "--node", kNodeId}).status == 0);
  CHECK(master_of(node, hveth) == nr_bridge(0x32));
  CHECK(ping(ns, router4(0x32)));
  CHECK(node.cni("DEL", conf, "conv2-1", ns).status == 0);
}

// An unchanged re-apply compares the tables with what it would load (the
// chains' tags) and starts zos-nft only for what differs: with ZOS_NFT
// pointing at a fake that leaves a mark and fails, every apply that would
// run it fails and is seen to have run it.
TEST_CASE("nr: an unchanged re-apply starts no zos-nft, a changed firewall or guard is loaded again",
          "[nr][root][apply]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  std::string file = node.write_network(network("t-conv3", 0x33));
  // ZOS_NFT: a zos-nft that leaves a mark and fails, so each apply says
  // whether it started one (not only whether it failed).
  TempDir tmp;
  const std::string fake = tmp / "nft", mark = tmp / "ran";
  zos::sys::write_file_atomic(fake, "#!/bin/sh\ntouch " + mark + "\nexit 1\n", 0755);
  const std::map<std::string, std::string> no_nft{{"ZOS_NFT", fake}};
  auto apply = [&](const std::map<std::string, std::string>& env = {}) {
    auto r = node.manage({"apply", file, "--node", kNodeId}, true, env);
    ZOS_SHOW(r);
    return r.status;
  };
  // 0 when the apply succeeded without starting zos-nft; 1 when it started
  // one and failed for it; -1 for anything else.
  auto apply_no_nft = [&] {
    zos::sys::remove_if_exists(mark);
    int rc = apply(no_nft);
    bool ran = zos::sys::read_file(mark).has_value();
    return rc == 0 && !ran ? 0 : rc != 0 && ran ? 1 : -1;
  };
  REQUIRE(apply_no_nft() == 1);  // the first apply loads the tables: the fake stops it
  REQUIRE(apply() == 0);
  auto conf = node.conf(file);
  auto ns = node.container("c");
  auto add = node.cni("ADD", conf, "conv3-1", ns);
  ZOS_SHOW(add);
  REQUIRE(add.status == 0);
  REQUIRE(ping(ns, router4(0x33)));

  CHECK(apply_no_nft() == 0);
  CHECK(ping(ns, router4(0x33)));

  // The guard's sets lost the port's elements: put back without zos-nft.
  std::string in_node = "ip netns exec " + node.name() + " nft ";
  REQUIRE(sh(in_node + "flush set bridge zos-guard mac") == 0);
  CHECK_FALSE(ping(ns, router4(0x33)));
  CHECK(apply_no_nft() == 0);
  CHECK(ping(ns, router4(0x33)));

  // A chain that is gone, or not the one this version makes, is loaded again.
  std::string in_nr = "ip netns exec " + nr_netns(0x33) + " nft ";
  for (const auto& [nft, chain] : {std::pair{in_nr, "inet zos-nr guard"}, std::pair{in_node, "bridge zos-guard forward"}}) {
    INFO(chain);
    REQUIRE(sh(nft + "flush chain " + chain + " && " + nft + "delete chain " + chain) == 0);
    CHECK(apply_no_nft() == 1);
    CHECK(apply() == 0);
    CHECK(sh(nft + "list chain " + chain + " >/dev/null") == 0);
  }
  // A chain flushed, or cut by one rule, keeps its tag: its rule count
  // tells, and the next apply puts its rules back.
  using Cut = std::tuple<std::string, std::string, std::string>;  // nft, chain, what cuts it
  for (const auto& [nft, chain, cut] :
       {Cut{in_nr, "inet zos-nr guard", "flush chain inet zos-nr guard"},
        Cut{in_node, "bridge zos-guard forward", "flush chain bridge zos-guard forward"},
        Cut{in_nr, "inet zos-nr input",
            "delete rule inet zos-nr input handle $(" + in_nr +
                "-a list chain inet zos-nr input | sed -n 's/.*ct state invalid drop # handle //p')"}}) {
    INFO(chain);
    const std::string before = sh_out(nft + "list chain " + chain);
    REQUIRE(sh(nft + cut) == 0);
    REQUIRE(sh_out(nft + "list chain " + chain) != before);
    CHECK(apply_no_nft() == 1);
    CHECK(apply() == 0);
    CHECK(sh_out(nft + "list chain " + chain) == before);
  }
  CHECK(ping(ns, router4(0x33)));
  // A chain made by another script (its tag differs) is loaded again.
  REQUIRE(sh(in_nr + "flush chain inet zos-nr input && " + in_nr + "delete chain inet zos-nr input && " + in_nr +
             "add chain inet zos-nr input '{ type filter hook input priority filter; policy accept; comment \"zos 0\"; }'") == 0);
  CHECK(apply_no_nft() == 1);
  CHECK(apply() == 0);
  CHECK(sh(in_nr + "list chain inet zos-nr input | grep -q 'policy drop'") == 0);
  // A new version whose firewall is the same (one more NR elsewhere: only an
  // exit's rules name the other NRs) loads nothing either.
  auto net = network("t-conv3", 0x33, 2);
  net["resources"].push_back({{"node_id", {{"id", "elsewhere"}}}, {"prefix", prefix(0x34)}, {"peers", json::array()}});
  node.write_network(net);
  CHECK(apply_no_nft() == 0);
  CHECK(node.show()[0]["version"] == 2);
  CHECK(ping(ns, router4(0x33)));
  CHECK(node.cni("DEL", conf, "conv3-1", ns).status == 0);
}

TEST_CASE("nr: two networks whose NR names clash: the second is refused, the other's id only in the log", "[nr][root][apply]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  std::string fa = node.write_network(network("t-clash-a", 0x31));
  std::string fb = node.write_network(network("t-clash-b", 0x31));
  auto a = node.manage({"apply", fa, "--node", kNodeId});
  {
    ZOS_SHOW(a);
    REQUIRE(a.status == 0);
  }
  auto b = node.manage({"apply", fb, "--node", kNodeId});
  {
    ZOS_SHOW(b);
    CHECK(b.status == 1);
    // The operator's log names the other network.
    CHECK_THAT(b.err, Catch::Contains(nr_netns(0x31) + " belongs to network t-clash-a"));
  }
  // Through CNI: code 111, nothing attached.
  auto ns = node.container("x");
  auto add = node.cni("ADD", node.conf(fb), "clash-1", ns);
  {
    ZOS_SHOW(add);
    CHECK(code_of(add) == 111);
    // The tenant's error does not: another tenant's network id is not its to learn.
    CHECK_THAT(msg_of(add), Catch::Contains("network t-clash-b: another network on this node uses " + nr_netns(0x31)));
    CHECK_THAT(msg_of(add), !Catch::Contains("t-clash-a"));
  }
  CHECK(node.all_leases().empty());
  CHECK(node.host_veths().empty());
  // Deleting the second must not remove the first's NR.
  CHECK(node.manage({"delete", fb, "--node", kNodeId}).status != 0);
  CHECK(node.has_link(nr_bridge(0x31)));
  CHECK(path_exists("/run/netns/" + nr_netns(0x31)));
  // Another allocation_nr breaks the clash.
  std::string fb1 = node.write_network(network("t-clash-b", 0x31, 1, 1), "t-clash-b-1.json");
  auto b1 = node.manage({"apply", fb1, "--node", kNodeId});
  {
    ZOS_SHOW(b1);
    CHECK(b1.status == 0);
    CHECK(b1.out == nr_netns(0x31, 1) + "\n");
  }
  CHECK(node.has_link(nr_bridge(0x31, 1)));
  CHECK(node.show().size() == 2);
}

TEST_CASE("nr: management subcommands", "[nr][root][manage]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  std::string file = node.write_network(network("t-mgmt", 0x40));
  auto ap = node.manage({"apply", file, "--node", kNodeId});
  {
    ZOS_SHOW(ap);
    REQUIRE(ap.status == 0);
    CHECK(ap.out == nr_netns(0x40) + "\n");
  }
  auto nsq = node.manage({"namespace", "t-mgmt"});
  CHECK(nsq.status == 0);
  CHECK(nsq.out == nr_netns(0x40) + "\n");
  auto nsu = node.manage({"namespace", "t-unknown"});
  CHECK(nsu.status == 1);
  CHECK_THAT(nsu.err, Catch::Contains("t-unknown"));

  auto conf = node.conf(file);
  auto c = node.container("m");
  auto add = node.cni("ADD", conf, "mgmt-1", c);
  REQUIRE(add.status == 0);
  std::string hveth = out_json(add)["interfaces"][1]["name"];

  auto human = node.manage({"show"});
  {
    ZOS_SHOW(human);
    CHECK(human.status == 0);
    CHECK_THAT(human.out, Catch::Contains("t-mgmt") && Catch::Contains("version 1") &&
                              Catch::Contains(nr_netns(0x40)) && Catch::Contains(nr_bridge(0x40)) &&
                              Catch::Contains(nr_veth(0x40)) && Catch::Contains("mgmt-1") && Catch::Contains(hveth) &&
                              Catch::Contains("10.11.64.1"));
  }
  auto js = node.manage({"show", "t-mgmt", "--json"});
  ZOS_SHOW(js);
  REQUIRE(js.status == 0);
  json j = out_json(js);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["network_id"] == "t-mgmt");
  CHECK(j[0]["version"] == 1);
  CHECK(j[0]["namespace"] == nr_netns(0x40));
  CHECK(j[0]["bridge"] == nr_bridge(0x40));
  CHECK(j[0]["router_veth"] == nr_veth(0x40));
  CHECK(j[0]["prefix"] == prefix(0x40));
  CHECK(j[0]["problems"].empty());
  REQUIRE(j[0]["containers"].size() == 1);
  CHECK(j[0]["containers"][0]["containerID"] == "mgmt-1");
  CHECK(j[0]["containers"][0]["host_veth"] == hveth);
  CHECK(node.manage({"show", "t-unknown"}).status == 1);

  // delete: namespace, bridge, router veth, container veths, leases, state
  REQUIRE(node.leases().size() == 1);
  auto del = node.manage({"delete", file, "--node", kNodeId});
  {
    ZOS_SHOW(del);
    CHECK(del.status == 0);
  }
  CHECK_FALSE(path_exists("/run/netns/" + nr_netns(0x40)));
  CHECK_FALSE(node.has_link(nr_bridge(0x40)));
  CHECK_FALSE(node.has_link(nr_veth(0x40)));
  CHECK_FALSE(node.has_link(hveth));
  CHECK(node.all_leases().empty());
  CHECK(node.records().empty());
  CHECK(zos::sys::list_dir(node.data_dir() + "/nr/networks").empty());
  CHECK(zos::sys::list_dir(node.data_dir() + "/nr/names").empty());
  CHECK(node.show().empty());
  CHECK(node.manage({"namespace", "t-mgmt"}).status == 1);
  CHECK(node.manage({"delete", file, "--node", kNodeId}).status == 0);  // safe to repeat
  // The runtime's DEL after DeleteNetResource still succeeds.
  CHECK(node.cni("DEL", conf, "mgmt-1", c).status == 0);

  // usage errors: exit 2 with usage
  for (std::vector<std::string> args : {std::vector<std::string>{"frobnicate"},
                                        std::vector<std::string>{"apply", file},
                                        std::vector<std::string>{"show", "--bogus"}}) {
    auto u = node.manage(args);
    INFO(args[0]);
    ZOS_SHOW(u);
    CHECK(u.status == 2);
    CHECK_THAT(u.err, Catch::Contains("usage"));
    CHECK(u.out.empty());
  }
}

// The bridge guard's elements of every attached port go back in one
// nftables transaction on a re-apply: with 60 containers (two IPv6 sources
// each) its messages outgrow a page, which once failed the apply.
TEST_CASE("nr: a re-apply puts the guard elements of 60 containers back", "[nr][root][apply]") {
  ZOS_REQUIRE_ROOT();
  Node node;
  std::string file = node.write_network(network("t-many", 0x34));
  auto conf = node.conf(file);
  const int n = 60;
  std::vector<std::string> cns;
  for (int i = 0; i < n; ++i) {
    cns.push_back(node.container("m" + std::to_string(i)));
    auto add = node.cni("ADD", conf, "many-" + std::to_string(i), cns.back());
    ZOS_SHOW(add);
    REQUIRE(add.status == 0);
  }
  std::string in_node = "ip netns exec " + node.name() + " nft ";
  auto count = [&](const std::string& set) {
    return sh_out(in_node + "list set bridge zos-guard " + set + " | grep -o '\"zv[0-9a-f]*\"' | wc -l");
  };
  REQUIRE(count("mac") == std::to_string(n) + "\n");
  for (const char* set : {"mac", "v4", "v6"}) REQUIRE(sh(in_node + "flush set bridge zos-guard " + set) == 0);
  CHECK_FALSE(ping(cns.back(), router4(0x34)));
  auto r = node.manage({"apply", file, "--node", kNodeId}, true);
  ZOS_SHOW(r);
  REQUIRE(r.status == 0);
  CHECK(count("mac") == std::to_string(n) + "\n");
  CHECK(count("v4") == std::to_string(n) + "\n");
  // With retries: the failed ping above left the neighbour entry to resolve again.
  CHECK(ping_retry(cns.front(), router4(0x34)));
  CHECK(ping_retry(cns.back(), router4(0x34)));
  for (int i = 0; i < n; ++i) CHECK(node.cni("DEL", conf, "many-" + std::to_string(i), cns[i]).status == 0);
}
