#include "plugins/nr/public_side.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>

#include "common/log/log.h"
#include "common/net/link.h"
#include "common/net/nl.h"
#include "common/net/route.h"
#include "common/sys/netns.h"

namespace zos::nr {

PublicSide public_side(const Node& node) {
  if (!node.public_netns.empty() && sys::netns_exists(node.public_netns))
    return {sys::open_netns(node.public_netns), node.public_netns};
  return {sys::open_current_netns(), "host"};
}

std::optional<nl::LinkInfo> default_route_link(nl::Socket& s) {
  for (int fam : {AF_INET, AF_INET6})
    for (const auto& r : nl::list_routes(s, fam, RT_TABLE_MAIN))
      if (r.is_default() && r.oif)
        if (auto l = nl::get_link_by_index(s, r.oif)) return l;
  return std::nullopt;
}

std::optional<unsigned> default_route_mtu(int nsfd) {
  return sys::in_netns(nsfd, [&]() -> std::optional<unsigned> {
    nl::Socket s;
    if (auto l = default_route_link(s)) return l->mtu;
    return std::nullopt;
  });
}

std::optional<unsigned> effective_mtu(const Node& node, bool has_mesh) {
  if (node.mtu) return node.mtu;
  if (!has_mesh) return std::nullopt;
  auto side = public_side(node);
  auto up = default_route_mtu(side.fd.get());
  if (!up) {
    spdlog::info("no default route in the {} namespace: taking 1500 as the uplink MTU", side.name);
    up = 1500;
  }
  return std::max(kMinMtu, *up > kWireGuardOverhead ? *up - kWireGuardOverhead : kMinMtu);
}

}  // namespace zos::nr
