// The network object checked in itself before apply() changes anything on
// the node: every field zos-nr would otherwise trip over half-way through a
// build (a bad key, a duplicate peer, an exit address of the wrong family)
// is a cni::Error(7) naming the field, raised while nothing exists yet.
// What the node itself allows (links, addresses of the node and other NRs)
// is the node policy's business, not this file's.
#pragma once

#include "plugins/nr/config.h"
#include "model/network.h"

namespace zos::nr {

// Throws cni::Error(7) for the first problem of `net` as the NR of
// `node.id` would use it.
void validate(const Node& node, const model::Network& net, const model::NetResource& own);

}  // namespace zos::nr
