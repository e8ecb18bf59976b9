// Keys that never leave their node: the agent makes a network's WireGuard
// private key on the node when the object carries none (0600 under the key
// folder, the same file zos-nr reads through wgKeyDir), publishes only its
// public key, and fills the peers' empty keys from the keys the other nodes
// published. docs/fleet.md, "Lifecycle of a key".
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/wg/wg.h"
#include "model/network.h"

namespace zos::agent {

// True when this node's entry among its own peers has no private key: the
// key is the node's to make (unless a key file is configured).
bool needs_local_key(const model::Network& net, const std::string& node_id);

// The public key of <dir>/<network_id>.key, made first (0600) when absent.
wg::Key ensure_key(const std::string& dir, const std::string& network_id);
// Replaces the key of <dir>/<network_id>.key by a new one (atomic: the
// file holds the old or the new key); the new public key.
wg::Key rotate_key(const std::string& dir, const std::string& network_id);
// Removes the network's key file; false when there was none.
bool drop_key(const std::string& dir, const std::string& network_id);

// The object as this node applies it: the node's own entry gets
// `own_public` as its key (when given), every peer entry of the node's
// resource with an empty key gets the key its node published
// (`published`: node id -> base64 public key), and peers still without a
// key are left out, their prefixes in `waiting`. Only public keys are ever
// written into it.
nlohmann::json resolve_keys(const nlohmann::json& raw, const model::Network& net, const std::string& node_id,
                            const std::optional<wg::Key>& own_public,
                            const std::map<std::string, std::string>& published, std::vector<std::string>& waiting);

}  // namespace zos::agent
