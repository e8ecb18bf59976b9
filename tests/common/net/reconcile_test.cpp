// common/net's reconcile functions (sync_routes, sync_default_route,
// sync_global_addr) against the kernel, inside scratch namespaces: they make
// a link's state exactly what is wanted, touch nothing else, and say whether
// they changed anything.
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/net/addr.h"
#include "common/net/link.h"
#include "common/net/route.h"
#include "support/netns.h"
#include "support/support.h"

using namespace zos;
using namespace zos::nl;
using zos::test::A;
using zos::test::P;
using zos::test::Netns;

namespace {

// The gateway routes through link `index` in `table`, as "dst via gw".
std::set<std::string> via(Socket& s, int index, uint32_t table) {
  std::set<std::string> out;
  for (int fam : {AF_INET, AF_INET6})
    for (const auto& r : list_routes(s, fam, table))
      if (r.oif == index && r.gw) out.insert(r.dst.str() + " via " + r.gw->str());
  return out;
}

bool has_dst(Socket& s, int family, const char* dst, int index) {
  return has_route(list_routes(s, family), P(dst), index);
}

// Two veth links up in a scratch namespace (their peers up in a second):
// the one under test and another that must stay as it is.
struct TwoLinks {
  Netns a, b;
  Socket s;
  int idx, other;
  explicit TwoLinks(const std::string& tag) : a("nl", tag), b("nl", tag + "2"), s(a.socket()), idx(up("v0")), other(up("v1")) {}

 private:
  int up(const std::string& name) {
    REQUIRE(create_veth(s, name, name + "p", {.peer_netns_fd = b.fd()}));
    const int index = get_link(s, name)->index;
    set_up(s, index);
    b.run([&] {
      Socket sb;
      set_up(sb, get_link(sb, name + "p")->index);
    });
    return index;
  }
};

}  // namespace

TEST_CASE("sync_routes makes a link's gateway routes exactly the wanted set", "[netlink][root]") {
  ZOS_REQUIRE_ROOT();
  TwoLinks t("sr");
  auto& s = t.s;
  const int idx = t.idx, other = t.other;
  REQUIRE(add_addr(s, idx, P("fd00::1/64"), {.nodad = true}));
  REQUIRE(add_addr(s, other, P("10.1.10.1/24")));
  // Not the function's: another link's route, another table's, a connected one.
  replace_route(s, {.dst = P("10.7.0.0/16"), .gw = A("10.1.10.2"), .oif = other});
  replace_route(s, {.dst = P("10.8.0.0/16"), .gw = A("10.99.0.1"), .oif = idx, .table = 100, .onlink = true});

  const std::vector<GatewayRoute> first = {
      {P("10.2.0.0/16"), A("10.99.0.1"), true},
      {P("fd10::/64"), A("fd00::2"), false},
      {default_dst(AF_INET), A("10.99.0.1"), true},
      {default_dst(AF_INET6), A("fd00::3"), false},
  };
  CHECK(sync_routes(s, idx, RT_TABLE_MAIN, first));
  CHECK(via(s, idx, RT_TABLE_MAIN) == std::set<std::string>{"10.2.0.0/16 via 10.99.0.1", "fd10::/64 via fd00::2",
                                                            "0.0.0.0/0 via 10.99.0.1", "::/0 via fd00::3"});
  CHECK_FALSE(sync_routes(s, idx, RT_TABLE_MAIN, first));  // converged: no change

  // A gateway changes, a destination goes, the IPv6 default goes.
  const std::vector<GatewayRoute> second = {
      {P("10.2.0.0/16"), A("10.99.0.2"), true},
      {default_dst(AF_INET), A("10.99.0.1"), true},
  };
  CHECK(sync_routes(s, idx, RT_TABLE_MAIN, second));
  CHECK(via(s, idx, RT_TABLE_MAIN) == std::set<std::string>{"10.2.0.0/16 via 10.99.0.2", "0.0.0.0/0 via 10.99.0.1"});
  CHECK_FALSE(sync_routes(s, idx, RT_TABLE_MAIN, second));

  CHECK(sync_routes(s, idx, RT_TABLE_MAIN, {}));
  CHECK(via(s, idx, RT_TABLE_MAIN).empty());
  CHECK_FALSE(sync_routes(s, idx, RT_TABLE_MAIN, {}));
  // Left alone throughout.
  CHECK(via(s, other, RT_TABLE_MAIN) == std::set<std::string>{"10.7.0.0/16 via 10.1.10.2"});
  CHECK(via(s, idx, 100) == std::set<std::string>{"10.8.0.0/16 via 10.99.0.1"});
  CHECK(has_dst(s, AF_INET6, "fd00::/64", idx));
  CHECK(has_dst(s, AF_INET, "10.1.10.0/24", other));
}

TEST_CASE("sync_default_route and sync_global_addr converge one link", "[netlink][root]") {
  ZOS_REQUIRE_ROOT();
  TwoLinks t("sd");
  auto& s = t.s;
  const int idx = t.idx, other = t.other;
  REQUIRE(add_addr(s, other, P("10.2.0.1/24")));
  replace_route(s, {.dst = default_dst(AF_INET), .gw = A("10.2.0.254"), .oif = other, .metric = 50});

  CHECK(sync_global_addr(s, idx, AF_INET, P("10.1.10.5/24")));
  CHECK_FALSE(sync_global_addr(s, idx, AF_INET, P("10.1.10.5/24")));
  CHECK(sync_default_route(s, idx, AF_INET, A("10.1.10.1"), 10));
  CHECK_FALSE(sync_default_route(s, idx, AF_INET, A("10.1.10.1"), 10));
  CHECK(has_route(list_routes(s, AF_INET, RT_TABLE_MAIN), default_dst(AF_INET), idx, A("10.1.10.1")));

  // A new address and gateway replace the old ones.
  CHECK(sync_global_addr(s, idx, AF_INET, P("10.1.10.6/24")));
  CHECK(sync_default_route(s, idx, AF_INET, A("10.1.10.2"), 10));
  auto addrs = list_addrs(s, idx, AF_INET);
  REQUIRE(addrs.size() == 1);
  CHECK(addrs[0].prefix == P("10.1.10.6/24"));
  auto routes = list_routes(s, AF_INET, RT_TABLE_MAIN);
  CHECK(has_route(routes, default_dst(AF_INET), idx, A("10.1.10.2")));
  CHECK_FALSE(has_route(routes, default_dst(AF_INET), idx, A("10.1.10.1")));

  // Unwanted: gone; the other link's default route and address stay.
  CHECK(sync_default_route(s, idx, AF_INET, std::nullopt));
  CHECK(sync_global_addr(s, idx, AF_INET, std::nullopt));
  CHECK(list_addrs(s, idx, AF_INET).empty());
  routes = list_routes(s, AF_INET, RT_TABLE_MAIN);
  CHECK_FALSE(has_route(routes, default_dst(AF_INET), idx));
  CHECK(has_route(routes, default_dst(AF_INET), other, A("10.2.0.254")));
  CHECK(has_addr(list_addrs(s, other), P("10.2.0.1/24")));
}
