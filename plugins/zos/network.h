// The 0-OS network object: the document the grid hands to every node of a
// tenant network. Field names follow 0-OS so an object written for 0-OS is
// read as is (including Go's {"IP","Mask"} prefixes and the "cird" typo).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/ip/ip.h"

namespace zos::model {

struct NodeId {
  std::string id;
  std::string farmer_id;
  bool public_v4 = true;  // reachability_v4: "public" (1) or "hidden" (0)
  bool public_v6 = true;  // reachability_v6: "public" (1) or "ula"/"hidden" (0)
};

struct WgConnection {
  std::optional<ip::Addr> ip;  // endpoint; none for a hidden node
  uint16_t port = 0;
  std::string key;          // public key, base64
  std::string private_key;  // only on the entry of the NR itself, base64
};

struct Peer {
  int type = 0;  // 0 = wireguard
  ip::Prefix prefix;
  WgConnection connection;
};

struct NetResource {
  NodeId node_id;
  ip::Prefix prefix;  // the NR's IPv6 /64
  std::optional<ip::Prefix> link_local;
  std::vector<Peer> peers;
  bool exit_point = false;
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
  std::optional<ip::Prefix> addr;
  std::optional<ip::Addr> gateway;
  uint32_t metric = 0;
  std::string iface;
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
  nlohmann::json raw;  // the document as read

  // Reads a network object; throws cni::Error(7) naming the bad field.
  static Network parse(const nlohmann::json& j);
  // The NR of `node_id`, or nullptr.
  const NetResource* resource_of(const std::string& node_id) const;
  // The NR marked exit_point, or nullptr.
  const NetResource* exit_resource() const;
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

}  // namespace zos::model
