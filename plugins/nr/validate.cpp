#include "plugins/nr/validate.h"

#include <optional>
#include <unordered_map>

#include "common/cni/error.h"
#include "plugins/nr/keys.h"
#include "model/plan.h"

namespace zos::nr {

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw cni::Error(cni::kInvalidConfig, "network object: " + where + " " + what);
}

std::string at(const std::string& list, size_t i) { return list + "[" + std::to_string(i) + "]"; }

bool is_loopback(const ip::Addr& a) {
  return a.is_v4() ? a[0] == 127 : *ip::Prefix::parse("::1/128") == ip::Prefix(a, 128);
}
bool is_unspecified(const ip::Addr& a) { return a == ip::Addr::v4(0) || a == ip::Addr::v6({}); }
bool is_multicast(const ip::Addr& a) { return a.is_v4() ? (a[0] & 0xf0) == 0xe0 : a[0] == 0xff; }
bool is_link_local_v6(const ip::Addr& a) { return a.is_v6() && a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }

// An address a host or a route can use: not unspecified, loopback or multicast.
void unicast(const ip::Addr& a, int family, const std::string& where) {
  std::string fam = family == 4 ? "IPv4" : "IPv6";
  if (a.family() != family) bad(where, "\"" + a.str() + "\" must be an " + fam + " address");
  if (is_unspecified(a) || is_loopback(a) || is_multicast(a))
    bad(where, "\"" + a.str() + "\" must be a unicast " + fam + " address (not unspecified, loopback or multicast)");
}

// An NR prefix: IPv6 /64, no host bits, names that fit. `where()` names
// the field, made only for an error (a network of N peers: N strings less).
// The names of every /64 are as long as one another (the nibble is four
// digits, allocation_nr the network's; the model takes 0 to 99, so they
// fit): they are checked once, with the first prefix (`names_checked`),
// the one that would fail first.
template <class Where>
void nr_prefix(const ip::Prefix& p, int alloc, const Where& where, bool& names_checked) {
  if (!p.addr().is_v6() || p.len() != 64) bad(where(), "\"" + p.str() + "\" must be an IPv6 /64 (an NR's prefix)");
  if (p.network() != p) bad(where(), "\"" + p.str() + "\" has host bits set: write " + p.network().str());
  if (names_checked) return;
  try {
    model::Plan::of(p, alloc);
  } catch (const cni::Error& e) {
    bad(where(), e.msg());
  }
  names_checked = true;
}

// An exit address (interface address with its length).
void exit_addr(const ip::Prefix& p, int family, const std::string& where) {
  unicast(p.addr(), family, where);
  int max = family == 4 ? 32 : 128;
  if (p.len() == 0 || p.len() > max)
    bad(where, "\"" + p.str() + "\" needs a length from 1 to " + std::to_string(max) + " (the subnet of the uplink)");
  if (family == 6 && is_link_local_v6(p.addr())) bad(where, "\"" + p.str() + "\" is link-local: give a global address");
}

void exit_point(const model::ExitPoint& x) {
  const std::string w = "exit_point";
  if (const auto& c = x.ipv4_conf) {
    if (c->cidr) exit_addr(*c->cidr, 4, w + ".ipv4_conf.cidr");
    if (c->gateway) unicast(*c->gateway, 4, w + ".ipv4_conf.gateway");
    if (c->cidr && c->gateway && !c->cidr->contains(*c->gateway))
      bad(w + ".ipv4_conf.gateway", "\"" + c->gateway->str() + "\" is not in " + c->cidr->network().str());
  }
  if (const auto& c = x.ipv6_conf) {
    if (c->addr) exit_addr(*c->addr, 6, w + ".ipv6_conf.addr");
    if (c->gateway) unicast(*c->gateway, 6, w + ".ipv6_conf.gateway");
  }
  for (size_t i = 0; i < x.ipv4_dnat.size(); ++i) {
    const auto& d = x.ipv4_dnat[i];
    std::string dw = at(w + ".ipv4_dnat", i);
    unicast(d.internal_ip, 4, dw + ".internal_ip");
    if (!d.external_ip.empty()) unicast(d.external_ip, 4, dw + ".external_ip");
    if (d.external_port == 0) bad(dw + ".external_port", "is required (1-65535)");
    if (d.internal_port == 0) bad(dw + ".internal_port", "is required (1-65535)");
  }
  for (size_t i = 0; i < x.ipv6_allow.size(); ++i) unicast(x.ipv6_allow[i], 6, at(w + ".ipv6_allow", i));
}

