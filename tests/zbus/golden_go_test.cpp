// 0-OS's own network objects (tests/model/golden) in its msgpack form, from
// the real Go encoders (tests/zbus/go, ctest zbus_go_encoder): each must
// read exactly as its JSON form does, sealed keys and derived exit included.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "common/sys/file.h"
#include "common/zbus/value.h"
#include "plugins/zbus/go_network.h"
#include "model/network.h"

using namespace zos;
using nlohmann::json;

namespace {

template <typename T>
std::string s(const std::optional<T>& v) {
  return v ? v->str() : "-";
}

// The model as text: every field the plugins read.
std::string dump(const model::Network& n) {
  std::string o = n.network_id + " v" + std::to_string(n.version) + " a" + std::to_string(n.allocation_nr) + " pz " +
                  s(n.prefix_zero) + "\n";
  for (const auto& r : n.resources) {
    o += r.node_id.id + " " + r.node_id.farmer_id + " " + std::to_string(r.node_id.public_v4) +
         std::to_string(r.node_id.public_v6) + " " + r.prefix.str() + " ll " + s(r.link_local) + " exit " +
         std::to_string(r.exit_point) + "/" + std::to_string(r.exit_nr) + "\n";
    for (const auto& p : r.peers)
      o += "  " + std::to_string(p.type) + " " + p.prefix.str() + " " + s(p.connection.ip) + ":" +
           std::to_string(p.connection.port) + " " + p.connection.key + " " + p.connection.private_key + "\n";
  }
  if (const auto& e = n.exit_point) {
    if (const auto& c = e->ipv4_conf)
      o += "v4 " + s(c->cidr) + " " + s(c->gateway) + " " + std::to_string(c->metric) + " " + c->iface + " " +
           std::to_string(c->enable_nat) + "\n";
    for (const auto& d : e->ipv4_dnat)
      o += "dnat " + d.internal_ip.str() + ":" + std::to_string(d.internal_port) + " " + d.external_ip.str() + ":" +
           std::to_string(d.external_port) + " " + d.protocol + "\n";
    if (const auto& c = e->ipv6_conf)
      o += "v6 " + s(c->addr) + " " + s(c->link_local) + " " + s(c->gateway) + " " + std::to_string(c->metric) + " " +
           c->iface + "\n";
    for (const auto& a : e->ipv6_allow) o += "allow " + a.str() + "\n";
  }
  return o;
}

}  // namespace

TEST_CASE("0-OS's golden objects in msgpack from the real Go encoders read as their JSON", "[.go-encoder]") {
  const char* d = std::getenv("ZOS_GO_MSGPACK_DIR");
  REQUIRE(d);
  for (std::string name : {"three-node-exit", "ipv4-exit-alloc1"}) {
    auto text = sys::read_file(std::string(ZOS_SOURCE_DIR) + "/tests/model/golden/" + name + ".json");
    REQUIRE(text);
    std::string want = dump(model::Network::parse(json::parse(*text)));
    for (std::string v : {"v4", "v5"}) {
      INFO(name << ", encoder " << v);
      auto bytes = sys::read_file(std::string(d) + "/" + v + "-" + name + ".msgpack");
      REQUIRE(bytes);
      auto oh = zbus::unpack_value(*bytes);
      REQUIRE(nr::is_go_network(oh.get()));
      CHECK(dump(model::Network::parse(nr::go_network_json(oh.get()))) == want);
    }
  }
}
