#include "common/net/nfnl.h"

// libnl first: it brings glibc's netinet/in.h, which must come before the
// kernel's linux/in.h (through linux/netfilter.h).
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <endian.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <memory>
#include <stdexcept>
#include <utility>

#include "common/net/nl.h"
#include "common/sys/syscall.h"

// Over libnl's core (the socket, messages, attributes and the receive loop
// with callbacks), as common/net/nl is: no second netlink stack.
namespace zos::nfnl {
namespace {

constexpr uint16_t msg_type(int nft_msg) { return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | nft_msg); }

[[noreturn]] void nl_fail(const char* what, int nlerr) {
  throw std::runtime_error(std::string("nfnetlink ") + what + ": " + nl_geterror(nlerr));
}

using Msg = nl::MsgPtr;

// One request: nlmsghdr, nfgenmsg, then attributes, `room` bytes of them
// at most (a libnl message does not grow: an attribute that does not fit
// fails). Sized for what it carries, not libnl's default of a page: that
// page is zeroed for every message, and a page is too small for the set
// elements of a few dozen ports.
Msg request(int nft_msg, uint16_t flags, uint8_t family, uint16_t res_id = 0, size_t room = 512) {
  const bool batch = nft_msg == NFNL_MSG_BATCH_BEGIN || nft_msg == NFNL_MSG_BATCH_END;
  Msg m(nlmsg_alloc_size(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)) + room));
  if (!m || !nlmsg_put(m.get(), NL_AUTO_PORT, NL_AUTO_SEQ,
                       batch ? static_cast<uint16_t>(nft_msg) : msg_type(nft_msg), 0, NLM_F_REQUEST | flags))
    throw std::bad_alloc();
  nfgenmsg g{};
  g.nfgen_family = family;
  g.version = NFNETLINK_V0;
  g.res_id = htobe16(res_id);
  if (nlmsg_append(m.get(), &g, sizeof g, NLMSG_ALIGNTO) < 0) throw std::bad_alloc();
  return m;
}

void put(int rc) {
  if (rc < 0) nl_fail("message", rc);
}

