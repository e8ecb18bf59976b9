#include "common/net/nl.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <cstring>

namespace zos::nl {

void Deleter::operator()(nl_sock* p) const { nl_socket_free(p); }
void Deleter::operator()(nl_msg* p) const { nlmsg_free(p); }
void Deleter::operator()(nl_addr* p) const { nl_addr_put(p); }
void Deleter::operator()(nl_cache* p) const { nl_cache_free(p); }
void Deleter::operator()(nl_cb* p) const { nl_cb_put(p); }
void Deleter::operator()(rtnl_link* p) const { rtnl_link_put(p); }
void Deleter::operator()(rtnl_addr* p) const { rtnl_addr_put(p); }
void Deleter::operator()(rtnl_route* p) const { rtnl_route_put(p); }
void Deleter::operator()(rtnl_nexthop* p) const { rtnl_route_nh_free(p); }

namespace {

std::string compose(int nl_code, int sys_errno, const std::string& what, const std::string& detail) {
  std::string m = what + ": " + (sys_errno ? std::strerror(sys_errno) : nl_geterror(nl_code));
  if (!detail.empty()) m += " (" + detail + ")";
  return m;
}

// Kernel errno for a libnl code, for errors libnl raised itself.
int errno_of(int nl_code) {
  switch (nl_code) {
    case NLE_EXIST: return EEXIST;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    case NLE_NODEV: return ENODEV;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_PERM: return EPERM;
    case NLE_INVAL: return EINVAL;
    case NLE_BUSY: return EBUSY;
    case NLE_NOMEM: return ENOMEM;
    case NLE_OPNOTSUPP: return EOPNOTSUPP;
    default: return 0;
  }
}

}  // namespace

NlError::NlError(int nl_code, int sys_errno, const std::string& what, const std::string& detail)
    : std::runtime_error(compose(nl_code, sys_errno, what, detail)),
      nl_code_(nl_code),
      errno_(sys_errno),
      detail_(detail) {}

struct Socket::LastError : KernelError {};

// Called by libnl for every NLMSG_ERROR carrying an error: keep the kernel's
// errno (libnl folds several into one NLE_* code) and its extack message.
int record_kernel_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
  auto* last = static_cast<KernelError*>(arg);
  last->err = -e->error;
  last->ext.clear();
  const auto* hdr = reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(e) - NLMSG_HDRLEN);
  if (hdr->nlmsg_flags & NLM_F_ACK_TLVS) {
    size_t off = sizeof(nlmsgerr);
    if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) off += e->msg.nlmsg_len - NLMSG_HDRLEN;
    const char* p = reinterpret_cast<const char*>(e) + NLMSG_ALIGN(off);
    const char* end = reinterpret_cast<const char*>(hdr) + hdr->nlmsg_len;
    while (p + sizeof(nlattr) <= end) {
      const auto* a = reinterpret_cast<const nlattr*>(p);
      if (a->nla_len < sizeof(nlattr) || p + a->nla_len > end) break;
      if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && a->nla_len > NLA_HDRLEN)
        last->ext.assign(p + NLA_HDRLEN, strnlen(p + NLA_HDRLEN, a->nla_len - NLA_HDRLEN));
      p += NLA_ALIGN(a->nla_len);
    }
  }
  return NL_STOP;
}

Socket::Socket() : sock_(nl_socket_alloc()), last_(std::make_unique<LastError>()) {
  if (!sock_) throw NlError(NLE_NOMEM, ENOMEM, "allocate netlink socket");
  int rc = nl_connect(sock_.get(), NETLINK_ROUTE);
  if (rc < 0) throw NlError(-rc, errno_of(-rc), "connect NETLINK_ROUTE");
  nl_socket_set_msg_buf_size(sock_.get(), kRecvBuffer);
  // libnl's messages default to a page each, zeroed by calloc; a link,
  // address or route request is a few hundred bytes. Process-wide, set
  // once (threads make sockets); what may be larger asks for its size
  // (nlmsg_alloc_size).
  static const bool small_messages = [] {
    nlmsg_set_default_size(kMessageSize);
    return true;
  }();
  (void)small_messages;
  int one = 1;
  int fd = nl_socket_get_fd(sock_.get());
  // Best effort: older kernels lack these; errors then carry errno only.
  ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  nl_socket_modify_err_cb(sock_.get(), NL_CB_CUSTOM, record_kernel_error, static_cast<KernelError*>(last_.get()));
}

Socket::~Socket() = default;
Socket::Socket(Socket&&) noexcept = default;
Socket& Socket::operator=(Socket&&) noexcept = default;

int Socket::check(int rc, const std::string& what) { return check_or(rc, what, {}); }

int Socket::check_or(int rc, const std::string& what, std::initializer_list<int> expected) {
  LastError last = std::move(*last_);
  *last_ = LastError{};
  if (rc >= 0) return rc;
  const int code = -rc;
  const int err = last.err ? last.err : errno_of(code);
  for (int e : expected)
    if (err == e) return -err;
  throw NlError(code, err, what, last.ext);
}

namespace {

NlError bad(const std::string& what) { return NlError(NLE_INVAL, EINVAL, what); }

}  // namespace

NlAddrPtr to_nl(const ip::Prefix& p) {
  if (p.addr().empty()) throw bad("an empty address");
  NlAddrPtr a(nl_addr_build(p.family() == 4 ? AF_INET : AF_INET6, p.addr().data(), p.addr().size()));
  if (!a) throw NlError(NLE_NOMEM, ENOMEM, "address " + p.str());
  nl_addr_set_prefixlen(a.get(), p.len());
  return a;
}

NlAddrPtr to_nl(const ip::Addr& a) { return to_nl(ip::Prefix(a, a.is_v4() ? 32 : 128)); }

ip::Addr to_ip(const nl_addr* a) {
  if (!a) return {};
  const int fam = nl_addr_get_family(a);
  const auto* b = static_cast<const uint8_t*>(nl_addr_get_binary_addr(a));
  if (fam == AF_INET && nl_addr_get_len(a) == 4) {
    uint32_t n;
    std::memcpy(&n, b, 4);
    return ip::Addr::v4(ntohl(n));
  }
  if (fam == AF_INET6 && nl_addr_get_len(a) == 16) {
    std::array<uint8_t, 16> v;
    std::memcpy(v.data(), b, 16);
    return ip::Addr::v6(v);
  }
  return {};
}

NlAddrPtr parse_mac(const std::string& text) {
  unsigned char mac[6];
  unsigned v[6];
  char tail;
  if (std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                  &tail) != 6 || text.size() != 17)
    throw bad("parse MAC '" + text + "'");
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<unsigned char>(v[i]);
  NlAddrPtr a(nl_addr_build(AF_LLC, mac, 6));
  if (!a) throw NlError(NLE_NOMEM, ENOMEM, "parse MAC '" + text + "'");
  return a;
}

std::string format_mac(const unsigned char* b, size_t len) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 3);
  for (size_t i = 0; i < len; ++i) {
    if (i) out += ':';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

std::string format_mac(const nl_addr* a) {
  if (!a) return {};
  return format_mac(static_cast<const unsigned char*>(nl_addr_get_binary_addr(a)), nl_addr_get_len(a));
}

}  // namespace zos::nl
