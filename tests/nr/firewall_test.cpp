// The NR firewall's and the bridge guard's scripts as text: the shapes a
// re-apply compares with the kernel's chains (rule counts), and the fresh
// form a cold build sends (no replacing deletes). The kernel side is in
// manage_test.cpp ("[apply]").
#include <catch2/catch.hpp>

#include "plugins/nr/firewall.h"
#include "plugins/nr/guard.h"

using namespace zos;

namespace {

nr::FirewallSpec spec() {
  nr::FirewallSpec s;
  s.router_if = "veth-0c00-0";
  s.wg_if = "wg-0c00-0";
  s.own_v4 = "10.12.0.0/24";
  s.own_v6 = "2a02:1802:5e:c00::/64";
  s.own_wg_v4 = "10.255.12.0";
  s.net_v4 = {"10.12.0.0/24", "10.255.12.0"};
  s.net_v6 = {"2a02:1802:5e:c00::/64"};
  return s;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

}  // namespace

TEST_CASE("nr firewall: chain shapes count each chain's rules, not its type or comment", "[nr][firewall]") {
  const std::string script =
      "add table inet t\n"
      "delete table inet t\n"
      "table inet t {\n"
      "  chain a {\n"
      "    comment \"zos x\"\n"
      "    type filter hook input priority filter; policy drop;\n"
      "    iifname \"lo\" accept\n"
      "    ct state invalid drop\n"
      "  }\n"
      "  chain b {\n"
      "  }\n"
      "}\n"
      "table ip n {\n"
      "  chain c {\n"
      "    masquerade\n"
      "  }\n"
      "}\n";
  auto shapes = nr::chain_shapes(script);
  REQUIRE(shapes.size() == 3);
  CHECK((shapes[0].table == "inet t" && shapes[0].chain == "a" && shapes[0].rules == 2));
  CHECK((shapes[1].table == "inet t" && shapes[1].chain == "b" && shapes[1].rules == 0));
  CHECK((shapes[2].table == "ip n" && shapes[2].chain == "c" && shapes[2].rules == 1));
  // What firewall_state compares: a chain with fewer (flushed) or other rules
  // than the script's is not current, whatever its tag.
  std::vector<nfnl::Chain> have{{"t", "a", "zos x", 2}, {"t", "b", "zos x", 0}};
  CHECK(nr::chains_tagged(have, "inet t", shapes, "zos x"));
  CHECK_FALSE(nr::chains_tagged(have, "inet t", shapes, "zos y"));
  // A table of which the script showed no chain is never taken as current.
  CHECK_FALSE(nr::chains_tagged(have, "inet other", shapes, "zos x"));
  have[0].rules = 0;
  CHECK_FALSE(nr::chains_tagged(have, "inet t", shapes, "zos x"));
}

TEST_CASE("nr firewall: a fresh script has no replacing deletes and makes the same chains", "[nr][firewall]") {
  const auto s = spec();
  const std::string full = nr::firewall_script(s), fresh = nr::fresh_script(full);
  CHECK(count(full, "delete table ") == 2);
  CHECK(count(fresh, "delete ") == 0);
  CHECK(count(fresh, "add table ") == 0);
  CHECK(fresh == full.substr(full.find("table inet zos-nr {")));

  const std::string guard = nr::bridge_guard_script({}), gfresh = nr::fresh_script(guard);
  CHECK(count(guard, "delete chain ") == 2);
  CHECK(count(gfresh, "delete ") == 0);
  CHECK(count(gfresh, "add chain ") == 0);
  // The table and its sets stay: they are only added, never replaced.
  CHECK(count(gfresh, "add table bridge zos-guard\n") == 1);
  CHECK(count(gfresh, "add set bridge zos-guard ") == 3);
  for (const auto* shape : {&full, &guard}) {
    INFO(*shape);
    auto a = nr::chain_shapes(*shape), b = nr::chain_shapes(nr::fresh_script(*shape));
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) CHECK((a[i].chain == b[i].chain && a[i].rules == b[i].rules));
  }
}
