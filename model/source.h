// Where a network config's network object comes from: `network` (inline),
// `networkFile`, or `networksDir` with the network chosen per container by
// CNI_ARGS ZOS_NETWORK=<network_id> or, under Kubernetes (containerd's CRI
// sends K8S_POD_NAMESPACE; a pod cannot set CNI_ARGS), by the pod's
// namespace through the operator's `podNamespaces` map
// ({"<namespace>": "<network_id>"}) and/or `podNamespaceAsNetwork` (a
// namespace not in the map selects the network of the same name).
#pragma once

#include <nlohmann/json.hpp>

#include "common/cni/env.h"
#include "model/network.h"

namespace zos::model {

// Reads the source keys of `conf` (cni::Error(7) when malformed). With
// `select`, also picks the network of a networksDir for this container:
// cni::Error(7) when a pod namespace has no network, (4) when ZOS_NETWORK
// contradicts the pod namespace's. DEL and GC pass select=false: they never
// read the network object, and must work whatever the arguments.
NetworkSource network_source(const nlohmann::json& conf, const cni::Args& args, bool select);

}  // namespace zos::model
