#include "plugins/nr/keys.h"

#include <unistd.h>

#include "common/cni/error.h"
#include "common/sys/secret.h"
#include "plugins/nr/resource.h"

namespace zos::nr {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

[[noreturn]] void invalid(const std::string& msg) { throw cni::Error(cni::kInvalidConfig, msg); }

// A secret's bytes, wiped when the scope ends.
struct Secret {
  std::string data;
  ~Secret() { crypto::wipe(data.data(), data.size()); }
};

// The key of wgPrivateKeyFile: opened once, never through a symlink, and
// judged on the open descriptor: a regular file of mode 0600 or 0400 owned by root
// or the user zos-nr runs as (nobody else reads a private key).
wg::Key key_from_file(const std::string& path, const std::string& what = "wgPrivateKeyFile") {
  Secret s;
  try {
    s.data = sys::read_secret_file(path, {.owner_root_or_self = true, .allow_read_only = true});
  } catch (const std::runtime_error& e) {
    invalid(what + " " + e.what());
  }
  auto k = key_from_text(s.data);
  if (!k) invalid(what + " " + path + " does not hold a base64 WireGuard key");
  return *k;
}

bool is_hex(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos; }

// Splits identityd's seed file: "1.0.0" then the raw seed (Go's versioned
// reader: a JSON string, whitespace before it allowed); anything that does
// not start with a quoted version is an unversioned seed.
std::string_view seed_of(std::string_view data, const std::string& path) {
  size_t i = data.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || data[i] != '"') return data;
  size_t end = data.find('"', i + 1);
  if (end == std::string_view::npos) return data;
  std::string_view version = data.substr(i + 1, end - i - 1);
  if (version.empty() || version.find_first_not_of("0123456789.-+abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
                             std::string_view::npos || (version[0] < '0' || version[0] > '9'))
    return data;  // not a version: Go treats the file as unversioned too
  if (version != "1.0.0")
    invalid("identityKeyFile " + path + " holds a seed of version \"" + std::string(version) +
            "\"; 0-OS's identityd writes \"1.0.0\"");
  return data.substr(end + 1);
}

}  // namespace

std::string key_path(const std::string& key_dir, const std::string& network_id) {
  return key_dir + "/" + network_id + ".key";
}

std::optional<wg::Key> key_from_text(const std::string& s) {
  // A view of the trimmed text, not a copy (twice per peer on every apply).
  std::string_view v(s);
  const auto b = v.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return wg::key_from_base64("");
  return wg::key_from_base64(v.substr(b, v.find_last_not_of(" \t\r\n") - b + 1));
}

void load_identity(const std::string& path, Identity& out) {
  Secret s;
  try {
    s.data = sys::read_secret_file(path, {.owner_root = true, .allow_read_only = true});
  } catch (const std::runtime_error& e) {
    invalid(std::string("identityKeyFile ") + e.what());
  }
  std::string_view seed = seed_of(s.data, path);
  if (seed.size() != out.seed.size())
    invalid("identityKeyFile " + path + " holds " + std::to_string(seed.size()) +
            " seed bytes, not 32: it must be an ed25519 seed as 0-OS's identityd writes it (\"1.0.0\" + 32 bytes)");
  std::copy(seed.begin(), seed.end(), out.seed.begin());
  auto pk = crypto::public_key_of(out.seed);
  out.id = crypto::base58(pk.data(), pk.size());
  out.path = path;
}

const model::Peer* own_peer(const Resource& r) {
  for (const auto& p : r.nr.peers)
    if (p.prefix.network() == r.nr.prefix.network()) return &p;
  return nullptr;
}

std::optional<wg::Key> own_private_key(const Node& node, const Resource& r) {
  if (!node.key_file.empty()) return key_from_file(node.key_file);
  const model::Peer* own = own_peer(r);
  if (!own) return std::nullopt;
  const std::string where = "network " + r.net.network_id + ": the private_key of peer " + own->prefix.str();
  std::string text = trim(own->connection.private_key);
  if (text.empty() && !node.key_dir.empty()) {
    std::string path = key_path(node.key_dir, r.net.network_id);
    if (::access(path.c_str(), F_OK) == 0) return key_from_file(path, "the wgKeyDir key");
  }
  if (text.empty())
    invalid("network " + r.net.network_id + ": the peer entry of " + r.nr.prefix.str() +
            " has no private_key: set it, wgPrivateKeyFile or wgKeyDir in the config");
  if (auto k = wg::key_from_base64(text)) return k;
  if (!is_hex(text))
    invalid(where + " is neither a base64 WireGuard key nor hex of a sealed box");
  if (node.identity_file.empty())
    invalid(where + " is sealed to the node's identity (0-OS's form): set identityKeyFile (zos-nr --identity-file) "
                    "to the node's seed file, e.g. /var/cache/modules/identityd/seed.txt");
  auto box = crypto::from_hex(text);
  if (!box) invalid(where + " is not valid hex (odd length)");
  Identity id;
  load_identity(node.identity_file, id);
  auto plain = crypto::open_sealed(*box, id.seed);
  if (!plain)
    invalid(where + " was not sealed to this node's identity " + id.id + " (" + id.path +
            "): it is another node's, or damaged; seal it to " + id.id);
  Secret p{std::move(*plain)};
  auto k = key_from_text(p.data);
  if (!k) invalid(where + " opens with identity " + id.id + " but does not hold a base64 WireGuard key");
  return k;
}

}  // namespace zos::nr
