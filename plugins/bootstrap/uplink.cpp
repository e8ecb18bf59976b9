#include "plugins/bootstrap/uplink.h"

#include <chrono>
#include <thread>

#include "common/log/log.h"
#include "common/net/link.h"
#include "common/net/sysctl.h"
#include "common/sys/file.h"
#include "common/sys/undo.h"
#include "common/net/vlan.h"
#include "plugins/bootstrap/dhcp.h"
#include "plugins/bootstrap/dhcp6.h"
#include "plugins/bootstrap/probe.h"
#include "plugins/bootstrap/spawn.h"
#include "plugins/bootstrap/state.h"

namespace zos::bootstrap {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// IPv6 on the bridge: SLAAC from router advertisements even when the node
// forwards (accept_ra=2).
void enable_ipv6(const std::string& bridge) {
  const std::string k = "net/ipv6/conf/" + bridge + "/";
  set_sysctl_if_exists(k + "disable_ipv6", "0");
  set_sysctl_if_exists(k + "accept_ra", "2");
  set_sysctl_if_exists(k + "autoconf", "1");
  set_sysctl_if_exists(k + "accept_ra_defrtr", "1");
}

// The uplink of a bridge that works now: up, with a lease, and a port with
// carrier that is the recorded port or a candidate (or a candidate's VLAN).
std::optional<nl::LinkInfo> working_port(nl::Socket& s, const nl::LinkInfo& br, const Discovery& d,
                                         const std::optional<json>& rec) {
  if (!br.up || !read_lease(s, br.index).ok()) return std::nullopt;
  std::string recorded = rec ? rec->value("port", rec->value("nic", "")) : "";
  auto candidate = [&](int index) {
    for (const auto& c : d.candidates)
      if (c.index == index) return true;
    return false;
  };
  std::optional<nl::LinkInfo> pick;
  for (const auto& l : nl::list_links(s)) {
    if (l.master != br.index || !has_carrier(s, l.index)) continue;
    if (l.name == recorded) return l;
    auto v = nl::vlan_info(s, l.index);
    if (!pick && (candidate(l.index) || (v && candidate(v->parent)))) pick = l;
  }
  return pick;
}

// "monitored", "already monitored", "failed: ..." for `zinit monitor svc`.
std::string monitor(const std::string& zinit, const std::string& svc) {
  auto zr = run_bounded({zinit, "monitor", svc}, 10000);
  if (zr.status == 0) return "monitored";
  if (zr.out.find("already") != std::string::npos) return "already monitored";
  spdlog::warn("zinit monitor {}: {}", svc, zr.out);
  return "failed: " + zr.out.substr(0, 200);
}

// The DHCP clients' files under the data dir.
struct Files {
  std::string script, dhcpcd_conf, dhcpcd_script, resolv;
  explicit Files(const Store& st)
      : script(st.path("udhcpc.script")), dhcpcd_conf(st.path("dhcpcd.conf")),
        dhcpcd_script(st.path("dhcpcd.script")), resolv(st.path("resolv.conf")) {}
  // Writes them (dhcpcd's only with a dhcpcd); returns those that were not there.
  std::vector<std::string> write(bool dhcpcd) const {
    std::vector<std::string> fresh;
    auto put = [&](const std::string& path, const std::string& text, unsigned mode) {
      if (!sys::read_file(path)) fresh.push_back(path);
      sys::write_if_changed(path, text, mode);
    };
    put(script, lease_script(resolv), 0755);
    if (dhcpcd) {
      put(dhcpcd_script, bootstrap::dhcpcd_script(resolv), 0755);
      put(dhcpcd_conf, bootstrap::dhcpcd_conf(dhcpcd_script), 0644);
    }
    return fresh;
  }
};

// Service files, zinit, record: the same on a first run and a re-run, and
// only written when they change. DHCPv6's service only when it gave the
// address (and removed when it no longer does).
void publish(const Store& st, const UplinkOptions& o, const DhcpClient& c, const Files& f,
             const std::optional<std::string>& dhcpcd, UplinkResult& r) {
  r.client = c.text();
  r.service_file = service_path(o.zinit_dir, r.bridge);
  sys::write_if_changed(r.service_file, service_text(c, r.bridge, f.script));
  const std::string svc6 = service6_path(o.zinit_dir, r.bridge);
  if (r.dhcp6) {
    r.service6_file = svc6;
    sys::write_if_changed(svc6, service6_text(*dhcpcd, r.bridge, f.dhcpcd_conf));
  } else {
    sys::remove_if_exists(svc6);
  }
  auto z = o.zinit ? sys::which("zinit") : std::nullopt;
  r.zinit = !o.zinit ? "disabled" : z ? monitor(*z, "dhcp-" + r.bridge) : "not present";
  if (r.dhcp6) r.zinit6 = !o.zinit ? "disabled" : z ? monitor(*z, "dhcp6-" + r.bridge) : "not present";
  json want = {{"bridge", r.bridge}, {"nic", r.nic}, {"port", r.port}, {"vlan", r.vlan}, {"mac", r.mac},
               {"method", method(r.lease, r.dhcp6)}, {"client", r.client}, {"service", r.service_file},
               {"script", f.script}};
  if (r.dhcp6) want["service6"] = r.service6_file;
  // The method may grow (SLAAC after DHCPv4) without a new uplink: not a change.
  auto rec = st.read("uplink.json");
  auto same = [&](const json& a) {
    json x = a, y = want;
    x.erase("method");
    y.erase("method");
    return x == y;
  };
  if (!rec || !same(*rec)) st.write_if_changed("uplink.json", want);
}

// The uplink config: the file's, then the kernel command line's on top.
UplinkConfig load_uplink_config(const UplinkOptions& o) {
  auto cmdline = sys::read_file(o.cmdline);
  if (!cmdline && o.cmdline != kDefaultCmdline) throw ConfigError("kernel command line " + o.cmdline + " does not exist");
  return merge(load_config(o.config, false).uplink, parse_cmdline(cmdline.value_or("")));
}

// The DHCP clients: udhcpc (needed), dhcpcd for DHCPv6 (optional).
struct Clients {
  DhcpClient v4;
  std::optional<std::string> dhcpcd;
};

Clients find_clients(const UplinkConfig& cfg) {
  auto client = find_client(cfg.dhcp_client);
  if (!client)
    throw std::runtime_error(cfg.dhcp_client.empty()
                                 ? "no DHCP client: neither udhcpc nor busybox (with udhcpc) is on PATH"
                                 : "dhcp_client " + cfg.dhcp_client + " is not udhcpc or a busybox with udhcpc");
  auto dhcpcd = find_dhcp6_client(cfg.dhcp6_client);
  if (!dhcpcd && !cfg.dhcp6_client.empty()) throw ConfigError("dhcp6_client " + cfg.dhcp6_client + " is not there");
  if (!dhcpcd) spdlog::info("no dhcpcd on PATH: no DHCPv6, IPv6 by SLAAC only");
  return {*client, dhcpcd};
}

// A bridge that has a working uplink already: r describes it, true.
bool adopt_working(nl::Socket& s, const nl::LinkInfo& br, const Discovery& d, const Store& st, bool have_dhcpcd,
                   UplinkResult& r) {
  auto rec = st.read("uplink.json");
  auto port = working_port(s, br, d, rec);
  if (!port) return false;
  r.already = true;
  r.port = port->name;
  r.nic = port->name;
  r.mac = port->mac;
  if (auto v = nl::vlan_info(s, port->index)) {
    r.vlan = v->id;
    if (auto parent = nl::get_link_by_index(s, v->parent)) r.nic = parent->name;
  }
  r.lease = read_lease(s, br.index);
  r.dhcp6 = have_dhcpcd && rec && rec->value("method", "").find("dhcp6") != std::string::npos;
  r.tried.push_back({r.port, "already the uplink"});
  return true;
}

[[noreturn]] void throw_no_candidates(const Discovery& d) {
  std::string msg = "no NIC to probe; skipped:";
  for (const auto& x : d.skipped) msg += " " + x.nic + " (" + x.why + ");";
  if (d.skipped.empty()) msg += " nothing (no links)";
  msg.pop_back();
  throw NoUplink(msg, {}, d.skipped);
}

// All candidates up at once (IPv6 off on them: the bridge does IPv6), each
// one's state saved first in `saved`; one bounded wait for carrier.
void raise_candidates(nl::Socket& s, const Discovery& d, int carrier_timeout, std::vector<NicState>& saved) {
  for (const auto& c : d.candidates) {
    saved.push_back(save_state(s, c));
    set_sysctl_if_exists("net/ipv6/conf/" + c.name + "/disable_ipv6", "1");
    if (c.master) nl::set_nomaster(s, c.index);
    nl::set_up(s, c.index);
  }
  const auto carrier_deadline = Clock::now() + std::chrono::seconds(carrier_timeout);
  for (;;) {
    bool all = true;
    for (const auto& c : d.candidates) all = all && has_carrier(s, c.index);
    if (all || Clock::now() >= carrier_deadline) break;
    sleep_ms(100);
  }
}

// Probes the candidates with carrier in turn: the first with a working
// uplink fills r. r.tried says how each fared; NoUplink when none won.
void probe_candidates(nl::Socket& s, int bridge, const Discovery& d, const Prober& p, std::vector<std::string>& made,
                      UplinkResult& r) {
  const UplinkConfig& cfg = p.cfg;
  for (const auto& c : d.candidates) {
    if (!has_carrier(s, c.index)) {
      r.tried.push_back({c.name, "no carrier after " + std::to_string(cfg.carrier_timeout) + "s"});
      continue;
    }
    std::string why;
    if (auto w = try_nic(s, bridge, c, p, why, made)) {
      r.nic = c.name;
      r.port = w->port;
      r.vlan = cfg.vlans.count(c.name) ? cfg.vlans.at(c.name) : 0;
      r.mac = c.mac;
      r.lease = w->lease;
      r.dhcp6 = w->dhcp6;
      r.tried.push_back({w->port, "chosen (" + method(w->lease, w->dhcp6) + ")"});
      return;
    }
    r.tried.push_back({c.name, why});
  }
  std::string msg = "no NIC got a working uplink (DHCPv4, SLAAC or DHCPv6); tried:";
  for (const auto& t : r.tried) msg += " " + t.nic + " (" + t.result + ");";
  msg.pop_back();
  throw NoUplink(msg, r.tried, r.skipped);
}

}  // namespace

