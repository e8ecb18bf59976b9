// Integration: every input gets a coded answer (issue 12). Deep nesting and
// bytes that are not UTF-8 get a CNI error on stdout, never a crash; a bad
// network object is refused with code 7 naming the field before anything
// is built; an apply that fails after building undoes what it built.
// Nibbles used here: 0bc0 (refused objects), 0bc6 (rollback).
#include <sys/stat.h>

#include "common/wg/wg.h"
#include "nr/nr_support.h"

using namespace zos::test;
using namespace zos::test::nr;

namespace {

// zos-nr inside the node with stdin exactly `in` (any bytes).
Exec raw_cni(const Node& node, const std::map<std::string, std::string>& env, const std::string& in) {
  return run({"/usr/bin/nsenter", "--net=" + node.path(), bin("zos-nr")}, env, in);
}

// A failed call that answered as the protocol wants: status 1 and one JSON
// error (which parses, so it is valid UTF-8) with a code on stdout.
int answered_code(const Exec& r) {
  ZOS_SHOW(r);
  CHECK(r.status == 1);
  json j = json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  REQUIRE(j.contains("code"));
  CHECK_FALSE(j.value("msg", "").empty());
  return j["code"].get<int>();
}

std::string deep(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

// `text` with the JSON string "@X@" replaced by `raw` (bytes json cannot hold).
std::string splice(const json& j, const std::string& raw) {
  std::string s = j.dump();
  auto at = s.find("\"@X@\"");
  REQUIRE(at != std::string::npos);
  return s.replace(at, 5, raw);
}

bool netns_exists(const std::string& n) {
  struct stat st;
  return ::stat(("/run/netns/" + n).c_str(), &st) == 0;
}

json wg_peer(int n, const std::string& priv_b64, const zos::wg::Key& k) {
  json c = {{"ip", "192.0.2.1"}, {"port", 51820}, {"key", zos::wg::key_to_base64(zos::wg::public_key_of(k))}};
  if (!priv_b64.empty()) c["private_key"] = priv_b64;
  return {{"type", 0}, {"prefix", prefix(n)}, {"connection", c}};
}

}  // namespace

TEST_CASE("nr: JSON nested 100,000 deep gets a coded error from stdin, networkFile and apply", "[nr][root][robust]") {
  ZOS_REQUIRE_ROOT();
  Node node("deep");
  auto file = node.write_network(network("t-deep", 0xc0));
  auto env = node.env("ADD", "deep-1", "/run/netns/zt-none", "eth0");

  json inline_conf = node.conf(file);
  inline_conf.erase("networkFile");
  inline_conf["network"] = "@X@";
  CHECK(answered_code(raw_cni(node, env, splice(inline_conf, deep(100000)))) == 6);

  std::string deep_file = node.file("deep.json");
  REQUIRE(sh("printf '{\"network_id\":\"t-deep\",\"x\":' > " + deep_file) == 0);
  REQUIRE(sh("head -c 100000 /dev/zero | tr '\\0' '[' >> " + deep_file) == 0);
  REQUIRE(sh("head -c 100000 /dev/zero | tr '\\0' ']' >> " + deep_file + " && printf '}' >> " + deep_file) == 0);
  auto r = node.cni("ADD", node.conf(deep_file), "deep-2", "/run/netns/zt-none");
  CHECK(answered_code(r) == 7);
  CHECK(msg_of(r).find("nested") != std::string::npos);

  auto a = node.manage({"apply", deep_file, "--node", kNodeId});
  ZOS_SHOW(a);
  CHECK(a.status == 1);
  CHECK(a.err.find("nested") != std::string::npos);
  CHECK_FALSE(netns_exists(nr_netns(0xc0)));
}

TEST_CASE("nr: bytes that are not UTF-8 in stdin fields and CNI_* get a coded error", "[nr][root][robust]") {
  ZOS_REQUIRE_ROOT();
  Node node("utf8");
  auto file = node.write_network(network("t-utf8", 0xc0));
  const std::string bad = "\"a\xff\xfe" "b\"";
  json base = node.conf(file);
  json inline_net = base;
  inline_net.erase("networkFile");
  inline_net["network"] = network("t-utf8", 0xc0);

  std::vector<std::pair<std::string, json>> fields;
  for (const char* k : {"name", "cniVersion", "nodeId"}) {
    json c = base;
    c[k] = "@X@";
    fields.push_back({k, c});
  }
  json p = inline_net;
  p["network"]["resources"][0]["prefix"] = "@X@";
  fields.push_back({"resource prefix", p});
  json ip = base;
  ip["ipam"]["prefix"] = "@X@";
  fields.push_back({"ipam.prefix", ip});
  for (const auto& [what, conf] : fields) {
    INFO(what);
    CHECK(answered_code(raw_cni(node, node.env("ADD", "utf8-1", "/run/netns/zt-none", "eth0"), splice(conf, bad))) ==
          6);
  }
  for (const char* var : {"CNI_CONTAINERID", "CNI_COMMAND", "CNI_IFNAME", "CNI_NETNS"}) {
    INFO(var);
    auto env = node.env("ADD", "utf8-2", "/run/netns/zt-none", "eth0");
    env[var] = std::string("x\xff") + (std::string(var) == "CNI_COMMAND" ? "ADD" : "");
    CHECK(answered_code(raw_cni(node, env, base.dump())) == 4);
  }
  CHECK_FALSE(netns_exists(nr_netns(0xc0)));
}

TEST_CASE("nr: a bad network object is refused with code 7 naming the field, nothing built", "[nr][root][robust]") {
  ZOS_REQUIRE_ROOT();
  Node node("refuse");
  auto own = zos::wg::generate_private_key(), other = zos::wg::generate_private_key();
  std::string own_b64 = zos::wg::key_to_base64(own);
  auto with_exit = [](json x) {
    json n = network("t-refuse", 0xc0);
    n["exit_point"] = std::move(x);
    return n;
  };
  auto with_peers = [&](json peers) {
    json n = network("t-refuse", 0xc0);
    n["resources"][0]["peers"] = std::move(peers);
    return n;
  };
  json two_exits = network("t-refuse", 0xc0);
  two_exits["resources"][0]["exit_point"] = true;
  two_exits["resources"].push_back({{"node_id", {{"id", "node9"}}}, {"prefix", prefix(0xcf)}, {"exit_point", true}});
  json host_bits = network("t-refuse", 0xc0);
  host_bits["resources"][0]["prefix"] = "2a02:1802:5e:bc0::5/64";
  json peer_all = wg_peer(0xc0, own_b64, own);
  peer_all["prefix"] = "::/0";
  std::string key31 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";  // 31 bytes

  struct Case {
    const char* what;
    json net;
    const char* field;
  };
  std::vector<Case> cases = {
      {"ipv6_allow holding IPv4", with_exit({{"ipv6_allow", {"10.0.0.1"}}}), "exit_point.ipv6_allow[0]"},
      {"DNAT to IPv6", with_exit({{"ipv4_dnat", {{{"internal_ip", "::1"}, {"internal_port", 80}, {"external_port", 80}}}}}),
       "exit_point.ipv4_dnat[0].internal_ip"},
      {"DNAT to loopback",
       with_exit({{"ipv4_dnat", {{{"internal_ip", "127.0.0.1"}, {"internal_port", 80}, {"external_port", 80}}}}}),
       "exit_point.ipv4_dnat[0].internal_ip"},
      {"cidr 0.0.0.0/0", with_exit({{"ipv4_conf", {{"cidr", "0.0.0.0/0"}}}}), "exit_point.ipv4_conf.cidr"},
      {"cidr /0", with_exit({{"ipv4_conf", {{"cidr", "203.0.113.10/0"}}}}), "exit_point.ipv4_conf.cidr"},
      {"IPv6 ipv4_conf.cidr", with_exit({{"ipv4_conf", {{"cidr", "2001:db8::10/64"}}}}), "exit_point.ipv4_conf.cidr"},
      {"ipv6_conf.addr ::1/128", with_exit({{"ipv6_conf", {{"addr", "::1/128"}}}}), "exit_point.ipv6_conf.addr"},
      {"two exit resources", two_exits, "resources[1].exit_point"},
      {"prefix with host bits", host_bits, "resources[0].prefix"},
      {"own prefix listed twice", with_peers({wg_peer(0xc0, own_b64, own), wg_peer(0xc0, "", own)}),
       "resources[0].peers[1].prefix"},
      {"bad private key", with_peers({wg_peer(0xc0, "not-a-key", own)}), "resources[0].peers[0].connection.private_key"},
      {"31-byte private key", with_peers({wg_peer(0xc0, key31, own)}), "resources[0].peers[0].connection.private_key"},
      {"peer prefix ::/0", with_peers({wg_peer(0xc0, own_b64, own), peer_all}), "resources[0].peers[1].prefix"},
      {"bad peer key", with_peers({wg_peer(0xc0, own_b64, own), [&] {
                                     json p = wg_peer(0xc1, "", other);
                                     p["connection"]["key"] = "short";
                                     return p;
                                   }()}),
       "resources[0].peers[1].connection.key"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto file = node.write_network(c.net);
    auto r = node.cni("ADD", node.conf(file), "refuse-1", "/run/netns/zt-none");
    CHECK(answered_code(r) == 7);
    CHECK(msg_of(r).find(c.field) != std::string::npos);
    auto a = node.manage({"apply", file, "--node", kNodeId});
    ZOS_SHOW(a);
    CHECK(a.status == 1);
    CHECK(a.err.find(c.field) != std::string::npos);
    CHECK_FALSE(netns_exists(nr_netns(0xc0)));
    CHECK_FALSE(node.has_link(nr_bridge(0xc0)));
  }
  CHECK(msg_of(node.cni("ADD", node.conf(node.write_network(cases[9].net)), "refuse-2", "/run/netns/zt-none"))
            .find("this NR's own entry") != std::string::npos);

  // A relative dataDir would land in whatever folder the runtime runs in.
  auto file = node.write_network(network("t-refuse", 0xc0));
  json rel = node.conf(file);
  std::string rel_dir = "zt-relative-data-" + std::to_string(::getpid());
  rel["dataDir"] = rel_dir;
  auto r = node.cni("ADD", rel, "refuse-3", "/run/netns/zt-none");
  CHECK(answered_code(r) == 7);
  CHECK(msg_of(r).find("dataDir") != std::string::npos);
  struct stat st;
  bool made = ::stat(rel_dir.c_str(), &st) == 0;
  if (made) sh("rm -rf " + rel_dir);  // (in the test's working directory)
  CHECK_FALSE(made);
  CHECK_FALSE(netns_exists(nr_netns(0xc0)));
}

TEST_CASE("nr: an apply that fails after building removes what it built", "[nr][root][robust]") {
  ZOS_REQUIRE_ROOT();
  Node node("rollback");
  json net = network("t-rollback", 0xc6);
  net["resources"][0]["exit_point"] = true;
  net["exit_point"] = {{"ipv4_conf", {{"cidr", "203.0.113.10/24"}, {"iface", "zt-nosuch0"}}}};
  auto file = node.write_network(net);
  auto r = node.cni("ADD", node.conf(file), "rollback-1", "/run/netns/zt-none");
  CHECK(answered_code(r) != 0);
  auto a = node.manage({"apply", file, "--node", kNodeId});
  ZOS_SHOW(a);
  CHECK(a.status == 1);
  CHECK_FALSE(netns_exists(nr_netns(0xc6)));
  CHECK_FALSE(node.has_link(nr_bridge(0xc6)));
  CHECK_FALSE(node.has_link(nr_veth(0xc6)));
  struct stat st;
  CHECK(::stat((node.data_dir() + "/nr/names/" + nr_netns(0xc6)).c_str(), &st) != 0);
  // The same object, fixed, applies.
  net["exit_point"] = json::object();
  net["resources"][0]["exit_point"] = false;
  node.write_network(net);
  auto ok = node.manage({"apply", file, "--node", kNodeId});
  ZOS_SHOW(ok);
  CHECK(ok.status == 0);
}
