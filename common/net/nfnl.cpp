#include "common/net/nfnl.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
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
    h->nlmsg_type = msg_type(nft_msg);
    h->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    h->nlmsg_seq = 1;
    auto* g = static_cast<nfgenmsg*>(NLMSG_DATA(h));
    g->nfgen_family = family;
    g->version = NFNETLINK_V0;
  }
  void put_string(uint16_t type, std::string_view s) {
    size_t at = buf_.size();
    size_t len = NLA_HDRLEN + s.size() + 1;  // with its NUL
    buf_.resize(at + NLA_ALIGN(len));
    nlattr a{static_cast<uint16_t>(len), type};
    std::memcpy(buf_.data() + at, &a, sizeof a);
    std::memcpy(buf_.data() + at + NLA_HDRLEN, s.data(), s.size());
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

// The string attribute `type` of an nftables message ("" when absent).
std::string_view attr_string(const nlmsghdr* h, uint16_t type) {
  const char* p = static_cast<const char*>(NLMSG_DATA(h)) + NLMSG_ALIGN(sizeof(nfgenmsg));
  const char* end = reinterpret_cast<const char*>(h) + h->nlmsg_len;
  while (p + NLA_HDRLEN <= end) {
    nlattr a;
    std::memcpy(&a, p, sizeof a);
    if (a.nla_len < NLA_HDRLEN || p + a.nla_len > end) break;
    if ((a.nla_type & NLA_TYPE_MASK) == type) {
      std::string_view s(p + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
      return s.substr(0, s.find('\0'));
    }
    p += NLA_ALIGN(a.nla_len);
  }
  return {};
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

std::vector<std::string> chains(std::string_view spec) {
  auto [fam, name] = split(spec);
  return chains(fam, name);
}

}  // namespace zos::nfnl