// A NETLINK_NETFILTER socket and the receive loop. Each exchange ends at
// the ack, the kernel's error or the end of a dump; the error is kept as a
// positive errno (the kernel's own, not libnl's mapping of it).
class Socket {
 public:
  Socket() : sk_own_(nl_socket_alloc()), cb_own_(nl_cb_alloc(NL_CB_DEFAULT)), sk_(sk_own_.get()), cb_(cb_own_.get()) {
    if (!sk_ || !cb_) throw std::bad_alloc();
    if (int rc = nl_connect(sk_, NETLINK_NETFILTER); rc < 0) nl_fail("connect", rc);
    nl_socket_disable_auto_ack(sk_);  // the flags are the request's own
    nl_socket_set_msg_buf_size(sk_, nl::kRecvBuffer);  // a dump datagram of many chains fits
    // An error echoes only the failed message's header, not a batch
    // message of 512 elements (which would not fit the buffer).
    int one = 1;
    ::setsockopt(nl_socket_get_fd(sk_), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    nl_cb_set(cb_, NL_CB_VALID, NL_CB_CUSTOM, &Socket::on_valid, this);
    nl_cb_set(cb_, NL_CB_FINISH, NL_CB_CUSTOM, &Socket::on_finish, this);
    nl_cb_set(cb_, NL_CB_ACK, NL_CB_CUSTOM, &Socket::on_ack, this);
    nl_cb_err(cb_, NL_CB_CUSTOM, &Socket::on_error, this);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Sends one request and hands every nftables message of the answer to
  // `each`. Returns 0 or the kernel's error (positive errno).
  int exchange(Msg m, const std::function<void(const nlmsghdr*)>& each) {
    each_ = &each;
    done_ = false;
    err_ = 0;
    if (int rc = nl_send_auto(sk_, m.get()); rc < 0) nl_fail("send", rc);
    return receive([this] { return done_; });
  }

  // Sends `batch` (messages whose seq are set, in one datagram) and waits
  // for the acks of seq [first, first + acks): after an error the kernel
  // aborts the batch and no more acks come. Returns 0 or the first error.
  int transact(const std::vector<Msg>& batch, uint32_t first, uint32_t acks) {
    nl_socket_disable_seq_check(sk_);
    first_ = first;
    acks_ = acks;
    got_ = 0;
    err_ = 0;
    std::vector<char> buf;
    for (const auto& m : batch) {
      const nlmsghdr* h = nlmsg_hdr(m.get());
      buf.insert(buf.end(), reinterpret_cast<const char*>(h), reinterpret_cast<const char*>(h) + h->nlmsg_len);
    }
    fit_send_buffer(buf.size());
    if (int rc = nl_sendto(sk_, buf.data(), buf.size()); rc < 0) nl_fail("send", rc);
    return receive([this] { return err_ != 0 || got_ >= acks_; });
  }

 private:
  // A batch is one datagram, and netlink refuses one larger than the send
  // buffer (EMSGSIZE; libnl sets 32 KiB). Grown to fit, as libnftables does:
  // SO_SNDBUFFORCE past net.core.wmem_max where we may (CAP_NET_ADMIN).
  void fit_send_buffer(size_t len) {
    int have = 0;
    socklen_t sl = sizeof have;
    const int fd = nl_socket_get_fd(sk_);
    if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &sl) == 0 && static_cast<size_t>(have) >= len + 4096) return;
    int want = static_cast<int>(len + 4096);  // the kernel doubles it for its own overhead
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof want) != 0)
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
  }

  template <class Done>
  int receive(Done done) {
    while (!done()) {
      int rc = nl_recvmsgs(sk_, cb_);
      if (rc < 0 && rc != -NLE_INTR && rc != -NLE_AGAIN && !done()) nl_fail("receive", rc);
    }
    return err_;
  }
  bool in_batch(const nlmsghdr* h) const { return h->nlmsg_seq >= first_ && h->nlmsg_seq < first_ + acks_; }

  static int on_valid(nl_msg* m, void* arg) {
    auto* self = static_cast<Socket*>(arg);
    const nlmsghdr* h = nlmsg_hdr(m);
    if (self->each_ && (h->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES) (*self->each_)(h);
    return NL_OK;
  }
  static int on_finish(nl_msg*, void* arg) {
    static_cast<Socket*>(arg)->done_ = true;
    return NL_STOP;
  }
  static int on_ack(nl_msg* m, void* arg) {
    auto* self = static_cast<Socket*>(arg);
    if (self->acks_ == 0) self->done_ = true;
    else if (self->in_batch(nlmsg_hdr(m))) ++self->got_;
    return NL_STOP;
  }
  static int on_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
    auto* self = static_cast<Socket*>(arg);
    if (self->acks_ != 0 && !self->in_batch(&e->msg)) return NL_SKIP;
    if (!self->err_) self->err_ = -e->error;
    self->done_ = true;
    return NL_STOP;
  }

  nl::SockPtr sk_own_;
  nl::CbPtr cb_own_;
  nl_sock* sk_;
  nl_cb* cb_;
  const std::function<void(const nlmsghdr*)>* each_ = nullptr;
  bool done_ = false;
  int err_ = 0;
  uint32_t first_ = 0, acks_ = 0, got_ = 0;
};

// The payload of attribute `type` of an nftables message (empty when absent).
std::string_view attr_payload(const nlmsghdr* h, uint16_t type) {
  nlattr* a = nlmsg_find_attr(const_cast<nlmsghdr*>(h), sizeof(nfgenmsg), type);
  if (!a) return {};
  return {static_cast<const char*>(nla_data(a)), static_cast<size_t>(nla_len(a))};
}

// The string attribute `type` of an nftables message ("" when absent).
std::string_view attr_string(const nlmsghdr* h, uint16_t type) {
  auto s = attr_payload(h, type);
  return s.substr(0, s.find('\0'));
}

void check_name(std::string_view name) {
  if (name.empty() || name.size() >= NFT_TABLE_MAXNAMELEN)
    throw std::invalid_argument("nftables table name \"" + std::string(name) + "\" is empty or too long");
}

