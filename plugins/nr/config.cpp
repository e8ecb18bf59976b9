#include "plugins/nr/config.h"

#include <cstdlib>

#include "common/sys/json.h"
#include "model/source.h"

namespace zos::nr {

using nlohmann::json;

namespace {

std::string str(const json& j, const char* key) {
  return sys::string_field(j, key, [&] { throw cni::Error(cni::kInvalidConfig, std::string(key) + " must be a string"); });
}

}  // namespace

Config parse_config(const cni::Request& req) {
  const json& c = req.conf;
  Config cfg;
  cfg.name = c.value("name", "");
  cfg.node.id = str(c, "nodeId");
  cfg.node.data_dir = str(c, "dataDir");
  if (cfg.node.data_dir.empty()) cfg.node.data_dir = kDefaultDataDir;
  cfg.node.key_file = str(c, "wgPrivateKeyFile");
  cfg.node.key_dir = str(c, "wgKeyDir");
  cfg.node.identity_file = str(c, "identityKeyFile");
  // A plugin's working directory is the runtime's: a relative path would
  // land wherever that happens to be.
  for (const auto& [key, path] : {std::pair{"dataDir", cfg.node.data_dir}, {"wgPrivateKeyFile", cfg.node.key_file},
                            {"identityKeyFile", cfg.node.identity_file}, {"wgKeyDir", cfg.node.key_dir}})
    if (!path.empty() && path[0] != '/')
      throw cni::Error(cni::kInvalidConfig, std::string(key) + " \"" + path + "\" must be an absolute path");
  cfg.node.cni_path = req.env.path;
  if (auto pn = str(c, "publicNamespace"); !pn.empty()) cfg.node.public_netns = pn;
  if (auto np = str(c, "nodePolicy"); !np.empty()) cfg.node.policy_file = np;
  if (auto m = c.find("mtu"); m != c.end() && !m->is_null()) {
    if (!m->is_number_unsigned() || m->get<unsigned>() < 1280 || m->get<unsigned>() > 65535)
      throw cni::Error(cni::kInvalidConfig, "mtu must be a number from 1280 to 65535 (IPv6 needs 1280), got " + m->dump());
    cfg.node.mtu = m->get<unsigned>();
  }
  // DEL and GC never read the network object: no network to pick for them.
  cfg.source = model::network_source(c, req.env.args, req.env.command != "DEL" && req.env.command != "GC");
  int sources = (cfg.source.inline_object ? 1 : 0) + !cfg.source.file.empty() + !cfg.source.dir.empty();
  if (sources == 0)
    throw cni::Error(cni::kInvalidConfig, "no network object: set one of \"network\", \"networkFile\" or \"networksDir\"");
  if (sources > 1)
    throw cni::Error(cni::kInvalidConfig, "set only one of \"network\", \"networkFile\" and \"networksDir\"");
  if (cfg.node.id.empty())
    throw cni::Error(cni::kInvalidConfig, "nodeId is required: it finds this node's resource in the network object");
  auto ipam = c.find("ipam");
  if (ipam == c.end() || !ipam->is_object() || !ipam->contains("type") || !(*ipam)["type"].is_string())
    throw cni::Error(cni::kInvalidConfig, "ipam.type is required (e.g. \"zos-ipam\")");
  cfg.ipam_type = (*ipam)["type"];
  if (auto d = c.find("dns"); d != c.end()) {
    try {
      cfg.dns = cni::DNS::parse(*d);
    } catch (const cni::Error& e) {
      throw cni::Error(cni::kInvalidConfig, "dns: " + e.msg());
    }
  }
  req.env.args.reject_unknown({"IP", "MAC", "ZOS_NETWORK", "K8S_POD_NAME", "K8S_POD_NAMESPACE",
                               "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID"});
  return cfg;
}

sys::Flags& node_flags(sys::Flags& f, Node& node) {
  const char* dd = std::getenv("ZOS_DATA_DIR");
  node.data_dir = dd && *dd ? dd : kDefaultDataDir;
  return f.value("--node", &node.id)
      .value("--data-dir", &node.data_dir)
      .value("--key-file", &node.key_file)
      .value("--identity-file", &node.identity_file)
      .value("--public-namespace", &node.public_netns)
      .value("--node-policy", &node.policy_file);
}

}  // namespace zos::nr
