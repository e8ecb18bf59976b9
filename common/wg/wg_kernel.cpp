// Kernel backend: rtnetlink for the link, generic netlink "wireguard" for the
// device. See wg_kernel.h.
#include "common/wg/wg_kernel.h"

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "common/net/link.h"
#include "common/net/link_internal.h"

namespace zos::wg {
namespace kernel {

size_t message_budget() {
  const long page = ::sysconf(_SC_PAGESIZE);
  return static_cast<size_t>(std::min<long>(page > 0 ? page : 4096, 8192));
}

namespace {

bool put_key(nl_msg* m, int type, const Key& k) { return nla_put(m, type, static_cast<int>(k.size()), k.data()) == 0; }

bool put_endpoint(nl_msg* m, const Endpoint& e) {
  if (e.addr.is_v4()) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(e.port);
    std::memcpy(&sa.sin_addr, e.addr.data(), 4);
    return nla_put(m, WGPEER_A_ENDPOINT, sizeof sa, &sa) == 0;
  }
  if (e.addr.is_v6()) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(e.port);
    std::memcpy(&sa.sin6_addr, e.addr.data(), 16);
    return nla_put(m, WGPEER_A_ENDPOINT, sizeof sa, &sa) == 0;
  }
  throw std::invalid_argument("wireguard endpoint without an address");
}

// One allowed IP as a nested attribute; false (and nothing left behind) when
// it does not fit.
bool put_allowed_ip(nl_msg* m, const ip::Prefix& p) {
  if (p.family() != 4 && p.family() != 6) throw std::invalid_argument("wireguard allowed IP without an address");
  nlattr* nest = nla_nest_start(m, 0);
  if (!nest) return false;
  const bool ok = nla_put_u16(m, WGALLOWEDIP_A_FAMILY, p.family() == 4 ? AF_INET : AF_INET6) == 0 &&
                  nla_put(m, WGALLOWEDIP_A_IPADDR, static_cast<int>(p.addr().size()), p.addr().data()) == 0 &&
                  nla_put_u8(m, WGALLOWEDIP_A_CIDR_MASK, static_cast<uint8_t>(p.len())) == 0;
  if (!ok) {
    nla_nest_cancel(m, nest);
    return false;
  }
  nla_nest_end(m, nest);
  return true;
}

// Peer header: the public key, and on the first part of a peer its flags,
// keys and settings; a continuation carries only UPDATE_ONLY (the peer was
// created by the first part).
bool put_peer_header(nl_msg* m, const PeerConfig& p, bool continuation) {
  if (!put_key(m, WGPEER_A_PUBLIC_KEY, p.public_key)) return false;
  if (continuation) return nla_put_u32(m, WGPEER_A_FLAGS, WGPEER_F_UPDATE_ONLY) == 0;
  uint32_t flags = 0;
  if (p.remove) flags |= WGPEER_F_REMOVE_ME;
  if (p.update_only) flags |= WGPEER_F_UPDATE_ONLY;
  if (p.replace_allowed_ips && !p.remove) flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
  if (flags && nla_put_u32(m, WGPEER_A_FLAGS, flags) != 0) return false;
  if (p.remove) return true;
  if (p.preshared_key && !put_key(m, WGPEER_A_PRESHARED_KEY, *p.preshared_key)) return false;
  if (p.endpoint && !put_endpoint(m, *p.endpoint)) return false;
  if (p.keepalive && nla_put_u16(m, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, *p.keepalive) != 0) return false;
  return true;
}

nl::MsgPtr start_message(const DeviceConfig& cfg, int family, size_t budget, bool first) {
  nl::MsgPtr m(nlmsg_alloc_size(budget));
  if (!m) throw std::bad_alloc();
  if (!genlmsg_put(m.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_REQUEST | NLM_F_ACK, WG_CMD_SET_DEVICE,
                   WG_GENL_VERSION) ||
      nla_put_string(m.get(), WGDEVICE_A_IFNAME, cfg.name.c_str()) != 0)
    throw std::invalid_argument("wireguard message budget " + std::to_string(budget) + " is too small");
  if (!first) return m;
  bool ok = true;
  if (cfg.private_key) ok = ok && put_key(m.get(), WGDEVICE_A_PRIVATE_KEY, *cfg.private_key);
  if (cfg.listen_port) ok = ok && nla_put_u16(m.get(), WGDEVICE_A_LISTEN_PORT, *cfg.listen_port) == 0;
  if (cfg.fwmark) ok = ok && nla_put_u32(m.get(), WGDEVICE_A_FWMARK, *cfg.fwmark) == 0;
  if (cfg.replace_peers) ok = ok && nla_put_u32(m.get(), WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS) == 0;
  if (!ok) throw std::invalid_argument("wireguard message budget " + std::to_string(budget) + " is too small");
  return m;
}

}  // namespace

