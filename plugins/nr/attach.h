// A container's attachment to its NR: a veth pair from the container's
// namespace to the NR bridge, addresses from IPAM, routes via the NR router.
#pragma once

#include <array>
#include <string>

#include "common/cni/plugin.h"
#include "plugins/nr/config.h"
#include "plugins/nr/resource.h"

namespace zos::nr {

// The host end's name, from container id and ifname alone (so DEL finds it
// without the container's namespace): "zv" + 12 hex digits of a hash.
std::string host_veth_name(const std::string& container_id, const std::string& ifname);
// A stable, locally administered MAC for the container end, from the same
// pair: an EUI-64 IPv6 survives re-creation of the container.
std::array<uint8_t, 6> stable_mac(const std::string& container_id, const std::string& ifname);

// Into the NR apply_for_attach() joined (its lock held): its resource, the
// MTU the container's veth takes, its node socket and the bridge it saw.
cni::Result attach(const cni::Request& req, const Config& cfg, Joined& nr);
void detach(const cni::Request& req, const Config& cfg);
void check_attachment(const cni::Request& req, const Config& cfg, const Resource& r);
void gc(const cni::Request& req, const Config& cfg);

}  // namespace zos::nr
