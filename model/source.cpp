#include "model/source.h"

#include "common/cni/error.h"
#include "common/sys/json.h"

namespace zos::model {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& what) { throw cni::Error(cni::kInvalidConfig, what); }

std::string str(const json& j, const char* key) {
  return sys::string_field(j, key, [&] { bad(std::string(key) + " must be a string"); });
}

// The network of a pod namespace, "" when the operator gave it none.
std::string network_of_namespace(const json& map, bool as_network, const std::string& ns) {
  if (auto it = map.find(ns); it != map.end()) return it->get<std::string>();
  if (!as_network) return "";
  if (!cni::valid_network_name(ns))
    throw cni::Error(cni::kInvalidEnv, "CNI_ARGS K8S_POD_NAMESPACE=\"" + ns + "\" is not a valid network id");
  return ns;
}

}  // namespace

NetworkSource network_source(const json& conf, const cni::Args& args, bool select) {
  NetworkSource s;
  if (auto n = conf.find("network"); n != conf.end() && !n->is_null()) s.inline_object = *n;
  s.file = str(conf, "networkFile");
  s.dir = str(conf, "networksDir");
  s.node_id = str(conf, "nodeId");

  json map = json::object();
  if (auto m = conf.find("podNamespaces"); m != conf.end() && !m->is_null()) {
    if (!m->is_object()) bad("podNamespaces must map pod namespaces to network ids, e.g. {\"tenant-a\": \"net-a\"}");
    for (const auto& [ns, id] : m->items())
      if (!id.is_string() || !cni::valid_network_name(id.get<std::string>()))
        bad("podNamespaces." + ns + " must be a network id (a <network_id>.json of networksDir), got " + id.dump());
    map = *m;
  }
  auto as = conf.find("podNamespaceAsNetwork");
  if (as != conf.end() && !as->is_null() && !as->is_boolean()) bad("podNamespaceAsNetwork must be true or false");
  const bool as_network = as != conf.end() && as->is_boolean() && as->get<bool>();
  const bool by_namespace = !map.empty() || as_network;
  if (by_namespace && s.dir.empty())
    bad("podNamespaces and podNamespaceAsNetwork pick a network of \"networksDir\": set networksDir");
  if (!select) return s;

  auto chosen = args.get("ZOS_NETWORK");
  auto ns = args.get("K8S_POD_NAMESPACE");
  if (by_namespace && ns) {
    std::string id = network_of_namespace(map, as_network, *ns);
    if (id.empty() && !chosen)
      bad("pod namespace \"" + *ns + "\" has no network: add it to podNamespaces (" + s.dir + "/<network_id>.json)" +
          (as_network ? "" : " or set podNamespaceAsNetwork"));
    if (!id.empty() && chosen && *chosen != id)
      throw cni::Error(cni::kInvalidEnv, "CNI_ARGS ZOS_NETWORK=" + *chosen + " is not the network of pod namespace \"" +
                                             *ns + "\" (" + id + ")");
    if (!id.empty()) chosen = id;
  }
  if (chosen) s.selected_id = *chosen;
  return s;
}

}  // namespace zos::model
