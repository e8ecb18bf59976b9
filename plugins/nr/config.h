// zos-nr's configuration (one conflist entry) and the node context that the
// CNI verbs and the management subcommands share.
#pragma once

#include "model/paths.h"
#include <optional>
#include <string>

#include "common/cni/plugin.h"
#include "common/sys/flags.h"
#include "model/network.h"

namespace zos::nr {

using model::kDefaultDataDir;
// The namespace of the node's public side (made by `zos-bootstrap public` on
// exit nodes); used when it exists, else the namespace zos-nr runs in.
inline constexpr const char* kDefaultPublicNetns = "public";
// The operator's node policy (policy.h); read when it exists.
inline constexpr const char* kDefaultPolicyFile = "/etc/zos/node.json";

// What every NR operation needs to know about this node.
struct Node {
  std::string id;         // nodeId: finds the local NR in the network object
  std::string data_dir;   // the module's home
  std::string key_file;   // wgPrivateKeyFile ("" = the object's private_key)
  std::string cni_path;   // where helpers (zos-nft) may also be found
  std::optional<unsigned> mtu;  // container/NR link MTU; unset: uplink MTU - 80 with a mesh
  std::string public_netns = kDefaultPublicNetns;  // where WireGuard UDP and pub-* live
  // identityKeyFile: the node's ed25519 seed as 0-OS's identityd keeps it,
  // which opens a private_key sealed to the node (plugins/nr/keys.h).
  std::string identity_file;
  std::string policy_file = kDefaultPolicyFile;    // nodePolicy / --node-policy (policy.h)
  // wgKeyDir: per-network private keys <key_dir>/<network_id>.key (0600),
  // used when neither key_file nor the object's own entry has one (keys
  // made on the node by zos-agent; docs/fleet.md).
  std::string key_dir;
};

struct Config {
  std::string name;  // the network config's name
  Node node;
  model::NetworkSource source;
  std::string ipam_type;
  cni::DNS dns;
};

// Reads the config; cni::Error(7) naming what is wrong. Does not load the
// network object (DEL must work without it).
Config parse_config(const cni::Request& req);

// The node's flags as `zos-nr apply/delete/...` and `zos-nr serve` take
// them (--node, --data-dir, --key-file, --identity-file, --public-namespace,
// --node-policy), bound to `node`, whose data dir starts as $ZOS_DATA_DIR
// or the default. Returns `f` for more flags.
sys::Flags& node_flags(sys::Flags& f, Node& node);

}  // namespace zos::nr