std::vector<nl::MsgPtr> build_set_device(const DeviceConfig& cfg, int family, size_t budget) {
  if (cfg.name.empty() || cfg.name.size() >= 16) throw std::invalid_argument("bad wireguard link name '" + cfg.name + "'");
  std::vector<nl::MsgPtr> out;
  size_t pi = 0;  // next peer to send
  size_t ai = 0;  // its next allowed IP (> 0: the peer continues from the previous message)
  bool first = true;
  for (;;) {
    nl::MsgPtr m = start_message(cfg, family, budget, first);
    first = false;
    if (pi == cfg.peers.size()) {
      out.push_back(std::move(m));
      break;
    }
    nlattr* peers = nla_nest_start(m.get(), WGDEVICE_A_PEERS);
    size_t in_msg = 0;  // peers (or peer parts) in this message
    while (peers && pi < cfg.peers.size()) {
      const PeerConfig& p = cfg.peers[pi];
      nlattr* peer = nla_nest_start(m.get(), 0);
      if (!peer) break;
      if (!put_peer_header(m.get(), p, ai > 0)) {
        nla_nest_cancel(m.get(), peer);
        break;
      }
      const size_t n_ips = p.remove ? 0 : p.allowed_ips.size();
      if (ai < n_ips) {
        nlattr* ips = nla_nest_start(m.get(), WGPEER_A_ALLOWEDIPS);
        size_t put = 0;
        while (ips && ai < n_ips && put_allowed_ip(m.get(), p.allowed_ips[ai])) ++ai, ++put;
        if (put == 0) {  // not even one fits: the whole peer (part) moves on
          nla_nest_cancel(m.get(), peer);
          break;
        }
        nla_nest_end(m.get(), ips);
      }
      nla_nest_end(m.get(), peer);
      ++in_msg;
      if (ai < n_ips) break;  // the rest of its allowed IPs go in the next message
      ++pi;
      ai = 0;
    }
    if (in_msg == 0) {
      if (peers) nla_nest_cancel(m.get(), peers);
      // Nothing of the next peer fits even in a fresh message.
      if (!out.empty())
        throw std::invalid_argument("wireguard message budget " + std::to_string(budget) + " cannot hold one peer");
      // The first message is full of device attributes only: send it alone.
      out.push_back(std::move(m));
      continue;
    }
    nla_nest_end(m.get(), peers);
    out.push_back(std::move(m));
    if (pi == cfg.peers.size()) break;
  }
  return out;
}

namespace {

std::optional<Endpoint> parse_endpoint(const nlattr* a) {
  const int len = nla_len(a);
  const auto* data = static_cast<const uint8_t*>(nla_data(a));
  if (len >= static_cast<int>(sizeof(sockaddr_in))) {
    sa_family_t fam;
    std::memcpy(&fam, data, sizeof fam);
    if (fam == AF_INET) {
      sockaddr_in sa;
      std::memcpy(&sa, data, sizeof sa);
      return Endpoint{ip::Addr::v4(ntohl(sa.sin_addr.s_addr)), ntohs(sa.sin_port)};
    }
    if (fam == AF_INET6 && len >= static_cast<int>(sizeof(sockaddr_in6))) {
      sockaddr_in6 sa;
      std::memcpy(&sa, data, sizeof sa);
      std::array<uint8_t, 16> b;
      std::memcpy(b.data(), &sa.sin6_addr, 16);
      return Endpoint{ip::Addr::v6(b), ntohs(sa.sin6_port)};
    }
  }
  return std::nullopt;
}

std::optional<ip::Prefix> parse_allowed_ip(nlattr* a) {
  nlattr* tb[WGALLOWEDIP_A_MAX + 1] = {};
  if (nla_parse_nested(tb, WGALLOWEDIP_A_MAX, a, nullptr) < 0) return std::nullopt;
  if (!tb[WGALLOWEDIP_A_FAMILY] || !tb[WGALLOWEDIP_A_IPADDR] || !tb[WGALLOWEDIP_A_CIDR_MASK]) return std::nullopt;
  const int fam = nla_get_u16(tb[WGALLOWEDIP_A_FAMILY]);
  const int cidr = nla_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]);
  const auto* d = static_cast<const uint8_t*>(nla_data(tb[WGALLOWEDIP_A_IPADDR]));
  const int len = nla_len(tb[WGALLOWEDIP_A_IPADDR]);
  if (fam == AF_INET && len == 4 && cidr <= 32)
    return ip::Prefix(ip::Addr::v4(uint32_t{d[0]} << 24 | uint32_t{d[1]} << 16 | uint32_t{d[2]} << 8 | d[3]), cidr);
  if (fam == AF_INET6 && len == 16 && cidr <= 128) {
    std::array<uint8_t, 16> b;
    std::memcpy(b.data(), d, 16);
    return ip::Prefix(ip::Addr::v6(b), cidr);
  }
  return std::nullopt;
}

