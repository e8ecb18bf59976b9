#include "plugins/nr/mesh.h"

#include "common/log/log.h"
#include "plugins/nr/resource.h"

namespace zos::nr {

void apply_mesh(const Node&, const Resource& r, int) {
  if (!r.nr.peers.empty() || r.nr.exit_point)
    spdlog::info("network {}: WireGuard peers and the exit point are not applied by this build", r.net.network_id);
}

void remove_mesh(const Node&, const Resource&) {}

}  // namespace zos::nr
