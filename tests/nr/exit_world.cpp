#include "nr/exit_world.h"

namespace zos::test::nr {

json exit_point(const std::string& v4, const std::string& v6, const std::string& iface) {
  json e = {{"ipv4_conf", {{"cidr", v4}, {"gateway", "203.0.113.1"}, {"enable_nat", true}}}};
  if (!iface.empty()) e["ipv4_conf"]["iface"] = iface;
  if (!v6.empty()) e["ipv6_conf"] = {{"addr", v6}, {"gateway", "2001:db8:ff::1"}, {"iface", iface}};
  return e;
}

json exit_network(const std::string& id, int n, const json& ep, uint64_t version) {
  json j = network(id, n, version);
  j["resources"][0]["exit_point"] = true;
  j["exit_point"] = ep;
  return j;
}

bool netns_exists(const std::string& name) { return sh("test -e /run/netns/" + name) == 0; }

void drop_bridge_guard(const Node& n) {
  REQUIRE(sh("ip netns exec " + n.name() + " nft delete table bridge zos-guard") == 0);
}

ExitWorld::ExitWorld(const std::string& tag, const std::string& node_id)
    : node(tag, node_id), inet_ns("nr", tag + "-inet"), inet(inet_ns.name()), inet_path(inet_ns.path()) {
  const std::string pub = node.public_ns();
  REQUIRE(sh("ip netns add " + pub) == 0);
  REQUIRE(sh("ip -n " + inet + " link set lo up && ip -n " + pub + " link set lo up") == 0);
  REQUIRE(sh("ip -n " + inet + " link add wan0 type veth peer name inet0 netns " + pub) == 0);
  REQUIRE(sh("ip -n " + inet + " addr add 203.0.113.1/24 dev wan0 && ip -n " + inet +
             " addr add 2001:db8:ff::1/64 dev wan0 nodad && ip -n " + inet + " link set wan0 up") == 0);
  // The Internet routes the tenants' IPv6 to the exits (not 10/8).
  REQUIRE(sh("ip -n " + inet + " route add 2a02:1802:5e::/48 via 2001:db8:ff::10") == 0);
  REQUIRE(sh("ip -n " + pub + " addr add 203.0.113.2/24 dev inet0 && ip -n " + pub +
             " addr add 2001:db8:ff::2/64 dev inet0 nodad && ip -n " + pub + " link set inet0 up && ip -n " + pub +
             " route add default via 203.0.113.1 && ip -n " + pub + " -6 route add default via 2001:db8:ff::1") == 0);
}

Exec ExitWorld::add(const std::string& file, const std::string& id, const std::string& netns) const {
  return node.cni("ADD", node.conf(file), id, netns);
}

}  // namespace zos::test::nr