// "inet zos-nr" -> (NFPROTO_INET, "zos-nr").
std::pair<uint8_t, std::string_view> split(std::string_view spec) {
  auto sp = spec.find(' ');
  if (sp == std::string_view::npos)
    throw std::invalid_argument("nftables table \"" + std::string(spec) + "\" is not \"<family> <name>\"");
  return {family(spec.substr(0, sp)), spec.substr(sp + 1)};
}

}  // namespace

uint8_t family(std::string_view name) {
  if (name == "inet") return NFPROTO_INET;
  if (name == "ip") return NFPROTO_IPV4;
  if (name == "ip6") return NFPROTO_IPV6;
  if (name == "arp") return NFPROTO_ARP;
  if (name == "bridge") return NFPROTO_BRIDGE;
  if (name == "netdev") return NFPROTO_NETDEV;
  throw std::invalid_argument("unknown nftables family \"" + std::string(name) +
                              "\" (inet, ip, ip6, arp, bridge or netdev)");
}

bool table_exists(uint8_t fam, std::string_view name) {
  check_name(name);
  Msg req = request(NFT_MSG_GETTABLE, NLM_F_ACK, fam);
  put(nla_put_string(req.get(), NFTA_TABLE_NAME, std::string(name).c_str()));
  int err = Socket().exchange(std::move(req), [](const nlmsghdr*) {});
  if (err == ENOENT) return false;
  if (err != 0) sys::throw_errno("nfnetlink get table " + std::string(name), err);
  return true;
}

bool table_exists(std::string_view spec) {
  auto [fam, name] = split(spec);
  return table_exists(fam, name);
}

std::vector<std::string> chains(uint8_t fam, std::string_view name) {
  check_name(name);
  // Older kernels ignore a table filter on chain dumps: filter here.
  std::vector<std::string> out;
  int err = Socket().exchange(request(NFT_MSG_GETCHAIN, NLM_F_DUMP, fam), [&](const nlmsghdr* h) {
    if ((h->nlmsg_type & 0xff) == NFT_MSG_NEWCHAIN && attr_string(h, NFTA_CHAIN_TABLE) == name)
      out.emplace_back(attr_string(h, NFTA_CHAIN_NAME));
  });
  if (err != 0) sys::throw_errno("nfnetlink list chains", err);
  return out;
}

