// The CNI result in one canonical shape (the 1.1.0 one), read from and
// written to every spec version: 0.1.0/0.2.0 (ip4/ip6), 0.3.x/0.4.0
// (interfaces, ips with "version"), 1.0.0 and 1.1.0.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/ip/ip.h"

namespace zos::cni {

struct Interface {
  std::string name;
  std::string mac;
  std::string sandbox;
  std::optional<int> mtu;   // 1.1.0
  std::string socket_path;  // 1.1.0
  std::string pci_id;       // 1.1.0
  bool operator==(const Interface&) const = default;
};

struct IPConfig {
  ip::Prefix address;  // the address with its subnet length: 10.1.10.2/24
  std::optional<ip::Addr> gateway;
  std::optional<int> interface;  // index into Result::interfaces
  bool operator==(const IPConfig&) const = default;
};

struct Route {
  ip::Prefix dst;
  std::optional<ip::Addr> gw;
  std::optional<int> mtu, advmss, priority, table, scope;  // 1.1.0
  bool operator==(const Route&) const = default;
};

struct DNS {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
  bool empty() const { return nameservers.empty() && domain.empty() && search.empty() && options.empty(); }
  bool operator==(const DNS&) const = default;
  // Reads a DNS object ({nameservers, domain, search, options}); Error(6/7).
  static DNS parse(const nlohmann::json& j);
  nlohmann::json to_json() const;
};

struct Result {
  std::vector<Interface> interfaces;
  std::vector<IPConfig> ips;
  std::vector<Route> routes;
  DNS dns;
  bool operator==(const Result&) const = default;

  // Reads a result written in `version`. Error(1) for an unknown version,
  // Error(6) naming the field for anything malformed.
  static Result parse(const nlohmann::json& j, const std::string& version);
  // Writes it in `version` (fields the version lacks are dropped; an empty
  // dns is left out). Error(1) for an unknown version.
  nlohmann::json to_json(const std::string& version) const;
};

}  // namespace zos::cni
