#include "plugins/bootstrap/uplink.h"

#include <chrono>
#include <functional>
#include <thread>

#include "common/log/log.h"
#include "common/net/link.h"
#include "common/net/sysctl.h"
#include "common/sys/file.h"
#include "plugins/bootstrap/dhcp.h"
#include "plugins/bootstrap/spawn.h"
#include "plugins/bootstrap/state.h"

namespace zos::bootstrap {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

void set_sysctl_if_exists(const std::string& key, const std::string& v) {
  if (auto cur = nl::sysctl_get_if_exists(key); cur && *cur != v) nl::sysctl_set(key, v);
}

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
// carrier that is the recorded NIC or a candidate.
std::optional<nl::LinkInfo> working_port(nl::Socket& s, const nl::LinkInfo& br, const Discovery& d,
                                         const std::optional<json>& rec) {
  if (!br.up || !read_lease(s, br.index).ok()) return std::nullopt;
  std::string recorded = rec ? rec->value("nic", "") : "";
  std::optional<nl::LinkInfo> pick;
  for (const auto& l : nl::list_links(s)) {
    if (l.master != br.index || !has_carrier(s, l.index)) continue;
    bool candidate = false;
    for (const auto& c : d.candidates) candidate = candidate || c.index == l.index;
    if (l.name == recorded) return l;
    if (candidate && !pick) pick = l;
  }
  return pick;
}

struct Probe {
  const DhcpClient& client;
  const UplinkConfig& cfg;
  const std::string& script;
};

// Puts `nic` alone behind the bridge and waits for DHCPv4 or SLAAC. On
// failure the NIC is detached again and the bridge carries nothing; the
// reason is returned.
std::optional<Lease> try_nic(nl::Socket& s, int br, const nl::LinkInfo& nic, const Probe& p,
                             std::string& why) {
  nl::set_down(s, br);  // drops the IPv6 state of a previous attempt
  nl::set_mac(s, br, nic.mac);
  nl::set_master(s, nic.index, br);
  nl::set_up(s, br);
  const auto start = Clock::now();
  auto pr = probe(p.client, p.cfg.bridge, p.script, p.cfg.dhcp_tries, p.cfg.dhcp_interval);
  Lease l = read_lease(s, br);
  if (!l.v4()) {
    const auto deadline = start + std::chrono::seconds(p.cfg.ra_timeout);
    while (!l.v6() && Clock::now() < deadline) {
      sleep_ms(200);
      l = read_lease(s, br);
    }
  }
  if (l.ok()) return l;
  why = pr.lease ? (l.ipv4.empty() ? "DHCPv4 lease not applied" : "DHCPv4 lease without a router")
                 : "no DHCPv4 lease";
  why += "; no IPv6 router advertisement within " + std::to_string(p.cfg.ra_timeout) + "s";
  nl::set_nomaster(s, nic.index);
  flush_ipv4(s, br);
  nl::set_down(s, br);
  return std::nullopt;
}

std::string method(const Lease& l) {
  if (l.v4() && l.v6()) return "dhcp4+slaac";
  return l.v4() ? "dhcp4" : "slaac";
}

// Service file, zinit, record: the same on a first run and a re-run, and
// only written when they change.
void publish(const Store& st, const UplinkOptions& o, const DhcpClient& c, const std::string& script,
             UplinkResult& r) {
  r.client = c.text();
  r.service_file = service_path(o.zinit_dir, r.bridge);
  write_if_changed(r.service_file, service_text(c, r.bridge, script));
  if (!o.zinit) {
    r.zinit = "disabled";
  } else if (auto z = which("zinit")) {
    const std::string svc = "dhcp-" + r.bridge;
    auto zr = run_bounded({*z, "monitor", svc}, 10000);
    if (zr.status == 0) r.zinit = "monitored";
    else if (zr.output.find("already") != std::string::npos) r.zinit = "already monitored";
    else {
      r.zinit = "failed: " + zr.output.substr(0, 200);
      spdlog::warn("zinit monitor {}: {}", svc, zr.output);
    }
  } else {
    r.zinit = "not present";
  }
  auto rec = st.read("uplink.json");
  if (!rec || rec->value("nic", "") != r.nic || rec->value("mac", "") != r.mac ||
      rec->value("bridge", "") != r.bridge || rec->value("client", "") != r.client)
    st.write("uplink.json", {{"bridge", r.bridge}, {"nic", r.nic}, {"mac", r.mac}, {"method", method(r.lease)},
                             {"client", r.client}, {"service", r.service_file}, {"script", script}});
}

}  // namespace

std::string service_path(const std::string& zinit_dir, const std::string& bridge) {
  return zinit_dir + "/dhcp-" + bridge + ".yaml";
}

