// Helpers for the zos-nr integration tests: a "node" network namespace of
// our own (zt-nr-<pid>-<tag>) in which zos-nr runs (through nsenter), its
// dataDir, network objects, container namespaces, and the checks the tests
// make (host veths, leases, attachment records, ping).
//
// Isolation: every namespace made here is zt-nr-<pid>-...; every NR uses a
// prefix 2a02:1802:5e:bXX::/64 (nibble 0bXX), so its names are net-0bXX-N,
// br-0bXX-N, veth-0bXX-N. Each test case picks its own XX (see the table at
// the top of each test file) so test cases can run in parallel processes.
// The Node destructor removes every NR (`zos-nr delete`), container netns,
// the node netns and the dataDir, also when the test fails.
#pragma once

#include <nlohmann/json.hpp>
#include <list>
#include <map>
#include <string>
#include <vector>

#include "support/netns.h"
#include "support/support.h"

namespace zos::test::nr {

using nlohmann::json;

inline constexpr const char* kNodeId = "node1";

// Two hex digits of `n` (0..255).
std::string hex2(int n);
// "2a02:1802:5e:bXX::/64" for nibble 0x0b00 + n.
std::string prefix(int n);
// "2a02:1802:5e:bXX::1" (the NR router's IPv6).
std::string router6(int n);
// "10.11.n.1" (the NR router's IPv4).
std::string router4(int n);
// net-0bXX-A, br-0bXX-A, veth-0bXX-A.
std::string nr_netns(int n, int alloc = 0);
std::string nr_bridge(int n, int alloc = 0);
std::string nr_veth(int n, int alloc = 0);

// A network object with one resource (this node's) on nibble n.
json network(const std::string& id, int n, uint64_t version = 1, int alloc = 0);

// The environment zos-nr gets from these tests: PATH, plus ZOS_LOG_LEVEL and
// ZOS_LOG_FILE when the test process has them (the qemu guest test collects
// zos-nr's info log that way).
std::map<std::string, std::string> tool_env();

// The WireGuard backend zos-nr must have picked: $ZOS_TEST_WG_BACKEND when set
// (the qemu guest insists on "kernel"), else what this kernel offers.
std::string expected_wg_backend();
// What the link `link` in namespace `netns` is: "kernel" (link kind
// wireguard), "userspace" (a TUN device, wireguard-go), "absent" or "unknown".
std::string wg_backend_of(const std::string& netns, const std::string& link);

// A name unique to this test process: zt-nr-<pid>-<tag> (the shared
// fixture's name in area "nr").
inline std::string ns_name(const std::string& tag) { return netns_name("nr", tag); }

class Node {
 public:
  // `node_id` is the nodeId of its configs and the --node of its cleanup.
  // The node's public namespace is <name>-pub: it exists only when a test
  // makes it (public_ns()); never the machine's own `public`.
  explicit Node(const std::string& tag = "node", std::string node_id = kNodeId);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return ns_.name(); }
  const std::string& id() const { return id_; }
  std::string public_ns() const { return name() + "-pub"; }
  std::string path() const { return ns_.path(); }
  const std::string& data_dir() const { return data_dir_; }
  std::string file(const std::string& n) const { return tmp_ / n; }

  // Writes the network object to <tmp>/<network_id>.json (or `file_name`),
  // registers its NR for removal at the end and clears a leftover NR netns of
  // an earlier, crashed run. Returns the path.
  std::string write_network(const json& net, const std::string& file_name = "");

  // The zos-nr network config for `network_file`.
  json conf(const std::string& network_file, const std::string& version = "1.1.0",
            const std::string& name = "zosnet") const;

  // A fresh container namespace zt-nr-<pid>-<tag>, loopback up; its path.
  std::string container(const std::string& tag);
  // Removes a container namespace now (ip netns del).
  void drop_container(const std::string& path);

  // Runs a CNI verb of zos-nr inside the node. `netns` "" leaves CNI_NETNS out.
  Exec cni(const std::string& cmd, const json& conf, const std::string& id = "", const std::string& netns = "",
           const std::string& ifname = "eth0", const std::map<std::string, std::string>& extra = {}) const;
  // Runs another CNI plugin (absolute path) inside the node, same env as cni().
  Exec plugin(const std::string& path, const std::string& cmd, const json& conf, const std::string& id = "",
              const std::string& netns = "", const std::string& ifname = "eth0",
              const std::map<std::string, std::string>& extra = {}) const;
  // Runs `zos-nr <args...> --data-dir <dataDir>` inside the node.
  // `env`: added to tool_env() (ZOS_NFT, ZOS_LOG_LEVEL).
  Exec manage(std::vector<std::string> args, bool with_data_dir = true,
              const std::map<std::string, std::string>& env = {}) const;

  // The environment a runtime gives the plugin.
  std::map<std::string, std::string> env(const std::string& cmd, const std::string& id, const std::string& netns,
                                         const std::string& ifname) const;

  // Host-side veths of containers (zv...) in the node.
  std::vector<std::string> host_veths() const;
  // True when the link exists in the node.
  bool has_link(const std::string& link) const;
  // Lease files (names that are IPv4 addresses) anywhere under dataDir/ipam.
  std::vector<std::string> leases() const;
  // Every reservation file under dataDir/ipam: IPv4 leases and IPv6 names.
  std::vector<std::string> all_leases() const;
  // Lease files naming containerID `id`.
  int leases_of(const std::string& id) const;
  // Attachment records under dataDir/nr/attachments.
  std::vector<std::string> records() const;
  // `zos-nr show --json`.
  json show() const;

  // Runs a shell command inside the node namespace (nsenter); exit status.
  int sh_node(const std::string& cmd) const;

 private:
  Netns ns_;  // the node; declared first, so it goes last
  std::string id_;
  TempDir tmp_;
  std::string data_dir_;
  std::vector<std::string> net_files_;  // NRs to delete at the end
  std::vector<std::string> nr_names_;   // their namespaces, removed if delete fails
  std::list<Netns> containers_;

  std::vector<std::string> lease_files(bool (*keep)(const std::string&)) const;
};

// True when one ping from the container namespace (path /run/netns/<x>) to
// `addr` is answered.
bool ping(const std::string& netns_path, const std::string& addr);
// Like ping(), up to `tries` times: across WireGuard the first packets wait
// for the handshake.
bool ping_retry(const std::string& netns_path, const std::string& addr, int tries = 5);

// The container's first IPv4 / IPv6 (no length) in a 0.3.0+ result.
std::string ip4_of(const json& result);
std::string ip6_of(const json& result);

}  // namespace zos::test::nr
