#include "plugins/nr/verbs.h"

#include "common/log/log.h"
#include "common/log/phases.h"
#include "common/net/nft.h"
#include "common/sys/fault.h"
#include "plugins/nr/attach.h"
#include "plugins/nr/config.h"
#include "plugins/nr/ipam_client.h"
#include "plugins/nr/resource.h"
#include "zos_version.h"

namespace zos::nr {

namespace {

// hostPort cannot work: nothing routes from the node into a tenant's NR
// (portmap's DNAT on the node leads nowhere), and opening one would have to
// pierce the NR firewall. Refused before anything is built; the way in from
// outside is the exit NR's ipv4_dnat. Only seen when the conflist declares
// the portMappings capability on zos-nr (libcni passes it to no one else).
void refuse_port_mappings(const cni::Request& req) {
  const auto* pm = req.runtime_config("portMappings");
  if (pm && !(pm->is_array() && pm->empty()))
    throw cni::Error(cni::kUnsupportedField,
                     "runtimeConfig.portMappings " + pm->dump() +
                         ": hostPort is not supported by zos-nr (a tenant's NR is not reachable from the node); "
                         "remove hostPort from the pod, or publish the port through the exit NR's ipv4_dnat");
}

cni::Result add(const cni::Request& req) {
  refuse_port_mappings(req);
  Config cfg = parse_config(req);
  // The NR's lock is held from the apply's check through the attach: no
  // DeleteNetResource in between (it would take the bridge from under us).
  log::Phases phases("add " + req.env.container_id);
  Joined nr = apply_for_attach(cfg.node, model::load_network(cfg.source));
  phases.lap("apply");
  sys::fault_point("add-after-apply");
  auto res = attach(req, cfg, nr);
  phases.lap("attach");
  return res;
}

void del(const cni::Request& req) {
  Config cfg = parse_config(req);
  detach(req, cfg);
}

void check(const cni::Request& req) {
  Config cfg = parse_config(req);
  auto net = model::load_network(cfg.source);
  check_attachment(req, cfg, resolve(net, cfg.node.id));
}

void gc_verb(const cni::Request& req) {
  Config cfg = parse_config(req);
  gc(req, cfg);
}

void status(const cni::Request& req) {
  try {
    Config cfg = parse_config(req);
    auto net = model::load_network(cfg.source);
    resolve(net, cfg.node.id);
    nft::helper_path(cfg.node.cni_path);
    Ipam(cfg.ipam_type, req).status(req.conf);
  } catch (const cni::Error& e) {
    if (e.code() == cni::kUnavailable || e.code() == cni::kUnavailableDegraded) throw;
    throw cni::Error(cni::kUnavailable, "not ready: " + e.msg());
  } catch (const std::exception& e) {
    throw cni::Error(cni::kUnavailable, std::string("not ready: ") + e.what());
  }
}

}  // namespace

cni::Handlers handlers() {
  return {add, del, check, gc_verb, status,
          "zos-nr " ZOS_VERSION " (" ZOS_BUILD "): CNI plugin for Zero-OS network resources, CNI 0.1.0-1.1.0\n"
          "management: zos-nr apply|delete <network.json> --node <id> | namespace <network_id> | show [<network_id>]"};
}

}  // namespace zos::nr