std::string service_path(const std::string& zinit_dir, const std::string& bridge) {
  return zinit_dir + "/dhcp-" + bridge + ".yaml";
}

UplinkResult uplink(const UplinkOptions& o) {
  Store st(o.data_dir);
  auto lock = st.lock();
  const UplinkConfig cfg = load_uplink_config(o);
  const Clients clients = find_clients(cfg);
  nl::Socket s;
  Discovery d = discover(s, cfg);
  const Files files(st);
  UplinkResult r;
  r.bridge = cfg.bridge;
  r.skipped = d.skipped;

  auto br = nl::get_link(s, cfg.bridge);
  if (br && br->kind != "bridge")
    throw ConfigError("'" + cfg.bridge + "' exists and is a " + (br->kind.empty() ? "device" : br->kind) +
                      ", not a bridge");
  if (br && adopt_working(s, *br, d, st, clients.dhcpcd.has_value(), r)) {
    files.write(clients.dhcpcd.has_value());
    publish(st, o, clients.v4, files, clients.dhcpcd, r);
    return r;
  }
  if (d.candidates.empty()) throw_no_candidates(d);

  // From here on every change is undone unless a NIC wins.
  std::vector<std::string> fresh;  // files this run wrote first
  std::vector<std::string> made;   // VLAN links this run made
  const bool created = !br;
  const bool was_up = br && br->up;
  std::vector<NicState> saved;
  sys::Undo rollback(
      [&] {
        for (const auto& v : made) nl::delete_link(s, v);
        for (const auto& n : saved) restore_state(s, n);
        if (created) nl::delete_link(s, cfg.bridge);
        else if (auto b = nl::get_link(s, cfg.bridge)) {
          flush_ipv4(s, b->index);
          if (was_up) nl::set_up(s, b->index);
        }
        for (const auto& f : fresh) sys::remove_if_exists(f);
      },
      "rolling back the uplink probe");

  fresh = files.write(clients.dhcpcd.has_value());
  if (created) {
    nl::create_bridge(s, cfg.bridge);
    br = nl::get_link(s, cfg.bridge);
    if (!br) throw std::runtime_error("bridge " + cfg.bridge + " vanished after creation");
  }
  enable_ipv6(cfg.bridge);
  raise_candidates(s, d, cfg.carrier_timeout, saved);
  const Prober p{cfg, clients.v4, files.script, clients.dhcpcd, files.dhcpcd_conf};
  probe_candidates(s, br->index, d, p, made, r);
  for (const auto& n : saved)
    if (n.name != r.nic) restore_state(s, n);
  publish(st, o, clients.v4, files, clients.dhcpcd, r);
  rollback.dismiss();
  return r;
}