UplinkResult uplink(const UplinkOptions& o) {
  Store st(o.data_dir);
  auto lock = st.lock();
  auto cmdline = sys::read_file(o.cmdline);
  if (!cmdline && o.cmdline != kDefaultCmdline) throw ConfigError("kernel command line " + o.cmdline + " does not exist");
  const UplinkConfig cfg = merge(load_config(o.config, false).uplink, parse_cmdline(cmdline.value_or("")));
  auto client = find_client(cfg.dhcp_client);
  if (!client)
    throw std::runtime_error(cfg.dhcp_client.empty()
                                 ? "no DHCP client: neither udhcpc nor busybox (with udhcpc) is on PATH"
                                 : "dhcp_client " + cfg.dhcp_client + " is not udhcpc or a busybox with udhcpc");
  nl::Socket s;
  Discovery d = discover(s, cfg);
  const std::string script = st.path("udhcpc.script");
  UplinkResult r;
  r.bridge = cfg.bridge;
  r.skipped = d.skipped;

  auto br = nl::get_link(s, cfg.bridge);
  if (br && br->kind != "bridge")
    throw ConfigError("'" + cfg.bridge + "' exists and is a " + (br->kind.empty() ? "device" : br->kind) +
                      ", not a bridge");
  if (br) {
    if (auto port = working_port(s, *br, d, st.read("uplink.json"))) {
      r.already = true;
      r.nic = port->name;
      r.mac = port->mac;
      r.lease = read_lease(s, br->index);
      r.tried.push_back({port->name, "already the uplink"});
      write_if_changed(script, lease_script(st.path("resolv.conf")), 0755);
      publish(st, o, *client, script, r);
      return r;
    }
  }
  if (d.candidates.empty()) {
    std::string msg = "no NIC to probe; skipped:";
    for (const auto& x : d.skipped) msg += " " + x.nic + " (" + x.why + ");";
    if (d.skipped.empty()) msg += " nothing (no links)";
    msg.pop_back();
    throw NoUplink(msg, {}, d.skipped);
  }

  // From here on every change is undone unless a NIC wins.
  const bool had_script = sys::read_file(script).has_value();
  const bool created = !br;
  const bool was_up = br && br->up;
  std::vector<NicState> saved;
  bool done = false;
  struct Rollback {
    std::function<void()> f;
    ~Rollback() { f(); }
  } rollback{[&] {
    if (done) return;
    try {
      for (const auto& n : saved) restore_state(s, n);
      if (created) nl::delete_link(s, cfg.bridge);
      else if (auto b = nl::get_link(s, cfg.bridge)) {
        flush_ipv4(s, b->index);
        if (was_up) nl::set_up(s, b->index);
      }
      if (!had_script) sys::remove_if_exists(script);
    } catch (const std::exception& e) {
      spdlog::error("rolling back the uplink probe: {}", e.what());
    }
  }};

  write_if_changed(script, lease_script(st.path("resolv.conf")), 0755);
  if (created) {
    nl::create_bridge(s, cfg.bridge);
    br = nl::get_link(s, cfg.bridge);
    if (!br) throw std::runtime_error("bridge " + cfg.bridge + " vanished after creation");
  }
  enable_ipv6(cfg.bridge);

  // All candidates up at once (IPv6 off on them: the bridge does IPv6), one
  // bounded wait for carrier.
  for (const auto& c : d.candidates) {
    saved.push_back(save_state(s, c));
    set_sysctl_if_exists("net/ipv6/conf/" + c.name + "/disable_ipv6", "1");
    if (c.master) nl::set_nomaster(s, c.index);
    nl::set_up(s, c.index);
  }
  const auto carrier_deadline = Clock::now() + std::chrono::seconds(cfg.carrier_timeout);
  for (;;) {
    bool all = true;
    for (const auto& c : d.candidates) all = all && has_carrier(s, c.index);
    if (all || Clock::now() >= carrier_deadline) break;
    sleep_ms(100);
  }

  Probe p{*client, cfg, script};
  for (const auto& c : d.candidates) {
    if (!has_carrier(s, c.index)) {
      r.tried.push_back({c.name, "no carrier after " + std::to_string(cfg.carrier_timeout) + "s"});
      continue;
    }
    std::string why;
    if (auto l = try_nic(s, br->index, c, p, why)) {
      r.nic = c.name;
      r.mac = c.mac;
      r.lease = *l;
      r.tried.push_back({c.name, "chosen (" + method(*l) + ")"});
      break;
    }
    r.tried.push_back({c.name, why});
  }
  if (r.nic.empty()) {
    std::string msg = "no NIC got a DHCPv4 lease or an IPv6 router advertisement; tried:";
    for (const auto& t : r.tried) msg += " " + t.nic + " (" + t.result + ");";
    msg.pop_back();
    throw NoUplink(msg, r.tried, r.skipped);
  }
  for (const auto& n : saved)
    if (n.name != r.nic) restore_state(s, n);
  publish(st, o, *client, script, r);
  done = true;
  return r;
}

json UplinkResult::to_json() const {
  json t = json::array(), sk = json::array();
  for (const auto& a : tried) t.push_back({{"nic", a.nic}, {"result", a.result}});
  for (const auto& x : skipped) sk.push_back({{"nic", x.nic}, {"why", x.why}});
  return {{"bridge", bridge}, {"nic", nic},       {"mac", mac},     {"already", already},
          {"lease", lease.to_json()}, {"tried", t}, {"skipped", sk}, {"client", client},
          {"service", service_file}, {"zinit", zinit}};
}

std::string UplinkResult::human() const {
  std::string out = "uplink: " + bridge + " on " + nic + " (" + mac + ")" + (already ? ", already up" : "") + "\n";
  out += "  " + lease.describe() + "\n";
  for (const auto& a : tried) out += "  tried " + a.nic + ": " + a.result + "\n";
  for (const auto& x : skipped) out += "  skipped " + x.nic + ": " + x.why + "\n";
  out += "  service " + service_file + " (zinit: " + zinit + ")\n";
  return out;
}

json NoUplink::to_json() const {
  json t = json::array(), sk = json::array();
  for (const auto& a : tried) t.push_back({{"nic", a.nic}, {"result", a.result}});
  for (const auto& x : skipped) sk.push_back({{"nic", x.nic}, {"why", x.why}});
  return {{"error", what()}, {"tried", t}, {"skipped", sk}};
}

}  // namespace zos::bootstrap
