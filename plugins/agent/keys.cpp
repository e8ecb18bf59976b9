#include "plugins/agent/keys.h"

#include <algorithm>
#include <cctype>

#include "common/sys/file.h"
#include "plugins/nr/keys.h"

namespace zos::agent {

using nlohmann::json;

namespace {

bool same_prefix(const ip::Prefix& a, const ip::Prefix& b) { return a.network().str() == b.network().str(); }

// A member of a JSON object as Go's decoder finds it: the exact name, else
// one that differs only in case ("Connection", "Key").
json* member(json& obj, const std::string& name) {
  if (!obj.is_object()) return nullptr;
  if (auto it = obj.find(name); it != obj.end()) return &*it;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& k = it.key();
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return &*it;
  }
  return nullptr;
}

std::string text_of(const json* j) { return j && j->is_string() ? j->get<std::string>() : ""; }

}  // namespace

bool needs_local_key(const model::Network& net, const std::string& node_id) {
  const auto* nr = net.resource_of(node_id);
  if (!nr) return false;
  for (const auto& p : nr->peers)
    if (same_prefix(p.prefix, nr->prefix)) return p.connection.private_key.empty();
  return false;
}

wg::Key ensure_key(const std::string& dir, const std::string& network_id) {
  std::string path = nr::key_path(dir, network_id);
  if (auto text = sys::read_file(path)) {
    std::string t = *text;
    t.erase(std::remove_if(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c); }), t.end());
    if (auto k = wg::key_from_base64(t)) return wg::public_key_of(*k);
    throw std::runtime_error("key file " + path + " does not hold a base64 WireGuard key: remove it to make a new one");
  }
  sys::make_dirs(dir, 0700);
  wg::Key priv = wg::generate_private_key();
  // O_EXCL publication: two agents (or a restart racing an old one) agree on one key.
  if (!sys::create_file_exclusive(path, wg::key_to_base64(priv) + "\n", 0600)) return ensure_key(dir, network_id);
  return wg::public_key_of(priv);
}

wg::Key rotate_key(const std::string& dir, const std::string& network_id) {
  sys::make_dirs(dir, 0700);
  wg::Key priv = wg::generate_private_key();
  sys::write_file_atomic(nr::key_path(dir, network_id), wg::key_to_base64(priv) + "\n", 0600);
  return wg::public_key_of(priv);
}

bool drop_key(const std::string& dir, const std::string& network_id) {
  return sys::remove_if_exists(nr::key_path(dir, network_id));
}

json resolve_keys(const json& raw, const model::Network& net, const std::string& node_id,
                  const std::optional<wg::Key>& own_public, const std::map<std::string, std::string>& published,
                  std::vector<std::string>& waiting) {
  json out = raw;
  json* res = member(out, "resources");
  const auto* mine = net.resource_of(node_id);
  if (!res || !res->is_array() || !mine) return out;
  size_t ri = size_t(mine - net.resources.data());
  json* peers = member((*res)[ri], "peers");
  if (!peers || !peers->is_array()) return out;
  // The parsed peers are the JSON's, in order: semantics from the model,
  // edits on the document.
  for (size_t k = mine->peers.size(); k-- > 0;) {
    const auto& p = mine->peers[k];
    json& entry = (*peers)[k];
    json* conn = member(entry, "connection");
    if (!conn) conn = &(entry["connection"] = json::object());
    json* key = member(*conn, "key");
    if (same_prefix(p.prefix, mine->prefix)) {
      if (own_public && text_of(key).empty()) {
        if (key) *key = wg::key_to_base64(*own_public);
        else (*conn)["key"] = wg::key_to_base64(*own_public);
      }
      continue;
    }
    if (!text_of(key).empty()) continue;
    const model::NetResource* owner = nullptr;
    for (const auto& r : net.resources)
      if (same_prefix(r.prefix, p.prefix)) owner = &r;
    auto it = owner ? published.find(owner->node_id.id) : published.end();
    if (it != published.end() && wg::key_from_base64(it->second)) {
      if (key) *key = it->second;
      else (*conn)["key"] = it->second;
    } else {
      waiting.push_back(p.prefix.str());
      peers->erase(k);
    }
  }
  return out;
}

}  // namespace zos::agent
