// The NR's WireGuard private key, from (in this order):
//   wgPrivateKeyFile      base64; mode 0600 or 0400, root's or the running user's, never a symlink
//   the private_key of the NR's own peer entry:
//     base64              the key itself
//     hex                 a NaCl sealed box to the node's identity key, as
//                         0-OS's builder writes it (modules/tno, sealing
//                         the key's base64 text): opened in memory with the
//                         seed of identityKeyFile / --identity-file; the
//                         plaintext never touches disk.
//     empty               <wgKeyDir>/<network_id>.key when it exists (the
//                         same rules as wgPrivateKeyFile)
#pragma once

#include <optional>
#include <string>

#include "common/crypto/sealed.h"
#include "common/wg/wg.h"
#include "plugins/nr/config.h"

namespace zos::nr {

struct Resource;

// A node's identity as 0-OS's identityd keeps it (modules/identity): the
// ed25519 seed in a file that is the JSON string "1.0.0" followed by the 32
// raw seed bytes (or, from before versions, the 32 bytes alone). The file
// must be a regular file of mode 0600 (or 0400, as identityd writes it),
// owned by root; a symlink is refused.
struct Identity {
  crypto::Seed seed{};
  std::string id;  // base58 of the ed25519 public key: the 0-OS node id
  std::string path;
  Identity() = default;
  Identity(const Identity&) = delete;
  Identity& operator=(const Identity&) = delete;
  ~Identity() { crypto::wipe(seed.data(), seed.size()); }
};

// cni::Error(7) naming the file and what is wrong with it.
void load_identity(const std::string& path, Identity& out);

// The private key file of network `network_id` in a wgKeyDir (keys made on
// the node by zos-agent, docs/fleet.md).
std::string key_path(const std::string& key_dir, const std::string& network_id);

// A base64 WireGuard key, surrounding whitespace ignored.
std::optional<wg::Key> key_from_text(const std::string& s);

// The NR's own entry among its peers (the one with its prefix), or nullptr.
const model::Peer* own_peer(const Resource& r);

// The key of the NR, or nullopt when the NR has no entry of its own among
// its peers and there is no key file (no mesh). cni::Error(7) when a key is
// there but unusable; a box sealed to another node names this node's
// identity.
std::optional<wg::Key> own_private_key(const Node& node, const Resource& r);

}  // namespace zos::nr
