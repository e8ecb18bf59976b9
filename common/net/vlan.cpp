#include "common/net/vlan.h"

#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>

#include <cerrno>

#include "common/net/link.h"
#include "common/net/link_internal.h"

namespace zos::nl {

bool create_vlan(Socket& s, const std::string& name, int parent_index, int vlan_id) {
  const std::string what =
      "add vlan " + name + " (id " + std::to_string(vlan_id) + ") on link " + std::to_string(parent_index);
  LinkPtr l(rtnl_link_vlan_alloc());
  if (!l) throw NlError(NLE_NOMEM, ENOMEM, what);
  rtnl_link_set_name(l.get(), name.c_str());
  rtnl_link_set_link(l.get(), parent_index);
  s.check(rtnl_link_vlan_set_id(l.get(), static_cast<uint16_t>(vlan_id)), what);
  return detail::add_new_link(s, l.get(), name, "vlan", what);
}

std::optional<VlanInfo> vlan_info(Socket& s, int index) {
  rtnl_link* raw = nullptr;
  int rc = s.check_or(rtnl_link_get_kernel(s.get(), index, nullptr, &raw), "get link " + std::to_string(index),
                      {ENODEV});
  LinkPtr l(raw);
  if (rc < 0 || !l || !rtnl_link_is_vlan(l.get())) return std::nullopt;
  return VlanInfo{rtnl_link_vlan_get_id(l.get()), rtnl_link_get_link(l.get())};
}

}  // namespace zos::nl
