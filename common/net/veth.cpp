#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "common/net/link.h"
#include "common/net/link_internal.h"

namespace zos::nl {

bool create_veth(Socket& s, const std::string& name, const std::string& peer, const VethOptions& opts) {
  const std::string what = "add veth " + name + " (peer " + peer + ")";
  LinkPtr l(rtnl_link_veth_alloc());
  if (!l) throw NlError(NLE_NOMEM, ENOMEM, what);
  LinkPtr p(rtnl_link_veth_get_peer(l.get()));  // takes a reference
  rtnl_link_set_name(l.get(), name.c_str());
  rtnl_link_set_name(p.get(), peer.c_str());
  if (opts.mtu) {
    rtnl_link_set_mtu(l.get(), *opts.mtu);
    rtnl_link_set_mtu(p.get(), *opts.mtu);
  }
  NlAddrPtr mac, peer_mac;
  if (opts.mac) {
    mac = parse_mac(*opts.mac);
    rtnl_link_set_addr(l.get(), mac.get());
  }
  if (opts.peer_mac) {
    peer_mac = parse_mac(*opts.peer_mac);
    rtnl_link_set_addr(p.get(), peer_mac.get());
  }
  if (opts.peer_netns_fd) rtnl_link_set_ns_fd(p.get(), *opts.peer_netns_fd);
  return detail::add_new_link(s, l.get(), name, "veth", what);
}

}  // namespace zos::nl
