// A network resource (NR) on this node: apply (create or converge), check,
// remove. The steps, in order, each idempotent:
//   1. owner record  (names of one network never silently merge with another's)
//   2. NR namespace  net-<n>-<a>, loopback up, forwarding on
//   3. host bridge   br-<n>-<a>, L2 only (no addresses, IPv6 off)
//   4. router veth   veth-<n>-<a> (same name on both ends): bridge port on the
//                    host side, 10.a.b.1/24 and prefix::1/64 in the NR
//   5. firewall      nftables tables in the NR (firewall.h)
//   6. mesh          WireGuard link, peers and routes (mesh.h)
//   7. exit          pub link, addresses, default routes (exit.h)
//   8. state         the applied object and version under dataDir
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/net/link.h"
#include "common/net/nl.h"
#include "common/sys/file.h"
#include "plugins/nr/config.h"
#include "model/network.h"
#include "model/plan.h"

namespace zos::nr {

// Plugin error codes (docs/errors.md).
enum Code : int {
  kCheckFailed = 110,   // CHECK found something missing or different
  kNameClash = 111,     // two networks would use the same NR names on this node
  kStaleVersion = 112,  // the object is older than the one applied
  kNoResource = 113,    // the network has no resource for this node
};

struct Resource {
  model::Network net;
  model::NetResource nr;
  model::Plan plan;
};

// The local NR of `net` on node `node_id`; cni::Error(113) when it has none.
Resource resolve(const model::Network& net, const std::string& node_id);
Resource resolve(model::Network&& net, const std::string& node_id);

enum class ApplyMode {
  kFast,      // CNI ADD: skip when this version is applied and the NR is intact
  kConverge,  // management apply: check and complete every step
};

// What an apply decided: the NR as it now is on the node, and the MTU of
// its links (unset: the kernel's default), which container interfaces
// must take too.
struct ApplyResult {
  Resource resource;
  std::optional<unsigned> mtu;
};

// Makes sure the NR of `net` exists and is current.
// The object is validated first (validate.h: cni::Error(7), nothing
// changed). A lower version than the applied one is refused (112); equal is
// a no-op in kFast mode when the namespace, bridge and router veth are there
// and the WireGuard link answers. An apply that fails on a node where
// nothing of the NR existed removes what it built.
ApplyResult apply(const Node& node, model::Network net, ApplyMode mode);  // by value: a temporary is moved

// An NR a container may join now: the apply's result, with the NR's lock
// still held so that no DeleteNetResource (nor an apply) runs until the
// attach is done and the lock dropped.
struct Joined : ApplyResult {
  sys::FileLock lock;  // shared when the NR was current, exclusive when this call built it
  nl::Socket host;     // the node's netlink socket that checked (or built) it, for the attach
  // The NR's bridge as the check found it (held by the lock as the rest);
  // nullopt when this call built the NR.
  std::optional<nl::LinkInfo> bridge;
};

// CNI ADD: apply() in kFast mode, except that an object older than the
// version applied on the node (the runtime's copy lagging behind an apply)
// is served by the applied one (Joined::resource is then that one's NR).
// The check of a current NR runs under the shared lock (ADDs in parallel);
// only a build takes the exclusive one, which is then kept (flock cannot
// turn it into a shared one atomically).
Joined apply_for_attach(const Node& node, const model::Network& net);

// DeleteNetResource: namespace (and all in it), bridge, router veth, the
// attached containers' host veths, leases and state. Safe to repeat.
// An object older than the applied one is refused (112) unless `force`.
void remove(const Node& node, const model::Network& net, bool force = false);

// What is wrong with the NR (empty when nothing is).
std::vector<std::string> problems(const Node& node, const Resource& r);

// A step's part of problems(), for a link of its own in the NR namespace
// `nr_nsfd`: the link `name` must be there ("<what> link <name> is missing
// in <netns>", and nothing more is looked at) and up ("… is down in
// <netns>"); then `more`, in the namespace, looks at what is on it.
void link_problems(int nr_nsfd, const Resource& r, const std::string& what, const std::string& name,
                   std::vector<std::string>& out,
                   const std::function<void(nl::Socket& s, const nl::LinkInfo& l)>& more);

}  // namespace zos::nr
