#include "nr/nr_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/sys/file.h"
#include "common/wg/wg.h"

namespace zos::test::nr {

namespace fs = std::filesystem;

std::string hex2(int n) {
  char b[3];
  std::snprintf(b, sizeof b, "%02x", n & 0xff);
  return b;
}
std::string prefix(int n) { return "2a02:1802:5e:b" + hex2(n) + "::/64"; }
std::string router6(int n) { return "2a02:1802:5e:b" + hex2(n) + "::1"; }
std::string router4(int n) { return "10.11." + std::to_string(n & 0xff) + ".1"; }
std::string nr_netns(int n, int alloc) { return "net-0b" + hex2(n) + "-" + std::to_string(alloc); }
std::string nr_bridge(int n, int alloc) { return "br-0b" + hex2(n) + "-" + std::to_string(alloc); }
std::string nr_veth(int n, int alloc) { return "veth-0b" + hex2(n) + "-" + std::to_string(alloc); }

json network(const std::string& id, int n, uint64_t version, int alloc) {
  return {{"network_id", id},
          {"version", version},
          {"allocation_nr", alloc},
          {"resources", json::array({{{"node_id", {{"id", kNodeId}}}, {"prefix", prefix(n)}, {"peers", json::array()}}})}};
}

namespace {

void quiet(const std::string& cmd) { sh(cmd + " >/dev/null 2>&1"); }

bool is_v4_name(const std::string& s) {
  int dots = 0;
  for (char c : s) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

}  // namespace

std::map<std::string, std::string> tool_env() {
  std::map<std::string, std::string> e{{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}};
  for (const char* k : {"ZOS_LOG_LEVEL", "ZOS_LOG_FILE"})
    if (const char* v = std::getenv(k)) e[k] = v;
  return e;
}

std::string expected_wg_backend() {
  const char* e = std::getenv("ZOS_TEST_WG_BACKEND");
  if (e && *e) return e;
  return zos::wg::kernel_supported() ? "kernel" : "userspace";
}

std::string wg_backend_of(const std::string& netns, const std::string& link) {
  // `ip -d` names the link kind on the line after the flags: "wireguard" for
  // the kernel's, "tun" for wireguard-go's TUN device.
  std::string d = sh_out("ip -d -n " + netns + " link show dev " + link + " 2>/dev/null");
  if (d.find("\n    wireguard") != std::string::npos) return "kernel";
  if (d.find("\n    tun") != std::string::npos) return "userspace";
  return d.empty() ? "absent" : "unknown";
}

Node::Node(const std::string& tag, std::string node_id)
    : ns_("nr", tag), id_(std::move(node_id)), data_dir_(tmp_ / "data") {
  ns_.sh("ip link set lo up");
}

Node::~Node() {
  // Every NR, through the plugin (removes its netns, bridge, router veth,
  // leases and state); then whatever is left by force.
  for (const auto& f : net_files_) {
    auto r = run({"/usr/bin/nsenter", "--net=" + path(), bin("zos-nr"), "delete", f, "--force", "--node", id_,
                  "--data-dir", data_dir_, "--public-namespace", public_ns()},
                 tool_env());
    if (r.status != 0) std::fprintf(stderr, "cleanup: zos-nr delete %s: %s\n", f.c_str(), r.err.c_str());
  }
  for (const auto& n : nr_names_) quiet("ip netns del " + n);
  quiet("ip netns del " + public_ns());
  // Then the members: the containers, the node (which takes the bridges and
  // host veths along).
}

std::string Node::write_network(const json& net, const std::string& file_name) {
  std::string f = tmp_ / (file_name.empty() ? net["network_id"].get<std::string>() + ".json" : file_name);
  std::ofstream(f) << net.dump(2);
  bool known = false;
  for (const auto& x : net_files_) known = known || x == f;
  if (!known) net_files_.push_back(f);
  for (const auto& r : net["resources"]) {
    std::string p = r["prefix"];
    // nibble = the 4th group of the prefix: 2a02:1802:5e:bXX::/64
    auto g = p.substr(std::string("2a02:1802:5e:b").size(), 2);
    std::string ns = "net-0b" + g + "-" + std::to_string(net.value("allocation_nr", 0));
    bool seen = false;
    for (const auto& x : nr_names_) seen = seen || x == ns;
    if (!seen) {
      nr_names_.push_back(ns);
      if (!known) quiet("ip netns del " + ns);  // a leftover of a crashed run of this test
    }
  }
  return f;
}

json Node::conf(const std::string& network_file, const std::string& version, const std::string& name) const {
  return {{"cniVersion", version}, {"name", name},         {"type", "zos-nr"},
          {"nodeId", id_},         {"networkFile", network_file}, {"dataDir", data_dir_},
          {"publicNamespace", public_ns()},
          {"ipam", {{"type", "zos-ipam"}, {"ipv6", "both"}}}};
}

std::string Node::container(const std::string& tag) {
  const auto& c = containers_.emplace_back("nr", tag);
  c.sh("ip link set lo up");
  return c.path();
}

void Node::drop_container(const std::string& p) {
  containers_.remove_if([&](const Netns& c) { return c.path() == p; });
}

std::map<std::string, std::string> Node::env(const std::string& cmd, const std::string& id, const std::string& netns,
                                             const std::string& ifname) const {
  auto e = tool_env();
  e["CNI_COMMAND"] = cmd;
  e["CNI_PATH"] = std::string(ZOS_BIN_DIR) + ":/usr/lib/cni";
  if (!id.empty()) e["CNI_CONTAINERID"] = id;
  if (!netns.empty()) e["CNI_NETNS"] = netns;
  if (cmd == "ADD" || cmd == "DEL" || cmd == "CHECK") e["CNI_IFNAME"] = ifname;
  return e;
}

Exec Node::cni(const std::string& cmd, const json& conf, const std::string& id, const std::string& netns,
               const std::string& ifname, const std::map<std::string, std::string>& extra) const {
  return plugin(bin("zos-nr"), cmd, conf, id, netns, ifname, extra);
}

Exec Node::plugin(const std::string& p, const std::string& cmd, const json& conf, const std::string& id,
                  const std::string& netns, const std::string& ifname,
                  const std::map<std::string, std::string>& extra) const {
  auto e = env(cmd, id, netns, ifname);
  for (const auto& [k, v] : extra) e[k] = v;
  return run({"/usr/bin/nsenter", "--net=" + path(), p}, e, conf.dump());
}

Exec Node::manage(std::vector<std::string> args, bool with_data_dir, const std::map<std::string, std::string>& env) const {
  std::vector<std::string> argv{"/usr/bin/nsenter", "--net=" + path(), bin("zos-nr")};
  argv.insert(argv.end(), args.begin(), args.end());
  if (with_data_dir) {
    argv.push_back("--data-dir");
    argv.push_back(data_dir_);
    argv.push_back("--public-namespace");
    argv.push_back(public_ns());
  }
  auto e = tool_env();
  for (const auto& [k, v] : env) e[k] = v;
  return run(argv, e);
}

std::vector<std::string> Node::host_veths() const {
  std::vector<std::string> out;
  std::string text = sh_out("ip -n " + name() + " -o link show 2>/dev/null");
  size_t pos = 0;
  while ((pos = text.find(": zv", pos)) != std::string::npos) {
    pos += 2;
    auto end = text.find_first_of("@:", pos);
    out.push_back(text.substr(pos, end - pos));
  }
  return out;
}

bool Node::has_link(const std::string& link) const {
  return sh("ip -n " + name() + " link show dev " + link + " >/dev/null 2>&1") == 0;
}

namespace {
bool is_v6_name(const std::string& s) {
  if (s.find(':') == std::string::npos) return false;
  for (char c : s)
    if (!(c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
      return false;
  return true;
}
}  // namespace

// Reservation files under dataDir/ipam whose names pass `keep`.
std::vector<std::string> Node::lease_files(bool (*keep)(const std::string&)) const {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(data_dir_ + "/ipam", ec)) return out;
  for (auto it = fs::recursive_directory_iterator(data_dir_ + "/ipam", ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec) && keep(it->path().filename().string())) out.push_back(it->path().string());
  }
  return out;
}

std::vector<std::string> Node::all_leases() const {
  return lease_files([](const std::string& n) { return is_v4_name(n) || is_v6_name(n); });
}

std::vector<std::string> Node::leases() const { return lease_files(is_v4_name); }

int Node::leases_of(const std::string& id) const {
  int n = 0;
  for (const auto& f : leases()) {
    auto text = sys::read_file(f);
    if (!text) continue;
    json j = json::parse(*text, nullptr, false);
    if (j.is_object() && j.value("containerID", "") == id) ++n;
  }
  return n;
}

std::vector<std::string> Node::records() const { return sys::list_dir(data_dir_ + "/nr/attachments"); }

json Node::show() const {
  auto r = manage({"show", "--json"});
  ZOS_SHOW(r);
  REQUIRE(r.status == 0);
  return out_json(r);
}

int Node::sh_node(const std::string& cmd) const {
  return sh("/usr/bin/nsenter --net=" + path() + " sh -c '" + cmd + "' >/dev/null 2>&1");
}

bool ping(const std::string& netns_path, const std::string& addr) {
  return sh("nsenter --net=" + netns_path + " ping -c 1 -W 2 " + addr + " >/dev/null 2>&1") == 0;
}

bool ping_retry(const std::string& netns_path, const std::string& addr, int tries) {
  for (int i = 0; i < tries; ++i)
    if (ping(netns_path, addr)) return true;
  return false;
}

namespace {
std::string first_ip(const json& result, bool v6) {
  for (const auto& ipc : result.value("ips", json::array())) {
    std::string a = ipc["address"];
    if ((a.find(':') != std::string::npos) == v6) return a.substr(0, a.find('/'));
  }
  return "";
}
}  // namespace

std::string ip4_of(const json& result) { return first_ip(result, false); }
std::string ip6_of(const json& result) { return first_ip(result, true); }

}  // namespace zos::test::nr
