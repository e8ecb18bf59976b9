// The NR's part of the tenant mesh: the WireGuard link wg-<n>-<a>, its peers
// (every other NR of the network) and the routes through it, and on the exit
// NR the pub-<n>-<a> link to the node's public side.
//
// Non-exit NRs route 0.0.0.0/0 and ::/0 to the exit NR's WireGuard
// addresses; the exit peer's AllowedIPs carry the defaults.
#pragma once

#include <string>
#include <vector>

#include "common/wg/wg.h"
#include "plugins/nr/config.h"

namespace zos::nr {

struct Resource;

// A WireGuard key as the object and key files write it: base64, blanks
// around it ignored. nullopt when it is not one.
std::optional<wg::Key> wg_key(const std::string& text);

// The key of wgPrivateKeyFile: a regular file (not a symlink) owned by root
// or the running user, no group/other permissions. cni::Error(7) otherwise.
wg::Key key_from_file(const std::string& path);

// True when the NR takes part in a mesh: it has a WireGuard entry of its own
// among its peers, or the node has a key file.
bool has_mesh(const Node& node, const Resource& r);

// Called by apply() with the NR namespace open, after the firewall.
void apply_mesh(const Node& node, const Resource& r, int nr_nsfd);

// What CHECK reports of the mesh: the WireGuard link missing or down in
// the NR, or no live WireGuard behind it. Empty when the NR has no mesh.
std::vector<std::string> mesh_problems(const Node& node, const Resource& r, int nr_nsfd);

// Called by remove() before the namespace is deleted.
void remove_mesh(const Node& node, const Resource& r);

}  // namespace zos::nr
