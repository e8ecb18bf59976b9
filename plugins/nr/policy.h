// The node operator's policy for what a network object may ask of this node,
// checked against the node before anything is built (docs/security.md).
// A network object is the tenant's and is not trusted; the policy is the
// operator's: a JSON file (Node::policy_file, conflist `nodePolicy`, flag
// `--node-policy`, default /etc/zos/node.json when it exists):
//
//   {"exitLinks": ["eth1"], "exitRanges": ["203.0.113.0/24", "2001:db8:ff::/64"]}
//
// exitLinks   links of the public side an exit may put its pub-* macvlan
//             on. Default: the public side's uplink (the default-route link).
//             Never lo, a bridge port, a link of an NR (br-, veth-, wg-,
//             pub-, zv... names) or a bridge the operator did not name.
// exitRanges  the ranges exit addresses must lie in. Default: any range.
// Whatever the policy, an exit address equal to a gateway of the public side,
// an address of the node (public side or the namespace zos-nr runs in) or
// another NR's exit address is refused. Refusals are cni::Error(7) naming
// both parties.
#pragma once

#include <string>
#include <vector>

#include "common/ip/ip.h"
#include "plugins/nr/config.h"

namespace zos::nr {

struct Resource;

struct NodePolicy {
  std::vector<std::string> exit_links;  // empty: the public side's uplink
  std::vector<ip::Prefix> exit_ranges;  // empty: any
};

// The policy of `node` (defaults when its file does not exist); a file that
// exists but is not a valid policy is cni::Error(7) naming the file.
NodePolicy load_policy(const Node& node);

// Refuses (cni::Error(7)) an exit that the policy does not allow. No-op when
// the local NR is not the exit.
void check_exit_policy(const Node& node, const Resource& r);

}  // namespace zos::nr
