#include "common/net/link.h"

#include <linux/if.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/handlers.h>
#include <netlink/socket.h>
#include <cstring>

#include <cerrno>

#include "common/net/link_internal.h"

namespace zos::nl {
namespace detail {

LinkInfo to_link_info(rtnl_link* l) {
  LinkInfo i;
  i.index = rtnl_link_get_ifindex(l);
  if (const char* n = rtnl_link_get_name(l)) i.name = n;
  i.mac = format_mac(rtnl_link_get_addr(l));
  i.mtu = rtnl_link_get_mtu(l);
  i.up = rtnl_link_get_flags(l) & IFF_UP;
  i.oper_up = rtnl_link_get_operstate(l) == IF_OPER_UP;
  i.master = rtnl_link_get_master(l);
  if (const char* k = rtnl_link_get_type(l)) i.kind = k;
  return i;
}

bool add_new_link(Socket& s, rtnl_link* l, const std::string& name, const std::string& kind,
                  const std::string& what) {
  int rc = s.check_or(rtnl_link_add(s.get(), l, NLM_F_CREATE | NLM_F_EXCL), what, {EEXIST});
  if (rc == 0) return true;
  auto cur = get_link(s, name);
  if (cur && cur->kind == kind) return false;
  throw NlError(NLE_EXIST, EEXIST, what,
                cur ? "'" + name + "' is a " + (cur->kind.empty() ? "device" : cur->kind) + ", not a " + kind
                    : "another name of the request is taken");
}

}  // namespace detail

namespace {

// The fields of LinkInfo from an RTM_NEWLINK, read here rather than through
// libnl's link object: a warm ADD looks up ~6 links, and libnl parsed every
// attribute of each (the per-family IPv4/IPv6 data, statistics) into an
// object of its own for the eight fields kept. Attributes shorter than their
// type are ignored.
int read_link(nl_msg* m, void* arg) {
  nlmsghdr* h = nlmsg_hdr(m);
  if (h->nlmsg_type != RTM_NEWLINK || !nlmsg_valid_hdr(h, sizeof(ifinfomsg))) return NL_SKIP;
  nlattr* tb[IFLA_MAX + 1];
  if (nlmsg_parse(h, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr) < 0) return NL_SKIP;
  const auto* ifi = static_cast<const ifinfomsg*>(nlmsg_data(h));
  const auto u32 = [&](int t) { return tb[t] && nla_len(tb[t]) >= 4 ? nla_get_u32(tb[t]) : 0u; };
  const auto str = [](const nlattr* a) {
    const auto* p = static_cast<const char*>(nla_data(a));
    return std::string(p, strnlen(p, nla_len(a)));
  };
  LinkInfo i;
  i.index = ifi->ifi_index;
  if (tb[IFLA_IFNAME]) i.name = str(tb[IFLA_IFNAME]);
  if (tb[IFLA_ADDRESS])
    i.mac = format_mac(static_cast<const unsigned char*>(nla_data(tb[IFLA_ADDRESS])), nla_len(tb[IFLA_ADDRESS]));
  i.mtu = u32(IFLA_MTU);
  i.up = ifi->ifi_flags & IFF_UP;
  i.oper_up = tb[IFLA_OPERSTATE] && nla_len(tb[IFLA_OPERSTATE]) >= 1 && nla_get_u8(tb[IFLA_OPERSTATE]) == IF_OPER_UP;
  i.master = static_cast<int>(u32(IFLA_MASTER));
  nlattr* info[IFLA_INFO_MAX + 1];
  if (tb[IFLA_LINKINFO] && nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], nullptr) == 0 &&
      info[IFLA_INFO_KIND])
    i.kind = str(info[IFLA_INFO_KIND]);
  *static_cast<std::optional<LinkInfo>*>(arg) = std::move(i);
  return NL_OK;
}

