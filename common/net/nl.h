// libnl-route plumbing: one owner type per libnl object (all deleters here,
// nothing else calls *_put), a NETLINK_ROUTE socket that reports the kernel's
// own errno and extended-ack message, and the typed addresses (common/ip) to
// and from libnl's.
#pragma once

#include <sys/socket.h>

#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/ip/ip.h"

struct nl_sock;
struct nl_msg;
struct nl_addr;
struct nl_cache;
struct nl_cb;
struct rtnl_link;
struct rtnl_addr;
struct rtnl_route;
struct rtnl_nexthop;
struct sockaddr_nl;
struct nlmsgerr;

namespace zos::nl {

// One deleter for every libnl type we own.
struct Deleter {
  void operator()(nl_sock* p) const;
  void operator()(nl_msg* p) const;
  void operator()(nl_addr* p) const;
  void operator()(nl_cache* p) const;
  void operator()(nl_cb* p) const;
  void operator()(rtnl_link* p) const;
  void operator()(rtnl_addr* p) const;
  void operator()(rtnl_route* p) const;
  void operator()(rtnl_nexthop* p) const;
};
template <class T>
using Ptr = std::unique_ptr<T, Deleter>;
using SockPtr = Ptr<nl_sock>;
using MsgPtr = Ptr<nl_msg>;
using NlAddrPtr = Ptr<nl_addr>;
using CachePtr = Ptr<nl_cache>;
using CbPtr = Ptr<nl_cb>;
using LinkPtr = Ptr<rtnl_link>;
using AddrPtr = Ptr<rtnl_addr>;
using RoutePtr = Ptr<rtnl_route>;
using NexthopPtr = Ptr<rtnl_nexthop>;

// A failed netlink operation: "<operation> <object>: <reason>", where the
// reason is the kernel's errno text plus its extended-ack message when it
// sent one, e.g. "add link veth-010a-0: File exists".
class NlError : public std::runtime_error {
 public:
  // `detail`: the kernel's extended-ack text, if any.
  NlError(int nl_code, int sys_errno, const std::string& what, const std::string& detail = "");
  int nl_code() const { return nl_code_; }  // libnl NLE_* (positive)
  int err() const { return errno_; }        // kernel errno (positive), 0 if none
  const std::string& detail() const { return detail_; }  // extended ack text

 private:
  int nl_code_;
  int errno_;
  std::string detail_;
};

// The kernel's own answer to a failed request: its errno and the
// extended-ack text. record_kernel_error is a libnl error callback
// (nl_socket_modify_err_cb) that fills the KernelError passed as `arg`;
// libnl itself folds several errnos into one NLE_* code.
struct KernelError {
  int err = 0;      // kernel errno, positive
  std::string ext;  // extended ack message
};
int record_kernel_error(sockaddr_nl* who, nlmsgerr* e, void* arg);

// Receive buffer of our netlink sockets: one recvmsg per datagram. libnl's
// default (no buffer size set) peeks at every datagram to size its buffer,
// two recvmsg each. An answer to a request is one message (ours are a few
// KiB at most), and the kernel fills a dump datagram up to the largest
// buffer a reader offered, capped at 32 KiB (netlink_recvmsg's
// max_recvmsg_len) — unless one message of the dump is larger
// (rtnetlink's min_dump_alloc: a NIC's link with the data of many VFs). A
// dump whose messages may be that large peeks (list_links); a datagram that
// does not fit otherwise fails with NLE_MSG_TRUNC, never silently.
inline constexpr size_t kRecvBuffer = 32768;
// Room of a libnl-built request (link, address, route).
inline constexpr size_t kMessageSize = 1024;

// A NETLINK_ROUTE socket bound in the network namespace that is current for
// the calling thread at construction; it keeps talking to that namespace
// afterwards. To work in another namespace construct it inside in_netns().
class Socket {
 public:
  Socket();
  ~Socket();
  Socket(Socket&&) noexcept;
  Socket& operator=(Socket&&) noexcept;

  nl_sock* get() const { return sock_.get(); }

  // rc < 0 (a libnl call failed): throws NlError(what). Returns rc otherwise.
  int check(int rc, const std::string& what);
  // Like check(), but returns -errno when the kernel's errno is one of
  // `expected` (e.g. ENODEV for "absent is a value").
  int check_or(int rc, const std::string& what, std::initializer_list<int> expected);

  struct LastError;  // the kernel's error of the last request (internal)

 private:
  SockPtr sock_;
  std::unique_ptr<LastError> last_;
};

// libnl addresses of typed values: the address with its prefix length
// (the address's full length for an ip::Addr). Throws NlError(EINVAL) for an
// empty value.
NlAddrPtr to_nl(const ip::Addr& a);
NlAddrPtr to_nl(const ip::Prefix& p);
// AF_INET / AF_INET6 of an ip:: family (4, 6); 0 for an empty value.
inline int af(int ip_family) { return ip_family == 4 ? AF_INET : ip_family == 6 ? AF_INET6 : 0; }
// The IPv4 / IPv6 address of a libnl address; an empty ip::Addr for a null,
// empty or other-family one.
ip::Addr to_ip(const nl_addr* a);
// "02:00:00:00:00:01".
NlAddrPtr parse_mac(const std::string& text);

// "02:00:00:00:00:01"; empty for a null or empty address.
std::string format_mac(const nl_addr* a);
std::string format_mac(const unsigned char* bytes, size_t len);

}  // namespace zos::nl