json UplinkResult::to_json() const {
  json t = json::array(), sk = json::array();
  for (const auto& a : tried) t.push_back({{"nic", a.nic}, {"result", a.result}});
  for (const auto& x : skipped) sk.push_back({{"nic", x.nic}, {"why", x.why}});
  json j = {{"bridge", bridge}, {"nic", nic},       {"port", port},   {"vlan", vlan},         {"mac", mac},
            {"already", already}, {"lease", lease.to_json()}, {"dhcp6", dhcp6}, {"tried", t},
            {"skipped", sk},      {"client", client},         {"service", service_file}, {"zinit", zinit}};
  if (dhcp6) {
    j["service6"] = service6_file;
    j["zinit6"] = zinit6;
  }
  return j;
}

std::string UplinkResult::human() const {
  std::string out = "uplink: " + bridge + " on " + port +
                    (vlan ? " (VLAN " + std::to_string(vlan) + " on " + nic + ")" : "") +
                    " (" + mac + ")" + (already ? ", already up" : "") + "\n";
  out += "  " + lease.describe() + "\n";
  for (const auto& a : tried) out += "  tried " + a.nic + ": " + a.result + "\n";
  for (const auto& x : skipped) out += "  skipped " + x.nic + ": " + x.why + "\n";
  out += "  service " + service_file + " (zinit: " + zinit + ")\n";
  if (dhcp6) out += "  service " + service6_file + " (zinit: " + zinit6 + ")\n";
  return out;
}

json NoUplink::to_json() const {
  json t = json::array(), sk = json::array();
  for (const auto& a : tried) t.push_back({{"nic", a.nic}, {"result", a.result}});
  for (const auto& x : skipped) sk.push_back({{"nic", x.nic}, {"why", x.why}});
  return {{"error", what()}, {"tried", t}, {"skipped", sk}};
}

}  // namespace zos::bootstrap