// One RTM_GETLINK by index or name, without statistics (the kernel skips
// gathering them); the reply's ACK is read as rtnl_link_get_kernel did.
std::optional<LinkInfo> lookup(Socket& s, int index, const std::string& name, const std::string& what) {
  MsgPtr m(nlmsg_alloc_size(256));
  if (!m) throw NlError(NLE_NOMEM, ENOMEM, what);
  nlmsghdr* h = nlmsg_put(m.get(), NL_AUTO_PORT, NL_AUTO_SEQ, RTM_GETLINK, sizeof(ifinfomsg), 0);
  if (!h) throw NlError(NLE_NOMEM, ENOMEM, what);
  auto* ifi = static_cast<ifinfomsg*>(nlmsg_data(h));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  if ((!index && nla_put_string(m.get(), IFLA_IFNAME, name.c_str()) < 0) ||
      nla_put_u32(m.get(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
    throw NlError(NLE_INVAL, EINVAL, what, "name too long");
  s.check(nl_send_auto(s.get(), m.get()), what);
  std::optional<LinkInfo> out;
  CbPtr base(nl_socket_get_cb(s.get()));  // the socket's, with its error callback
  CbPtr cb(nl_cb_clone(base.get()));
  if (!cb) throw NlError(NLE_NOMEM, ENOMEM, what);
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, read_link, &out);
  int rc = s.check_or(nl_recvmsgs(s.get(), cb.get()), what, {ENODEV, ENOENT});
  if (rc < 0) return std::nullopt;  // the error was the answer: no ack follows
  s.check(nl_wait_for_ack(s.get()), what);  // also after a reply read_link skipped: none is left queued
  return out;
}

// "link 7 (veth0)" for messages; the name is looked up only on the error path.
std::string describe(Socket& s, int index) {
  std::string d = "link " + std::to_string(index);
  try {
    if (auto l = get_link_by_index(s, index)) d += " (" + l->name + ")";
  } catch (const NlError&) {
  }
  return d;
}

// One RTM_NEWLINK/SETLINK on `index` carrying what `set` puts in `changes`.
template <class F>
void change(Socket& s, int index, const std::string& what, F&& set) {
  LinkPtr orig(rtnl_link_alloc());
  LinkPtr changes(rtnl_link_alloc());
  if (!orig || !changes) throw NlError(NLE_NOMEM, ENOMEM, what);
  rtnl_link_set_ifindex(orig.get(), index);
  set(changes.get());
  try {
    s.check(rtnl_link_change(s.get(), orig.get(), changes.get(), 0), what);
  } catch (const NlError& e) {
    throw NlError(e.nl_code(), e.err(), what + " on " + describe(s, index), e.detail());
  }
}

}  // namespace

std::optional<LinkInfo> get_link(Socket& s, const std::string& name) {
  return lookup(s, 0, name, "get link " + name);
}

std::optional<LinkInfo> get_link_by_index(Socket& s, int index) {
  return lookup(s, index, {}, "get link " + std::to_string(index));
}

std::vector<LinkInfo> list_links(Socket& s) {
  // libnl's link dump asks for the VFs' data (RTEXT_FILTER_VF): one NIC's
  // message may be larger than the socket's buffer, and the kernel then
  // sends datagrams that large. Peeked at, for this dump only.
  struct Peek {
    nl_sock* sk;
    explicit Peek(nl_sock* s) : sk(s) { nl_socket_enable_msg_peek(sk); }
    ~Peek() { nl_socket_disable_msg_peek(sk); }
  } peek(s.get());
  nl_cache* raw = nullptr;
  s.check(rtnl_link_alloc_cache(s.get(), AF_UNSPEC, &raw), "list links");
  CachePtr cache(raw);
  std::vector<LinkInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o))
    out.push_back(detail::to_link_info(reinterpret_cast<rtnl_link*>(o)));
  return out;
}

void set_up(Socket& s, int index) {
  change(s, index, "set up", [](rtnl_link* c) { rtnl_link_set_flags(c, IFF_UP); });
}

void set_down(Socket& s, int index) {
  change(s, index, "set down", [](rtnl_link* c) { rtnl_link_unset_flags(c, IFF_UP); });
}

void set_mtu(Socket& s, int index, unsigned mtu) {
  change(s, index, "set mtu " + std::to_string(mtu), [&](rtnl_link* c) { rtnl_link_set_mtu(c, mtu); });
}

void set_mac(Socket& s, int index, const std::string& mac) {
  NlAddrPtr a = parse_mac(mac);
  change(s, index, "set mac " + mac, [&](rtnl_link* c) { rtnl_link_set_addr(c, a.get()); });
}

namespace {

// One request; the names of both links are looked up only on the error
// path (describing the master up front cost a request per call).
void master_change(Socket& s, int index, int master_index, bool up) {
  LinkPtr orig(rtnl_link_alloc());
  LinkPtr changes(rtnl_link_alloc());
  if (!orig || !changes) throw NlError(NLE_NOMEM, ENOMEM, "set master");
  rtnl_link_set_ifindex(orig.get(), index);
  rtnl_link_set_master(changes.get(), master_index);
  if (up) rtnl_link_set_flags(changes.get(), IFF_UP);
  try {
    s.check(rtnl_link_change(s.get(), orig.get(), changes.get(), 0), "set master");
  } catch (const NlError& e) {
    throw NlError(e.nl_code(), e.err(),
                  std::string(up ? "set up and master " : "set master ") + describe(s, master_index) + " on " +
                      describe(s, index),
                  e.detail());
  }
}

}  // namespace

void set_master(Socket& s, int index, int master_index) { master_change(s, index, master_index, false); }

void set_master_up(Socket& s, int index, int master_index) { master_change(s, index, master_index, true); }

void set_nomaster(Socket& s, int index) {
  change(s, index, "set nomaster", [](rtnl_link* c) { rtnl_link_set_master(c, 0); });
}

void set_netns(Socket& s, int index, int nsfd) {
  change(s, index, "move to netns fd " + std::to_string(nsfd),
         [&](rtnl_link* c) { rtnl_link_set_ns_fd(c, nsfd); });
}

void rename_link(Socket& s, int index, const std::string& new_name) {
  change(s, index, "rename to " + new_name, [&](rtnl_link* c) { rtnl_link_set_name(c, new_name.c_str()); });
}

bool delete_link(Socket& s, const std::string& name) {
  LinkPtr l(rtnl_link_alloc());
  if (!l) throw NlError(NLE_NOMEM, ENOMEM, "delete link " + name);
  rtnl_link_set_name(l.get(), name.c_str());
  return s.check_or(rtnl_link_delete(s.get(), l.get()), "delete link " + name, {ENODEV}) == 0;
}

}  // namespace zos::nl
