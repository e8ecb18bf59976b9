#include "common/net/nfnl.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <endian.h>
#include <sys/socket.h>

#include <cstring>
#include <functional>
#include <stdexcept>
#include <utility>

#include "common/sys/fd.h"
#include "common/sys/syscall.h"

namespace zos::nfnl {
namespace {

constexpr uint16_t msg_type(int nft_msg) { return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | nft_msg); }

// One request: nlmsghdr, nfgenmsg, then string attributes.
class Request {
 public:
  Request(int nft_msg, uint16_t flags, uint8_t family) {
    buf_.resize(NLMSG_SPACE(sizeof(nfgenmsg)));
    auto* h = reinterpret_cast<nlmsghdr*>(buf_.data());
    h->nlmsg_type = nft_msg == NFNL_MSG_BATCH_BEGIN || nft_msg == NFNL_MSG_BATCH_END ? static_cast<uint16_t>(nft_msg)
                                                                                    : msg_type(nft_msg);
    h->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    h->nlmsg_seq = 1;
    auto* g = static_cast<nfgenmsg*>(NLMSG_DATA(h));
    g->nfgen_family = family;
    g->version = NFNETLINK_V0;
  }
  void put_string(uint16_t type, std::string_view s) {
    size_t at = put_bytes(type, s.data(), s.size() + 1);  // with its NUL
    buf_[at + NLA_HDRLEN + s.size()] = 0;
  }
  // Returns the attribute's offset.
  size_t put_bytes(uint16_t type, const void* data, size_t n) {
    size_t at = buf_.size();
    size_t len = NLA_HDRLEN + n;
    buf_.resize(at + NLA_ALIGN(len));
    nlattr a{static_cast<uint16_t>(len), type};
    std::memcpy(buf_.data() + at, &a, sizeof a);
    if (n) std::memcpy(buf_.data() + at + NLA_HDRLEN, data, n);
    return at;
  }
  size_t begin_nested(uint16_t type) { return put_bytes(static_cast<uint16_t>(type | NLA_F_NESTED), nullptr, 0); }
  void end_nested(size_t at) {
    auto len = static_cast<uint16_t>(buf_.size() - at);
    std::memcpy(buf_.data() + at, &len, sizeof len);
  }
  void set_seq(uint32_t seq) { reinterpret_cast<nlmsghdr*>(buf_.data())->nlmsg_seq = seq; }
  void set_res_id(uint16_t id) {
    static_cast<nfgenmsg*>(NLMSG_DATA(reinterpret_cast<nlmsghdr*>(buf_.data())))->res_id = htobe16(id);
  }
  std::vector<char>& finish() {
    reinterpret_cast<nlmsghdr*>(buf_.data())->nlmsg_len = static_cast<uint32_t>(buf_.size());
    return buf_;
  }

 private:
  std::vector<char> buf_;
};

// Sends `req` on a fresh NETLINK_NETFILTER socket and hands every nftables
// message of the answer to `each` until the ack or the end of the dump.
// Returns 0, or the kernel's error as a positive errno.
int exchange(Request& req, const std::function<void(const nlmsghdr*)>& each) {
  sys::Fd fd(ZOS_SYSCALL(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER)));
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  const auto& out = req.finish();
  ZOS_SYSCALL(::sendto(fd.get(), out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel));
  alignas(nlmsghdr) char buf[16384];
  for (;;) {
    ssize_t n = ZOS_SYSCALL(::recv(fd.get(), buf, sizeof buf, 0));
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != 1) continue;
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) throw std::runtime_error("nfnetlink: short error message");
        return -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
      }
      if ((h->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES) each(h);
    }
  }
}

// The payload of attribute `type` of an nftables message (empty when absent).
std::string_view attr_payload(const nlmsghdr* h, uint16_t type) {
  const char* p = static_cast<const char*>(NLMSG_DATA(h)) + NLMSG_ALIGN(sizeof(nfgenmsg));
  const char* end = reinterpret_cast<const char*>(h) + h->nlmsg_len;
  while (p + NLA_HDRLEN <= end) {
    nlattr a;
    std::memcpy(&a, p, sizeof a);
    if (a.nla_len < NLA_HDRLEN || p + a.nla_len > end) break;
    if ((a.nla_type & NLA_TYPE_MASK) == type) return {p + NLA_HDRLEN, size_t(a.nla_len - NLA_HDRLEN)};
    p += NLA_ALIGN(a.nla_len);
  }
  return {};
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
  Request req(NFT_MSG_GETTABLE, NLM_F_ACK, fam);
  req.put_string(NFTA_TABLE_NAME, name);
  int err = exchange(req, [](const nlmsghdr*) {});
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
  Request req(NFT_MSG_GETCHAIN, NLM_F_DUMP, fam);
  std::vector<std::string> out;
  int err = exchange(req, [&](const nlmsghdr* h) {
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
  std::vector<char> batch;
  uint32_t seq = 1;
  auto append = [&](Request& r) {
    r.set_seq(seq++);
    auto& b = r.finish();
    batch.insert(batch.end(), b.begin(), b.end());
  };
  Request begin(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC);
  begin.set_res_id(NFNL_SUBSYS_NFTABLES);
  append(begin);
  uint32_t first = seq, acks = 0;
  for (const auto& s : sets) {
    if (s.keys.empty()) continue;
    Request m(nft_msg, static_cast<uint16_t>(NLM_F_ACK | (nft_msg == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0)), fam);
    m.put_string(NFTA_SET_ELEM_LIST_TABLE, table);
    m.put_string(NFTA_SET_ELEM_LIST_SET, s.set);
    size_t list = m.begin_nested(NFTA_SET_ELEM_LIST_ELEMENTS);
    for (const auto& k : s.keys) {
      size_t el = m.begin_nested(NFTA_LIST_ELEM);
      size_t key = m.begin_nested(NFTA_SET_ELEM_KEY);
      m.put_bytes(NFTA_DATA_VALUE, k.data(), k.size());
      m.end_nested(key);
      m.end_nested(el);
    }
    m.end_nested(list);
    append(m);
    ++acks;
  }
  if (!acks) return 0;
  Request end(NFNL_MSG_BATCH_END, 0, AF_UNSPEC);
  end.set_res_id(NFNL_SUBSYS_NFTABLES);
  append(end);

  sys::Fd fd(ZOS_SYSCALL(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER)));
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ZOS_SYSCALL(::sendto(fd.get(), batch.data(), batch.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel));
  alignas(nlmsghdr) char buf[8192];
  int result = 0;
  for (uint32_t got = 0; got < acks;) {
    ssize_t n = ZOS_SYSCALL(::recv(fd.get(), buf, sizeof buf, 0));
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first || h->nlmsg_seq >= first + acks) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) throw std::runtime_error("nfnetlink: short error message");
      int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
      if (err && !result) result = err;
      // After an error the kernel aborts the batch: no more acks come.
      got = err ? acks : got + 1;
    }
  }
  return result;
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
  Request req(NFT_MSG_GETCHAIN, NLM_F_DUMP, fam);
  std::vector<Chain> out;
  int err = exchange(req, [&](const nlmsghdr* h) {
    if ((h->nlmsg_type & 0xff) == NFT_MSG_NEWCHAIN)
      out.push_back({std::string(attr_string(h, NFTA_CHAIN_TABLE)), std::string(attr_string(h, NFTA_CHAIN_NAME)),
                     chain_comment(h)});
  });
  if (err != 0) sys::throw_errno("nfnetlink list chains", err);
  return out;
}

}  // namespace zos::nfnl
