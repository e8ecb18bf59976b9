// NIC discovery for the uplink: which links of the node may carry it, and
// the small per-link facts the probe needs (carrier, original state).
#pragma once

#include <string>
#include <vector>

#include "common/net/link.h"
#include "plugins/bootstrap/config.h"

namespace zos::bootstrap {

struct Skipped {
  std::string nic;
  std::string why;  // "loopback", "virtual (veth)", "bridge", "denied", "enslaved to br0"
};

struct Discovery {
  std::vector<nl::LinkInfo> candidates;  // in probe order
  std::vector<Skipped> skipped;
};

// Candidates: with an allow list, exactly the listed links in that order
// (virtual links included: naming them is the way to use them); a listed
// name that does not exist, or that is a bridge, is a ConfigError. Without
// one, every plain device (no link kind, an Ethernet address) by name,
// skipping loopback, virtual links, bridges, links enslaved elsewhere.
// Denied links are skipped either way.
Discovery discover(nl::Socket& s, const UplinkConfig& c);

// IFF_LOWER_UP: the link has carrier.
bool has_carrier(nl::Socket& s, int index);

// What a NIC looked like before the probe touched it, to put it back.
struct NicState {
  int index = 0;
  std::string name;
  bool up = false;
  std::string disable_ipv6;  // "" when the sysctl is not there
};
NicState save_state(nl::Socket& s, const nl::LinkInfo& l);
// Detaches the NIC from any master and restores its admin state and IPv6.
void restore_state(nl::Socket& s, const NicState& st);

}  // namespace zos::bootstrap
