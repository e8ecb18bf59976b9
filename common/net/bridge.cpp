#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>

#include "common/net/link.h"
#include "common/net/link_internal.h"

namespace zos::nl {

bool create_bridge(Socket& s, const std::string& name, const BridgeOptions& opts) {
  const std::string what = "add bridge " + name;
  LinkPtr l(rtnl_link_bridge_alloc());
  if (!l) throw NlError(NLE_NOMEM, ENOMEM, what);
  rtnl_link_set_name(l.get(), name.c_str());
  if (opts.mtu) rtnl_link_set_mtu(l.get(), *opts.mtu);
  NlAddrPtr mac;
  if (opts.mac) {
    mac = parse_mac(*opts.mac);
    rtnl_link_set_addr(l.get(), mac.get());
  }
  return detail::add_new_link(s, l.get(), name, "bridge", what);
}

}  // namespace zos::nl
