#include <linux/if_link.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>

#include "common/net/link.h"
#include "common/net/link_internal.h"

namespace zos::nl {

bool create_macvlan(Socket& s, const std::string& name, int parent_index, const MacvlanOptions& opts) {
  const std::string what = "add macvlan " + name + " on link " + std::to_string(parent_index);
  LinkPtr l(rtnl_link_macvlan_alloc());
  if (!l) throw NlError(NLE_NOMEM, ENOMEM, what);
  rtnl_link_set_name(l.get(), name.c_str());
  rtnl_link_set_link(l.get(), parent_index);
  rtnl_link_macvlan_set_mode(l.get(), MACVLAN_MODE_BRIDGE);
  if (opts.mtu) rtnl_link_set_mtu(l.get(), *opts.mtu);
  NlAddrPtr mac;
  if (opts.mac) {
    mac = parse_mac(*opts.mac);
    rtnl_link_set_addr(l.get(), mac.get());
  }
  if (opts.netns_fd) rtnl_link_set_ns_fd(l.get(), *opts.netns_fd);
  return detail::add_new_link(s, l.get(), name, "macvlan", what);
}

}  // namespace zos::nl
