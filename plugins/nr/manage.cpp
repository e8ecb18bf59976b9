// The management contract of the 0-OS network module, as subcommands:
//   zos-nr apply <network.json> --node <id>    ApplyNetResource -> namespace
//   zos-nr delete <network.json> --node <id>   DeleteNetResource
//   zos-nr namespace <network_id>              Namespace
//   zos-nr show [<network_id>]                 the NRs as applied
// Common flags: --data-dir D (or $ZOS_DATA_DIR), --key-file F, --key-dir D, --json.

#include "common/cni/error.h"
#include "common/log/log.h"
#include "common/net/addr.h"
#include "common/net/link.h"
#include "common/net/nl.h"
#include "common/sys/file.h"
#include "common/sys/flags.h"
#include "common/sys/json.h"
#include "common/sys/netns.h"
#include "plugins/nr/resource.h"
#include "plugins/nr/state.h"
#include "plugins/nr/manage.h"

namespace zos::nr {

using nlohmann::json;

namespace {

constexpr const char* kUsage =
    "usage: zos-nr apply <network.json> --node <id> [--data-dir D] [--key-file F] [--key-dir D] [--identity-file F]\n"
    "                    [--public-namespace NS] [--node-policy F] [--json]\n"
    "       zos-nr delete <network.json> --node <id> [--force] [--data-dir D] [--public-namespace NS]\n"
    "       zos-nr namespace <network_id> [--data-dir D]\n"
    "       zos-nr show [<network_id>] [--data-dir D] [--json]\n"
    "       zos-nr serve --broker redis://host:port|unix:///path --node <id> [--workers N] [--data-dir D]\n"
    "                    [--key-file F] [--identity-file F] [--public-namespace NS]\n";
constexpr const char* kAbout =
    "With CNI_COMMAND set, zos-nr is a CNI plugin (config on stdin). See /usr/share/doc/zos-cni/README.md.\n";

struct Args {
  std::string cmd;
  std::vector<std::string> pos;
  Node node;
  bool json = false;
  bool force = false;  // delete: also when the object is older than the applied one
};

// Exit codes: 0 done, 1 failed, 2 usage.
Args parse(const std::vector<std::string>& a) {
  Args r;
  if (a.empty()) throw sys::UsageError("no command");
  r.cmd = a[0];
  sys::Flags f;
  r.pos = node_flags(f, r.node)
              .value("--key-dir", &r.node.key_dir)
              .on("--force", &r.force)
              .on("--json", &r.json)
              .parse(a, 1, {.prefix = "unknown flag ", .positional_if_no_dash = true});
  return r;
}

model::Network load(const Args& a) {
  if (a.pos.size() != 1) throw sys::UsageError(a.cmd + " takes one network object file");
  if (a.node.id.empty()) throw sys::UsageError(a.cmd + " needs --node <id>");
  model::NetworkSource src;
  src.file = a.pos[0];
  src.node_id = a.node.id;
  return model::load_network(src);
}

json describe(const Node& node, const Applied& ap) {
  json j = {{"network_id", ap.network_id}, {"version", ap.version}, {"namespace", ap.netns}, {"node", ap.node_id}};
  if (ap.mtu) j["mtu"] = *ap.mtu;
  try {
    auto net = model::Network::parse(ap.network);
    auto r = resolve(net, ap.node_id);
    j["prefix"] = r.plan.prefix.str();
    j["subnet"] = r.plan.subnet_v4.str();
    j["router"] = {r.plan.router_v4.str(), r.plan.router_v6.str()};
    j["bridge"] = r.plan.bridge;
    j["router_veth"] = r.plan.veth;
    j["wireguard"] = r.plan.wg;
    j["exit"] = r.nr.exit_point;
    if (r.nr.exit_point) j["exit_link"] = r.plan.pub;
    json peers = json::array();
    for (const auto& p : r.nr.peers)
      if (p.prefix.network() != r.plan.prefix) peers.push_back(p.prefix.str());  // keys never shown
    j["peers"] = peers;
    j["present"] = sys::netns_exists(ap.netns);
    j["problems"] = problems(node, r);
  } catch (const std::exception& e) {
    j["problems"] = json::array({e.what()});
  }
  json att = json::array();
  for (const auto& a : State(node.data_dir).attachments())
    if (a.netns == ap.netns)
      att.push_back({{"containerID", a.container_id}, {"ifname", a.ifname}, {"host_veth", a.host_veth},
                     {"netns", a.container_netns}});
  j["containers"] = att;
  return j;
}

void print_human(std::string& out, const json& j) {
  out += "network " + j["network_id"].get<std::string>() + " version " + j["version"].dump() + "\n";
  out += "  namespace  " + j["namespace"].get<std::string>() + (j.value("present", false) ? "" : " (missing)") + "\n";
  if (j.contains("prefix")) {
    out += "  prefix     " + j["prefix"].get<std::string>() + "  subnet " + j["subnet"].get<std::string>() + "\n";
    out += "  router     " + j["router"][0].get<std::string>() + ", " + j["router"][1].get<std::string>() + " on " + j["router_veth"].get<std::string>() + "\n";
    out += "  bridge     " + j["bridge"].get<std::string>() +
           (j.contains("mtu") ? "  mtu " + j["mtu"].dump() : std::string()) + "\n";
    out += "  wireguard  " + j["wireguard"].get<std::string>() +
           (j.contains("exit_link") ? "  exit via " + j["exit_link"].get<std::string>() : std::string()) + "\n";
    out += "  peers      " + std::to_string(j["peers"].size()) + (j.value("exit", false) ? "  (exit point)" : "") + "\n";
  }
  out += "  containers " + std::to_string(j["containers"].size()) + "\n";
  for (const auto& c : j["containers"])
    out += "    " + c["containerID"].get<std::string>() + " " + c["ifname"].get<std::string>() + " via " + c["host_veth"].get<std::string>() + "\n";
  for (const auto& p : j["problems"]) out += "  problem: " + p.get<std::string>() + "\n";
}

}  // namespace

int manage(const std::vector<std::string>& argv, std::string& out, std::string& err) {
  if (argv.size() == 1 && (argv[0] == "--help" || argv[0] == "-h" || argv[0] == "help")) {
    out += std::string(kUsage) + kAbout;
    return 0;
  }
  try {
    Args a = parse(argv);
    if (a.cmd == "apply") {
      auto ns = apply(a.node, load(a), ApplyMode::kConverge).resource.plan.netns;
      out += (a.json ? json{{"namespace", ns}}.dump() : ns) + "\n";
      return 0;
    }
    if (a.cmd == "delete") {
      remove(a.node, load(a), a.force);
      return 0;
    }
    State st(a.node.data_dir);
    if (a.cmd == "namespace") {
      if (a.pos.size() != 1) throw sys::UsageError("namespace takes one network id");
      auto ap = st.applied(a.pos[0]);
      if (!ap) {
        err += "zos-nr: network " + a.pos[0] + " is not applied on this node (data dir " + a.node.data_dir + ")\n";
        return 1;
      }
      out += (a.json ? json{{"namespace", ap->netns}}.dump() : ap->netns) + "\n";
      return 0;
    }
    if (a.cmd == "show") {
      json all = json::array();
      for (const auto& ap : st.all_applied())
        if (a.pos.empty() || ap.network_id == a.pos[0]) all.push_back(describe(a.node, ap));
      if (!a.pos.empty() && all.empty()) {
        err += "zos-nr: network " + a.pos[0] + " is not applied on this node\n";
        return 1;
      }
      if (a.json) out += sys::dump_json(all, 2) + "\n";
      else for (const auto& j : all) print_human(out, j);
      return 0;
    }
    throw sys::UsageError("unknown command " + a.cmd);
  } catch (const sys::UsageError& u) {
    err += std::string("zos-nr: ") + u.what() + "\n" + kUsage;
    return 2;
  } catch (const cni::Error& e) {
    err += "zos-nr: " + e.msg() + "\n";
    return 1;
  } catch (const std::exception& e) {
    err += std::string("zos-nr: ") + e.what() + "\n";
    return 1;
  }
}

}  // namespace zos::nr
