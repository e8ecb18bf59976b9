// Integration: zos-nr as the first plugin of a chain followed by the
// reference tuning, bandwidth and portmap plugins (containernetworking-plugins
// in /usr/lib/cni), run by hand as libcni would: ADD in order with each
// plugin's result as the next one's prevResult, CHECK, DEL in reverse order.
// Nibble used here: 0b50.
#include <sys/stat.h>

#include "nr/nr_support.h"

using namespace zos::test;
using namespace zos::test::nr;

namespace {

bool have_reference_plugins() {
  struct stat st;
  for (const char* p : {"/usr/lib/cni/tuning", "/usr/lib/cni/bandwidth", "/usr/lib/cni/portmap"})
    if (::stat(p, &st) != 0) return false;
  return true;
}

}  // namespace

TEST_CASE("nr: chained with the reference tuning, bandwidth and portmap plugins", "[nr][root][chain]") {
  ZOS_REQUIRE_ROOT();
  if (!have_reference_plugins()) {
    WARN("skipped: containernetworking-plugins is not installed in /usr/lib/cni");
    return;
  }
  Node node;
  const std::string v = "1.0.0";  // the highest the Debian 12 reference plugins speak
  auto file = node.write_network(network("t-chain", 0x50));
  auto ns = node.container("ch");
  const std::string cname = ns.substr(ns.rfind('/') + 1);
  const std::string id = "chain-1";

  json zconf = node.conf(file, v, "chainnet");
  json tuning = {{"cniVersion", v}, {"name", "chainnet"}, {"type", "tuning"},
                 {"sysctl", {{"net.core.somaxconn", "777"}}}};
  json bandwidth = {{"cniVersion", v},          {"name", "chainnet"},     {"type", "bandwidth"},
                    {"ingressRate", 8000000},   {"ingressBurst", 100000}, {"egressRate", 8000000},
                    {"egressBurst", 100000}};
  json portmap = {{"cniVersion", v},
                  {"name", "chainnet"},
                  {"type", "portmap"},
                  {"capabilities", {{"portMappings", true}}},
                  {"runtimeConfig",
                   {{"portMappings", json::array({{{"hostPort", 18080}, {"containerPort", 80}, {"protocol", "tcp"}}})}}}};

  struct Step {
    std::string path;
    json conf;
  };
  std::vector<Step> chain = {{bin("zos-nr"), zconf},
                             {"/usr/lib/cni/tuning", tuning},
                             {"/usr/lib/cni/bandwidth", bandwidth},
                             {"/usr/lib/cni/portmap", portmap}};

  // ADD in order
  json prev;
  for (auto& s : chain) {
    INFO("ADD " << s.path);
    json c = s.conf;
    if (!prev.is_null()) c["prevResult"] = prev;
    auto r = node.plugin(s.path, "ADD", c, id, ns);
    ZOS_SHOW(r);
    REQUIRE(r.status == 0);
    prev = out_json(r);
    CHECK(prev["cniVersion"] == v);
  }
  const json final_result = prev;
  REQUIRE(final_result["interfaces"].size() >= 3);
  std::string hveth = final_result["interfaces"][1]["name"];

  // Each plugin did its job.
  CHECK(sh_out("ip netns exec " + cname + " cat /proc/sys/net/core/somaxconn") == "777\n");
  CHECK_THAT(sh_out("tc -n " + node.name() + " qdisc show dev " + hveth), Catch::Contains("tbf"));
  CHECK_THAT(sh_out("nsenter --net=" + node.path() + " iptables-save -t nat 2>/dev/null"),
             Catch::Contains("18080"));
  CHECK(ping(ns, router4(0x50)));
  CHECK(ping(ns, router6(0x50)));

  // CHECK of zos-nr with the chain's final result (later plugins' changes tolerated)
  {
    json c = zconf;
    c["prevResult"] = final_result;
    auto r = node.plugin(bin("zos-nr"), "CHECK", c, id, ns);
    ZOS_SHOW(r);
    CHECK(r.status == 0);
  }

  // DEL in reverse order, each with the final result
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    INFO("DEL " << it->path);
    json c = it->conf;
    c["prevResult"] = final_result;
    auto r = node.plugin(it->path, "DEL", c, id, ns);
    ZOS_SHOW(r);
    CHECK(r.status == 0);
  }
  CHECK(node.host_veths().empty());
  CHECK(node.all_leases().empty());
  CHECK(node.records().empty());
  CHECK_THAT(sh_out("nsenter --net=" + node.path() + " iptables-save -t nat 2>/dev/null"),
             !Catch::Contains("18080"));
  CHECK(sh_out("ip -n " + node.name() + " -o link show").find("bwp") == std::string::npos);
}
