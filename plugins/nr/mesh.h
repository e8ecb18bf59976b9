// The NR's part of the tenant mesh: the WireGuard link wg-<n>-<a>, its peers
// (every other NR of the network) and the routes through it, and on the exit
// NR the pub-<n>-<a> link to the node's public side.
//
// Non-exit NRs route 0.0.0.0/0 and ::/0 to the exit NR's WireGuard
// addresses; the exit peer's AllowedIPs carry the defaults.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/wg/wg.h"
#include "plugins/nr/config.h"

namespace zos::nr {

struct Resource;

// True when the NR takes part in a mesh: it has a WireGuard entry of its own
// among its peers, or the node has a key file.
bool has_mesh(const Node& node, const Resource& r);

// Called by apply() with the NR namespace open, after the firewall; `key`
// is own_private_key() (keys.h), read before anything was built.
void apply_mesh(const Node& node, const Resource& r, const std::optional<wg::Key>& key, int nr_nsfd);

// What CHECK reports of the mesh: the WireGuard link missing or down in
// the NR, or no live WireGuard behind it. Empty when the NR has no mesh.
std::vector<std::string> mesh_problems(const Node& node, const Resource& r, int nr_nsfd);

// The NR's WireGuard device as it runs (public key, listen port, peers and
// their last handshakes); none when the NR has no mesh or no live link.
std::optional<wg::DeviceState> mesh_state(const Node& node, const Resource& r);

// Called by remove() before the namespace is deleted.
void remove_mesh(const Node& node, const Resource& r);

}  // namespace zos::nr