std::optional<Key> get_key(const nlattr* a) {
  if (!a || nla_len(a) != 32) return std::nullopt;
  Key k;
  std::memcpy(k.data(), nla_data(a), 32);
  return k;
}

void parse_peer(nlattr* a, DeviceState& st) {
  nlattr* tb[WGPEER_A_MAX + 1] = {};
  if (nla_parse_nested(tb, WGPEER_A_MAX, a, nullptr) < 0) return;
  auto key = get_key(tb[WGPEER_A_PUBLIC_KEY]);
  if (!key) return;
  // A peer split over two reply parts arrives twice in a row.
  if (st.peers.empty() || st.peers.back().public_key != *key) {
    st.peers.emplace_back();
    st.peers.back().public_key = *key;
  }
  PeerState& p = st.peers.back();
  if (tb[WGPEER_A_ENDPOINT]) p.endpoint = parse_endpoint(tb[WGPEER_A_ENDPOINT]);
  if (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL])
    p.keepalive = nla_get_u16(tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
  if (tb[WGPEER_A_LAST_HANDSHAKE_TIME] && nla_len(tb[WGPEER_A_LAST_HANDSHAKE_TIME]) >= 16) {
    int64_t ts[2];
    std::memcpy(ts, nla_data(tb[WGPEER_A_LAST_HANDSHAKE_TIME]), sizeof ts);
    p.last_handshake = handshake_time(ts[0], ts[1]);
  }
  if (tb[WGPEER_A_RX_BYTES]) p.rx_bytes = nla_get_u64(tb[WGPEER_A_RX_BYTES]);
  if (tb[WGPEER_A_TX_BYTES]) p.tx_bytes = nla_get_u64(tb[WGPEER_A_TX_BYTES]);
  if (tb[WGPEER_A_ALLOWEDIPS]) {
    nlattr* ip;
    int rem;
    nla_for_each_nested(ip, tb[WGPEER_A_ALLOWEDIPS], rem) {
      if (auto pfx = parse_allowed_ip(ip)) p.allowed_ips.push_back(*pfx);
    }
  }
}

}  // namespace

void parse_device_part(const nlmsghdr* hdr, DeviceState& st) {
  nlattr* tb[WGDEVICE_A_MAX + 1] = {};
  if (genlmsg_parse(const_cast<nlmsghdr*>(hdr), 0, tb, WGDEVICE_A_MAX, nullptr) < 0) return;
  if (tb[WGDEVICE_A_IFNAME]) st.name = nla_get_string(tb[WGDEVICE_A_IFNAME]);
  if (tb[WGDEVICE_A_PRIVATE_KEY]) st.has_private_key = true;  // never copied
  if (auto k = get_key(tb[WGDEVICE_A_PUBLIC_KEY])) st.public_key = k;
  if (tb[WGDEVICE_A_LISTEN_PORT]) st.listen_port = nla_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
  if (tb[WGDEVICE_A_FWMARK]) st.fwmark = nla_get_u32(tb[WGDEVICE_A_FWMARK]);
  if (tb[WGDEVICE_A_PEERS]) {
    nlattr* peer;
    int rem;
    nla_for_each_nested(peer, tb[WGDEVICE_A_PEERS], rem) parse_peer(peer, st);
  }
}

}  // namespace kernel

