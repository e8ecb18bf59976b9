// A node whose public namespace leads to an "Internet" namespace, for the
// exit and isolation tests:
//   <node>-pub: inet0 203.0.113.2/24, 2001:db8:ff::2/64, default routes via
//               .1 / ::1 (the uplink of the public side)
//   <tag>-inet: wan0 203.0.113.1, 2001:db8:ff::1; routes 2a02:1802:5e::/48
//               to 2001:db8:ff::10 (the first exit's IPv6), not 10/8
#pragma once

#include <string>

#include "nr/nr_support.h"
#include "nr/probe.h"

namespace zos::test::nr {

// An exit_point: IPv4 `v4` (and IPv6 `v6`) on `iface` ("" = none named),
// gateways 203.0.113.1 / 2001:db8:ff::1, NAT on.
json exit_point(const std::string& v4, const std::string& v6 = "", const std::string& iface = "inet0");

// A one-node network whose NR (nibble n) is the exit.
json exit_network(const std::string& id, int n, const json& ep, uint64_t version = 1);

bool netns_exists(const std::string& name);

// Removes the bridge guard (a first layer) from the node, to show the next
// layer holds alone; `zos-nr apply` puts it back.
void drop_bridge_guard(const Node& n);

struct ExitWorld {
  Node node;
  Netns inet_ns;  // the Internet
  std::string inet, inet_path;
  explicit ExitWorld(const std::string& tag, const std::string& node_id = kNodeId);
  // CNI ADD of a container to the network in `file`.
  Exec add(const std::string& file, const std::string& id, const std::string& netns) const;
};

}  // namespace zos::test::nr
