// The NR's kernel objects, made (or converged) and removed: its
// namespace, bridge, router veth, the bridge guard and the NR's tables,
// then the mesh and the exit (plugins/nr/mesh, exit). Callers hold the
// NR's exclusive lock (resource.cpp).
#pragma once

#include "plugins/nr/config.h"
#include "plugins/nr/resource.h"

namespace zos::nr {

// Builds what is missing and converges what differs; throws cni::Error
// and leaves what it made for the caller's undo (teardown).
void build(const Node& node, const Resource& r);
// The NR's kernel objects: WireGuard, router veth, bridge, namespace (and
// the exit link in it).
void teardown(const Node& node, const Resource& r);

}  // namespace zos::nr