namespace {

// One transaction: batch begin, one NEWSETELEM/DELSETELEM per set, batch
// end. Returns 0 or the first error (positive errno); the kernel applies
// all or none.
int set_elements(int nft_msg, uint8_t fam, std::string_view table, const std::vector<SetElements>& sets) {
  check_name(table);
  const std::string tname(table);
  std::vector<Msg> batch;
  uint32_t seq = 1;
  auto append = [&](Msg m) {
    nlmsg_hdr(m.get())->nlmsg_seq = seq++;
    batch.push_back(std::move(m));
  };
  append(request(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
  uint32_t first = seq, acks = 0;
  // Elements per message: the list is one attribute, whose length is 16 bits.
  constexpr size_t kPerMessage = 512;
  for (const auto& s : sets)
    for (size_t from = 0; from < s.keys.size(); from += kPerMessage) {
      const size_t to = std::min(s.keys.size(), from + kPerMessage);
      size_t room = 2 * NLA_HDRLEN + NLA_ALIGN(tname.size() + 1) + NLA_ALIGN(s.set.size() + 1) + NLA_HDRLEN;
      for (size_t i = from; i < to; ++i) room += 3 * NLA_HDRLEN + NLA_ALIGN(s.keys[i].size());
      Msg m = request(nft_msg, static_cast<uint16_t>(NLM_F_ACK | (nft_msg == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0)),
                      fam, 0, room);
      put(nla_put_string(m.get(), NFTA_SET_ELEM_LIST_TABLE, tname.c_str()));
      put(nla_put_string(m.get(), NFTA_SET_ELEM_LIST_SET, s.set.c_str()));
      auto nest = [&](int type) {
        nlattr* a = nla_nest_start(m.get(), type | NLA_F_NESTED);
        if (!a) nl_fail("message", -NLE_NOMEM);
        return a;
      };
      nlattr* list = nest(NFTA_SET_ELEM_LIST_ELEMENTS);
      for (size_t i = from; i < to; ++i) {
        const auto& k = s.keys[i];
        nlattr* el = nest(NFTA_LIST_ELEM);
        nlattr* key = nest(NFTA_SET_ELEM_KEY);
        put(nla_put(m.get(), NFTA_DATA_VALUE, static_cast<int>(k.size()), k.data()));
        nla_nest_end(m.get(), key);
        nla_nest_end(m.get(), el);
      }
      nla_nest_end(m.get(), list);
      append(std::move(m));
      ++acks;
    }
  if (!acks) return 0;
  append(request(NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
  return Socket().transact(batch, first, acks);
}

}  // namespace

void add_elements(uint8_t fam, std::string_view table, const std::vector<SetElements>& sets) {
  if (int err = set_elements(NFT_MSG_NEWSETELEM, fam, table, sets))
    sys::throw_errno("nfnetlink add elements to table " + std::string(table), err);
}

void delete_elements(uint8_t fam, std::string_view table, const std::vector<SetElements>& sets) {
  int err = set_elements(NFT_MSG_DELSETELEM, fam, table, sets);
  if (err == 0) return;
  if (err != ENOENT) sys::throw_errno("nfnetlink delete elements of table " + std::string(table), err);
  // Some are gone already (the batch did nothing): one at a time.
  for (const auto& s : sets)
    for (const auto& k : s.keys) {
      int e = set_elements(NFT_MSG_DELSETELEM, fam, table, {{s.set, {k}}});
      if (e && e != ENOENT) sys::throw_errno("nfnetlink delete an element of set " + s.set, e);
    }
}

std::vector<std::string> chains(std::string_view spec) {
  auto [fam, name] = split(spec);
  return chains(fam, name);
}

namespace {

// The comment in a chain's NFTA_CHAIN_USERDATA: libnftnl's TLVs (type u8,
// length u8, value), NFTNL_UDATA_CHAIN_COMMENT = 0, value with its NUL.
std::string chain_comment(const nlmsghdr* h) {
  auto ud = attr_payload(h, NFTA_CHAIN_USERDATA);
  auto u = reinterpret_cast<const uint8_t*>(ud.data());
  size_t n = ud.size();
  for (size_t i = 0; i + 2 <= n && i + 2 + u[i + 1] <= n; i += 2 + u[i + 1])
    if (u[i] == 0) {
      std::string_view c(ud.data() + i + 2, u[i + 1]);
      return std::string(c.substr(0, c.find('\0')));
    }
  return {};
}

}  // namespace

std::vector<Chain> chain_list(uint8_t fam) {
  std::vector<Chain> out;
  Socket sk;
  int err = sk.exchange(request(NFT_MSG_GETCHAIN, NLM_F_DUMP, fam), [&](const nlmsghdr* h) {
    if ((h->nlmsg_type & 0xff) == NFT_MSG_NEWCHAIN)
      out.push_back({std::string(attr_string(h, NFTA_CHAIN_TABLE)), std::string(attr_string(h, NFTA_CHAIN_NAME)),
                     chain_comment(h)});
  });
  if (err != 0) sys::throw_errno("nfnetlink list chains", err);
  // The rules come in chain order: the last chain matched is most often
  // the next one's.
  size_t at = 0;
  err = sk.exchange(request(NFT_MSG_GETRULE, NLM_F_DUMP, fam), [&](const nlmsghdr* h) {
    if ((h->nlmsg_type & 0xff) != NFT_MSG_NEWRULE) return;
    auto table = attr_string(h, NFTA_RULE_TABLE), chain = attr_string(h, NFTA_RULE_CHAIN);
    for (size_t n = 0; n < out.size(); ++n, at = (at + 1) % out.size())
      if (out[at].name == chain && out[at].table == table) {
        ++out[at].rules;
        break;
      }
  });
  if (err != 0) sys::throw_errno("nfnetlink list rules", err);
  return out;
}

}  // namespace zos::nfnl
