// The 0-OS network object: the document the grid hands to every node of a
// tenant network. It is read as 0-OS's own decoders read it (fields.h, and
// modules/network_encoding.go of threefoldtech/zos): peer type "wireguard",
// reachability "public"/"hidden", "Connection", "<nil>" IPs, "addr/len"
// prefixes; also the forms of its older struct tags (Go's {"IP","Mask"}
// prefixes, "PrefixZero", the "cird" typo, integer enums).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/ip/ip.h"
#include "common/sys/json.h"

namespace zos::model {

struct NodeId {
  std::string id;
  std::string farmer_id;
  // reachability_v4: "public" (1) or "hidden" (0); reachability_v6: "public"
  // (1) or "hidden"/"ula" (0). Absent or "": hidden, Go's zero value, which
  // is what 0-OS reads then (docs/decisions.md "Reachability").
  bool public_v4 = false;
  bool public_v6 = false;
};

struct WgConnection {
  std::optional<ip::Addr> ip;  // endpoint; none for a hidden node
  uint16_t port = 0;
  std::string key;          // public key, base64
  // Only on the entry of the NR itself: base64, or (0-OS) hex of a NaCl
  // sealed box to the node's identity key (plugins/nr/keys.h opens it).
  std::string private_key;
};

struct Peer {
  int type = 0;  // 0 = wireguard (JSON: "wireguard" or 0)
  ip::Prefix prefix;
  WgConnection connection;
};

struct NetResource {
  NodeId node_id;
  ip::Prefix prefix;  // the NR's IPv6 /64
  std::optional<ip::Prefix> link_local;
  std::vector<Peer> peers;
  bool exit_point = false;
  int exit_nr = 0;  // exit_point as an integer: 0-OS's exit node number (0 when a bool)
};

struct Ipv4Conf {
  std::optional<ip::Prefix> cidr;
  std::optional<ip::Addr> gateway;
  uint32_t metric = 0;
  std::string iface;
  bool enable_nat = false;
};

struct Ipv4Dnat {
  ip::Addr internal_ip;
  uint16_t internal_port = 0;
  ip::Addr external_ip;
  uint16_t external_port = 0;
  std::string protocol;  // tcp / udp
};

struct Ipv6Conf {
  std::optional<ip::Prefix> addr;  // global: a link-local one from 0-OS is replaced (derive_exit_v6)
  std::optional<ip::Addr> gateway;
  uint32_t metric = 0;
  std::string iface;
  // Set when addr was derived: 0-OS's link-local of its gateway's uplink,
  // fe80::<exit nr>000:0:0:1/64, which upstream routers may route to.
  std::optional<ip::Prefix> link_local;
};

struct ExitPoint {
  std::optional<Ipv4Conf> ipv4_conf;
  std::vector<Ipv4Dnat> ipv4_dnat;
  std::optional<Ipv6Conf> ipv6_conf;
  std::vector<ip::Addr> ipv6_allow;
};

struct Network {
  std::string network_id;
  uint64_t version = 0;
  int allocation_nr = 0;
  std::optional<ip::Prefix> prefix_zero;
  std::vector<NetResource> resources;
  std::optional<ExitPoint> exit_point;
  sys::SharedJson raw;  // the document as read (shared by copies)

  // Reads a network object; throws cni::Error(7) naming the bad field.
  static Network parse(const nlohmann::json& j);
  static Network parse(nlohmann::json&& j);  // the same, `raw` moved from `j`
  // The NR of `node_id`, or nullptr.
  const NetResource* resource_of(const std::string& node_id) const;
  // The NR marked exit_point, or nullptr.
  const NetResource* exit_resource() const;

 private:
  static Network parse_fields(const nlohmann::json& j);  // all but `raw`
};

// Where a plugin's config says the network object is: `network` inline,
// `networkFile`, or `networksDir` + CNI_ARGS ZOS_NETWORK=<network_id>.
struct NetworkSource {
  std::optional<nlohmann::json> inline_object;
  std::string file;
  std::string dir;
  std::string selected_id;  // ZOS_NETWORK from CNI_ARGS, for `dir`
  std::string node_id;
  bool configured() const { return inline_object || !file.empty() || !dir.empty(); }
};

// Loads the object a source points to; cni::Error(7) when it is missing or
// malformed, with the path and the fix in the message.
Network load_network(const NetworkSource& src);

// The exit block as 0-OS's builder writes it (modules/tno) holds only
// link-local addresses: ipv6_conf.addr fe80::<nibble>:1/64, the exit NR's end
// of 0-OS's veth to its gateway namespace, whose uplink gets the public
// address prefix_zero[0:6]:0:<exit nr << 12>::1/64 (GWPubIP6). zos-cni's
// exit NR is its own gateway: such an addr is replaced by that address, and
// ipv6_conf.link_local set to 0-OS's fe80::<exit nr << 12>:0:0:1/64
// (GWPubLL). cni::Error(7) saying what is missing when it cannot be derived.
// Called by Network::parse.
void derive_exit_v6(Network& n);

// Parses the exit_point block (exit_point.cpp).
ExitPoint parse_exit(const nlohmann::json& e);

}  // namespace zos::model
