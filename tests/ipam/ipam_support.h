// Helpers for the zos-ipam tests: a pool under a temp dataDir and calls of
// the real binary as a runtime makes them (env + stdin).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/sys/file.h"
#include "support/support.h"

namespace zos::test::ipam {

using nlohmann::json;

inline const char* kPrefix = "2a02:1802:5e:10a::/64";

// A pool named `name` in a fresh dataDir.
struct Pool {
  TempDir tmp;
  std::string name = "tnet";
  std::string data_dir = tmp.path();

  // The network config: ipam.prefix set unless `extra_ipam` says otherwise.
  json conf(const std::string& version = "1.1.0", json extra_ipam = json::object()) const {
    json ipam = {{"type", "zos-ipam"}, {"prefix", kPrefix}, {"dataDir", data_dir}};
    for (auto& [k, v] : extra_ipam.items()) {
      if (v.is_null()) ipam.erase(k);
      else ipam[k] = v;
    }
    return {{"cniVersion", version}, {"name", name}, {"type", "zos-ipam"}, {"ipam", ipam}};
  }

  std::string pool_dir() const { return data_dir + "/ipam/" + name + "/10.1.10.0_24"; }

  // Lease files (names that parse as IPv4) in the pool, or in another pool dir.
  std::vector<std::string> lease_files() const { return lease_files_in(pool_dir()); }
  static std::vector<std::string> lease_files_in(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& n : sys::list_dir(dir))
      if (!n.empty() && n[0] >= '0' && n[0] <= '9' && n.find(".tmp-") == std::string::npos) out.push_back(n);
    return out;
  }
  // Overwrites a lease file in place (same inode, as a disk error or a bad
  // hand edit would), so every hard link to it sees the damage.
  void spoil(const std::string& name, const std::string& text = "{\"containerID\": 12") const {
    FILE* f = std::fopen((pool_dir() + "/" + name).c_str(), "r+");
    REQUIRE(f);
    REQUIRE(::ftruncate(::fileno(f), 0) == 0);
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }
  std::vector<std::string> all_files() const { return sys::list_dir(pool_dir()); }
};

inline std::map<std::string, std::string> env(const std::string& cmd, const std::string& id = "c1",
                                              const std::string& ifname = "eth0", const std::string& args = "",
                                              const std::string& netns = "/var/run/netns/x") {
  std::map<std::string, std::string> e{{"CNI_COMMAND", cmd}, {"CNI_PATH", "/opt/cni/bin"}};
  if (cmd == "ADD" || cmd == "DEL" || cmd == "CHECK") {
    e["CNI_CONTAINERID"] = id;
    e["CNI_IFNAME"] = ifname;
    if (!netns.empty()) e["CNI_NETNS"] = netns;
  }
  if (!args.empty()) e["CNI_ARGS"] = args;
  return e;
}

inline Exec call(const std::map<std::string, std::string>& e, const std::string& in) {
  return run({bin("zos-ipam")}, e, in);
}
inline Exec call(const std::map<std::string, std::string>& e, const json& conf) { return call(e, conf.dump()); }

inline Exec add(const Pool& p, const std::string& id = "c1", json conf = nullptr, const std::string& args = "") {
  return call(env("ADD", id, "eth0", args), conf.is_null() ? p.conf() : conf);
}
inline Exec del(const Pool& p, const std::string& id = "c1", json conf = nullptr) {
  return call(env("DEL", id), conf.is_null() ? p.conf() : conf);
}

// The IPv4 address (no length) of a 1.x/0.3+ ADD result.
inline std::string v4_of(const Exec& r) {
  json j = out_json(r);
  for (const auto& ipc : j.value("ips", json::array())) {
    std::string a = ipc["address"];
    if (a.find(':') == std::string::npos) return a.substr(0, a.find('/'));
  }
  return "";
}
inline std::vector<std::string> v6_of(const Exec& r) {
  std::vector<std::string> out;
  json j = out_json(r);
  for (const auto& ipc : j.value("ips", json::array())) {
    std::string a = ipc["address"];
    if (a.find(':') != std::string::npos) out.push_back(a.substr(0, a.find('/')));
  }
  return out;
}

}  // namespace zos::test::ipam
