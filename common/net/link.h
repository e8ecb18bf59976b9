// Network links over rtnetlink: lookup, listing, creation of bridges and veth
// pairs, and the usual changes (up, MTU, MAC, master, namespace, name).
//
// Lookups are direct kernel requests (no cache). "Absent" is a value:
// get_link() returns nullopt, delete_link() and create_*() return false.
// Changes take the interface index (LinkInfo::index); errors name the link.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/net/nl.h"

namespace zos::nl {

struct LinkInfo {
  int index = 0;
  std::string name;
  std::string mac;       // "aa:bb:cc:dd:ee:ff", empty when the link has none
  unsigned mtu = 0;
  bool up = false;       // administratively up (IFF_UP)
  bool oper_up = false;  // operational state is UP (carrier and all)
  int master = 0;        // index of the master (bridge), 0 when none
  std::string kind;      // "bridge", "veth", "wireguard"...; empty for plain devices
};

std::optional<LinkInfo> get_link(Socket& s, const std::string& name);
std::optional<LinkInfo> get_link_by_index(Socket& s, int index);
// Every link of the socket's namespace.
std::vector<LinkInfo> list_links(Socket& s);

struct BridgeOptions {
  std::optional<unsigned> mtu;
  std::optional<std::string> mac;  // a fixed MAC, set at creation (see create_veth)
};
// Creates a bridge. Returns false when a bridge of that name exists already;
// throws NlError(EEXIST) when the name is taken by a link of another kind.
bool create_bridge(Socket& s, const std::string& name, const BridgeOptions& opts = {});

struct VethOptions {
  // MACs are set in the creating request, not changed afterwards: udev (the
  // MACAddressPolicy=persistent rule of systemd-networkd/udevd) may rewrite
  // the address of a new link right after it appears, and a later change
  // would race with it. Given at creation, the kernel marks the address as
  // set by the user (addr_assign_type) and udev leaves it alone.
  std::optional<std::string> mac;
  std::optional<std::string> peer_mac;
  std::optional<unsigned> mtu;       // both ends
  std::optional<int> peer_netns_fd;  // create the peer directly in this namespace
};
// Creates the veth pair name <-> peer (the peer in opts.peer_netns_fd if
// given). Returns false when a veth named `name` exists already; throws
// NlError(EEXIST) when `name` is another kind of link or `peer` is taken.
bool create_veth(Socket& s, const std::string& name, const std::string& peer,
                 const VethOptions& opts = {});

struct MacvlanOptions {
  std::optional<std::string> mac;  // set at creation (see VethOptions)
  std::optional<unsigned> mtu;
  // Create the link directly in this namespace (born there: no move, no
  // rename). The parent stays in the socket's namespace.
  std::optional<int> netns_fd;
};
// Creates a macvlan (bridge mode) on the link `parent_index` of the socket's
// namespace. Returns false when a macvlan `name` exists already in the
// socket's namespace; throws NlError(EEXIST) when the name is taken.
bool create_macvlan(Socket& s, const std::string& name, int parent_index, const MacvlanOptions& opts = {});

void set_up(Socket& s, int index);
void set_down(Socket& s, int index);
void set_mtu(Socket& s, int index, unsigned mtu);
// Prefer VethOptions/BridgeOptions MACs for new links (udev race).
void set_mac(Socket& s, int index, const std::string& mac);
void set_master(Socket& s, int index, int master_index);
// Both in one request (the kernel sets the master before the flags).
void set_master_up(Socket& s, int index, int master_index);
void set_nomaster(Socket& s, int index);
// Moves the link to the namespace `nsfd`; its index may differ there.
void set_netns(Socket& s, int index, int nsfd);
// Renames the link (older kernels refuse while it is up: EBUSY).
void rename_link(Socket& s, int index, const std::string& new_name);

// Deletes the link (a veth takes its peer along). False when it is absent.
bool delete_link(Socket& s, const std::string& name);

}  // namespace zos::nl
