#include "nr/mesh_world.h"

namespace zos::test::nr {

std::string key64(const zos::wg::Key& k) { return zos::wg::key_to_base64(k); }
std::string pub64(const zos::wg::Key& k) { return zos::wg::key_to_base64(zos::wg::public_key_of(k)); }

json wg_peer(int n, const std::string& ip, int port, const zos::wg::Key& priv, bool own) {
  json c = {{"port", port}, {"key", pub64(priv)}};
  if (!ip.empty()) c["ip"] = ip;
  if (own) c["private_key"] = key64(priv);
  return {{"type", 0}, {"prefix", prefix(n)}, {"connection", c}};
}

json network_of(const std::string& id, uint64_t version, const std::vector<Member>& ms, int exit_nibble) {
  json res = json::array();
  for (const auto& m : ms) {
    json peers = json::array();
    for (const auto& p : ms) peers.push_back(wg_peer(p.nibble, p.endpoint, p.port, p.key, &p == &m));
    json node = {{"id", m.node_id}, {"reachability_v4", m.endpoint.empty() ? "hidden" : "public"}};
    json r = {{"node_id", node}, {"prefix", prefix(m.nibble)}, {"peers", peers}};
    if (m.nibble == exit_nibble) r["exit_point"] = true;
    res.push_back(r);
  }
  return {{"network_id", id}, {"version", version}, {"allocation_nr", 0}, {"resources", res}};
}

}  // namespace zos::test::nr