namespace {

using LastError = nl::KernelError;

// A generic netlink socket in the calling thread's namespace, resolved to the
// "wireguard" family.
class GenlSocket {
 public:
  GenlSocket() : sock_(nl_socket_alloc()) {
    if (!sock_) throw nl::NlError(NLE_NOMEM, ENOMEM, "allocate generic netlink socket");
    int rc = genl_connect(sock_.get());
    if (rc < 0) throw nl::NlError(-rc, 0, "connect NETLINK_GENERIC");
    int one = 1;
    const int fd = nl_socket_get_fd(sock_.get());
    ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    nl_socket_disable_auto_ack(sock_.get());
    nl_socket_modify_err_cb(sock_.get(), NL_CB_CUSTOM, nl::record_kernel_error, &last_);
    family_ = genl_ctrl_resolve(sock_.get(), WG_GENL_NAME);
    last_ = {};
  }
  bool resolved() const { return family_ >= 0; }
  int family(const std::string& what) const {
    if (family_ < 0)
      throw nl::NlError(-family_, EOPNOTSUPP, what, "the kernel has no generic netlink family \"wireguard\"");
    return family_;
  }
  nl_sock* get() const { return sock_.get(); }

  void check(int rc, const std::string& what) {
    LastError last = std::exchange(last_, {});
    if (rc >= 0) return;
    throw nl::NlError(-rc, last.err, what, last.ext);
  }

 private:
  nl::SockPtr sock_;
  LastError last_;
  int family_ = -1;
};

int on_device_part(nl_msg* msg, void* arg) {
  kernel::parse_device_part(nlmsg_hdr(msg), *static_cast<DeviceState*>(arg));
  return NL_OK;
}

}  // namespace

bool KernelBackend::available() {
  try {
    return GenlSocket().resolved();
  } catch (const nl::NlError&) {
    return false;
  }
}

bool KernelBackend::create(const std::string& name) {
  nl::Socket s;
  nl::LinkPtr l(rtnl_link_alloc());
  if (!l) throw nl::NlError(NLE_NOMEM, ENOMEM, "add wireguard link " + name);
  rtnl_link_set_name(l.get(), name.c_str());
  // libnl keeps an unknown kind as IFLA_INFO_KIND without kind-specific data.
  s.check(rtnl_link_set_type(l.get(), "wireguard"), "add wireguard link " + name);
  ++round_trips_;
  return nl::detail::add_new_link(s, l.get(), name, "wireguard", "add wireguard link " + name);
}

void KernelBackend::configure(const DeviceConfig& cfg) {
  const std::string what = "configure wireguard link " + cfg.name;
  GenlSocket g;
  auto msgs = kernel::build_set_device(cfg, g.family(what), kernel::message_budget());
  for (size_t i = 0; i < msgs.size(); ++i) {
    const std::string part =
        msgs.size() > 1 ? what + " (message " + std::to_string(i + 1) + "/" + std::to_string(msgs.size()) + ")" : what;
    ++round_trips_;
    g.check(nl_send_auto(g.get(), msgs[i].get()), part);
    g.check(nl_wait_for_ack(g.get()), part);
  }
}

DeviceState KernelBackend::get(const std::string& name) {
  const std::string what = "get wireguard link " + name;
  GenlSocket g;
  nl::MsgPtr m(nlmsg_alloc());
  if (!m) throw std::bad_alloc();
  if (!genlmsg_put(m.get(), NL_AUTO_PORT, NL_AUTO_SEQ, g.family(what), 0, NLM_F_REQUEST | NLM_F_DUMP,
                   WG_CMD_GET_DEVICE, WG_GENL_VERSION) ||
      nla_put_string(m.get(), WGDEVICE_A_IFNAME, name.c_str()) != 0)
    throw nl::NlError(NLE_NOMEM, ENOMEM, what);
  DeviceState st;
  nl_socket_modify_cb(g.get(), NL_CB_VALID, NL_CB_CUSTOM, on_device_part, &st);
  ++round_trips_;
  g.check(nl_send_auto(g.get(), m.get()), what);
  g.check(nl_recvmsgs_default(g.get()), what);
  if (st.name.empty()) st.name = name;
  return st;
}

bool KernelBackend::remove(const std::string& name) {
  nl::Socket s;
  round_trips_ += 2;
  auto cur = nl::get_link(s, name);
  if (!cur) return false;
  if (cur->kind != "wireguard")
    throw nl::NlError(NLE_INVAL, EINVAL, "delete wireguard link " + name,
                      "'" + name + "' is a " + (cur->kind.empty() ? "device" : cur->kind) + ", not a wireguard link");
  return nl::delete_link(s, name);
}

}  // namespace zos::wg
