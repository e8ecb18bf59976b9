// The network's exit_point block, and the exit's public IPv6 where 0-OS's
// builder leaves it to be derived (network.h: derive_exit_v6).
#include "common/cni/error.h"
#include "model/fields.h"
#include "model/network.h"

namespace zos::model {

using nlohmann::json;
using field::bad;

namespace {

Ipv4Dnat parse_dnat(const json& j, const std::string& dw) {
  Ipv4Dnat d;
  auto in = field::addr(j, "internal_ip", dw), ex = field::addr(j, "external_ip", dw);
  if (!in) bad(dw + ".internal_ip", "is required");
  d.internal_ip = *in;
  // 0-OS's DNAT encoder writes InternalIP in external_ip too (a slip in its
  // MarshalJSON): a tenant address is never the exit's, so that is "any".
  if (ex && *ex != *in) d.external_ip = *ex;
  d.internal_port = field::port(j, "internal_port", dw);
  d.external_port = field::port(j, "external_port", dw);
  d.protocol = field::str(j, "protocol", dw);
  if (d.protocol.empty()) d.protocol = "tcp";
  if (d.protocol != "tcp" && d.protocol != "udp") bad(dw + ".protocol", "must be \"tcp\" or \"udp\"");
  return d;
}

bool link_local(const ip::Prefix& p) { return p.addr().is_v6() && p.addr()[0] == 0xfe && (p.addr()[1] & 0xc0) == 0x80; }

}  // namespace

ExitPoint parse_exit(const json& e) {
  ExitPoint x;
  const std::string w = "exit_point";
  if (const json* c = field::get(e, "ipv4_conf", w)) {
    std::string cw = w + ".ipv4_conf";
    Ipv4Conf v;
    // "cidr" (0-OS's encoder), "cird" (the tag of its struct, the msgpack era).
    v.cidr = field::get(*c, "cidr", cw) ? field::prefix(*c, "cidr", cw) : field::prefix(*c, "cird", cw);
    v.gateway = field::addr(*c, "gateway", cw);
    v.metric = static_cast<uint32_t>(field::num(*c, "metric", cw));
    v.iface = field::str(*c, "iface", cw);
    v.enable_nat = field::boolish(*c, "enable_nat", cw);
    x.ipv4_conf = v;
  }
  const json& dnat = field::list(e, "ipv4_dnat", w);
  for (size_t i = 0; i < dnat.size(); ++i)
    x.ipv4_dnat.push_back(parse_dnat(dnat[i], w + ".ipv4_dnat[" + std::to_string(i) + "]"));
  if (const json* c = field::get(e, "ipv6_conf", w)) {
    std::string cw = w + ".ipv6_conf";
    Ipv6Conf v;
    v.addr = field::prefix(*c, "addr", cw);
    v.gateway = field::addr(*c, "gateway", cw);
    v.metric = static_cast<uint32_t>(field::num(*c, "metric", cw));
    v.iface = field::str(*c, "iface", cw);
    x.ipv6_conf = v;
  }
  const json& allow = field::list(e, "ipv6_allow", w);
  for (size_t i = 0; i < allow.size(); ++i) {
    auto a = allow[i].is_string() ? ip::Addr::parse(allow[i].get<std::string>()) : std::nullopt;
    if (!a) bad(w + ".ipv6_allow[" + std::to_string(i) + "]", "is not an IP address");
    x.ipv6_allow.push_back(*a);
  }
  return x;
}

void derive_exit_v6(Network& n) {
  if (!n.exit_point || !n.exit_point->ipv6_conf || !n.exit_point->ipv6_conf->addr) return;
  auto& v6 = *n.exit_point->ipv6_conf;
  if (!link_local(*v6.addr)) return;
  const NetResource* ex = n.exit_resource();
  if (!ex) return;  // nobody is the exit: nothing is built from it
  const std::string given = "exit_point.ipv6_conf.addr " + v6.addr->str() +
                            " is link-local (as 0-OS's builder writes it), so the exit's public IPv6 is derived "
                            "from prefix_zero and the exit NR's exit node number (0-OS: prefix_zero[0:48]:0:"
                            "<nr>000::1/64), but ";
  const std::string or_global = ", or give exit_point.ipv6_conf.addr the exit's global address";
  if (!n.prefix_zero || !n.prefix_zero->addr().is_v6())
    bad("prefix_zero", std::string(n.prefix_zero ? "is not IPv6" : "is missing") + ": " + given +
                           "the network has no IPv6 prefix_zero: set it (the /64 of the farm's uplink)" + or_global);
  if (ex->exit_nr < 1 || ex->exit_nr > 15) {
    std::string i;
    for (size_t k = 0; k < n.resources.size(); ++k)
      if (&n.resources[k] == ex) i = std::to_string(k);
    bad("resources[" + i + "].exit_point", "is " + (ex->exit_nr ? std::to_string(ex->exit_nr) : std::string("not a number")) +
                                               ": " + given + "0-OS keeps that number in 4 bits: write 1 to 15" + or_global);
  }
  // GWPubIP6 and GWPubLL of 0-OS's modules/network/ip/nibble.go.
  std::array<uint8_t, 16> b{};
  for (int k = 0; k < 6; ++k) b[k] = n.prefix_zero->addr()[k];
  b[8] = static_cast<uint8_t>(ex->exit_nr << 4);
  b[15] = 1;
  std::array<uint8_t, 16> ll{};
  ll[0] = 0xfe;
  ll[1] = 0x80;
  ll[8] = b[8];
  ll[15] = 1;
  v6.addr = ip::Prefix(ip::Addr::v6(b), 64);
  v6.link_local = ip::Prefix(ip::Addr::v6(ll), 64);
}

}  // namespace zos::model