// The first index each prefix was seen at: the duplicate checks of a
// network of N peers in O(N), not N²/2 comparisons (500,000 at 1000 peers).
class FirstSeen {
 public:
  // The earlier index of `p`, or nullopt (and `p` is recorded at `i`).
  std::optional<size_t> earlier(const ip::Prefix& p, size_t i) {
    auto [it, fresh] = seen_.try_emplace(p, i);
    return fresh ? std::nullopt : std::optional<size_t>(it->second);
  }

 private:
  struct Hash {
    size_t operator()(const ip::Prefix& p) const {
      uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(p.family() * 256 + p.len());
      for (size_t i = 0; i < p.addr().size(); ++i) h = (h ^ p.addr()[i]) * 1099511628211ull;
      return static_cast<size_t>(h);
    }
  };
  std::unordered_map<ip::Prefix, size_t, Hash> seen_;
};

template <class Where>
void key(const std::string& b64, const Where& where) {
  if (!key_from_text(b64))
    bad(where(), "is not a WireGuard key (32 bytes in base64, 44 characters ending in '=')");
}

}  // namespace

void validate(const Node& node, const model::Network& net, const model::NetResource& own) {
  const model::NetResource* exit = nullptr;
  size_t own_index = 0;  // in messages: `own` may be a copy, found by node as resource_of finds it
  bool own_found = false;
  FirstSeen nr_prefixes;
  bool names_checked = false;
  for (size_t i = 0; i < net.resources.size(); ++i) {
    const auto& r = net.resources[i];
    std::string rw = at("resources", i);
    nr_prefix(r.prefix, net.allocation_nr, [&] { return rw + ".prefix"; }, names_checked);
    if (r.exit_point) {
      if (exit) bad(rw + ".exit_point", "is set, but " + exit->node_id.id + " is the exit already: a network has one");
      exit = &r;
    }
    if (auto k = nr_prefixes.earlier(r.prefix, i))
      bad(rw + ".prefix", "\"" + r.prefix.str() + "\" is the prefix of " + at("resources", *k) + " too");
    if (r.node_id.id == own.node_id.id && !own_found) own_index = i, own_found = true;
  }
  if (net.exit_point) exit_point(*net.exit_point);

  std::string rw = at("resources", own_index);
  FirstSeen peer_prefixes;
  for (size_t k = 0; k < own.peers.size(); ++k) {
    const auto& p = own.peers[k];
    auto pw = [&] { return at(rw + ".peers", k); };
    nr_prefix(p.prefix, net.allocation_nr, [&] { return pw() + ".prefix"; }, names_checked);
    if (auto m = peer_prefixes.earlier(p.prefix, k))
      bad(pw() + ".prefix", "\"" + p.prefix.str() + "\" is listed already as " + at(rw + ".peers", *m) +
                              (p.prefix == own.prefix ? " (this NR's own entry): list it once" : ": list each peer once"));
    if (p.prefix == own.prefix) {
      // The NR's own entry: its private key is base64 or hex of a box sealed
      // to the node, which own_private_key() opens before anything is built.
      const auto& pk = p.connection.private_key;
      if (node.key_file.empty() && !pk.empty() && pk.find_first_not_of("0123456789abcdefABCDEF \t\r\n") != std::string::npos)
        key(pk, [&] { return pw() + ".connection.private_key"; });
      continue;
    }
    if (p.type != 0) continue;  // not WireGuard: apply skips it
    key(p.connection.key, [&] { return pw() + ".connection.key"; });
  }
}

}  // namespace zos::nr
