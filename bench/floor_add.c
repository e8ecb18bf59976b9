/* The kernel's floor of a container ADD, in one process over libnl: what
 * zos-nr's attach asks the kernel for, without the CNI, IPAM or state work.
 * bench/nr_bench.py builds it statically (as zos-nr is) and times it beside
 * zos-nr and the reference plugins.
 *
 *   floor_add add HOST NETNS BRIDGE MAC MTU GW4 GW6|- ADDR/LEN...
 *     host side: veth HOST <-> eth0 (MAC, MTU) with eth0 born in NETNS,
 *                IPv6 off on HOST, HOST on BRIDGE, HOST up;
 *     container: the addresses (IPv6 without DAD), eth0 up, default routes
 *                via GW4 and GW6 (none for "-").
 *   floor_add del HOST
 *   floor_add duty DIR NFT_TABLE add ...
 *     the same ADD plus what zos-nr's warm ADD must do besides it, each the
 *     cheapest way: two link lookups (the NR's bridge and router veth are
 *     there), the network file and the NR's applied record read, a lease
 *     (lock, owner file written aside and linked in, linked to its v4 and v6
 *     names, last_reserved rewritten), the attachment record (written
 *     aside, renamed), the port's three bridge-guard elements (one nftables
 *     transaction into NFT_TABLE's sets mac, v4, v6) and the container's
 *     three IPv6 sysctls (below one open folder). Files go in DIR.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <linux/if_addr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char* what, int err) {
  fprintf(stderr, "floor_add: %s: %s\n", what, err ? nl_geterror(err) : "failed");
  exit(1);
}

static struct nl_sock* sock(void) {
  struct nl_sock* s = nl_socket_alloc();
  if (!s) die("nl_socket_alloc", 0);
  int err = nl_connect(s, NETLINK_ROUTE);
  if (err < 0) die("nl_connect", err);
  return s;
}

static int ifindex(struct nl_sock* s, const char* name) {
  struct rtnl_link* l = NULL;
  int err = rtnl_link_get_kernel(s, 0, name, &l);
  if (err < 0) die(name, err);
  int idx = rtnl_link_get_ifindex(l);
  rtnl_link_put(l);
  return idx;
}

static void set_link(struct nl_sock* s, int idx, int master) {
  struct rtnl_link* l = rtnl_link_alloc();
  struct rtnl_link* c = rtnl_link_alloc();
  rtnl_link_set_ifindex(l, idx);
  if (master) rtnl_link_set_master(c, master);
  else rtnl_link_set_flags(c, IFF_UP);
  int err = rtnl_link_change(s, l, c, 0);
  if (err < 0) die("link change", err);
  rtnl_link_put(l);
  rtnl_link_put(c);
}

static void add_addr(struct nl_sock* s, int idx, const char* cidr) {
  struct nl_addr* a = NULL;
  int err = nl_addr_parse(cidr, AF_UNSPEC, &a);
  if (err < 0) die(cidr, err);
  struct rtnl_addr* ra = rtnl_addr_alloc();
  rtnl_addr_set_ifindex(ra, idx);
  rtnl_addr_set_local(ra, a);
  if (nl_addr_get_family(a) == AF_INET6) rtnl_addr_set_flags(ra, IFA_F_NODAD);
  if ((err = rtnl_addr_add(s, ra, 0)) < 0) die(cidr, err);
  rtnl_addr_put(ra);
  nl_addr_put(a);
}

static void add_default(struct nl_sock* s, int idx, int family, const char* gw) {
  struct nl_addr *dst = NULL, *via = NULL;
  int err = nl_addr_parse(family == AF_INET ? "0.0.0.0/0" : "::/0", family, &dst);
  if (err < 0 || (err = nl_addr_parse(gw, family, &via)) < 0) die(gw, err);
  struct rtnl_route* r = rtnl_route_alloc();
  rtnl_route_set_family(r, family);
  rtnl_route_set_dst(r, dst);
  struct rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_ifindex(nh, idx);
  rtnl_route_nh_set_gateway(nh, via);
  rtnl_route_add_nexthop(r, nh);
  if ((err = rtnl_route_add(s, r, NLM_F_REPLACE)) < 0) die("default route", err);
  rtnl_route_put(r);
  nl_addr_put(dst);
  nl_addr_put(via);
}

/* The duties: state files in `dir` for attachment `host`. */
static void put_file(const char* path, const char* data) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) die(path, 0);
  close(fd);
}

static void read_file(const char* path) {
  char buf[8192];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path, 0);
  while (read(fd, buf, sizeof buf) > 0) {
  }
  close(fd);
}

static void state_before(const char* dir) {
  char p[512];
  snprintf(p, sizeof p, "%s/network.json", dir);
  read_file(p);
  snprintf(p, sizeof p, "%s/applied.json", dir);
  read_file(p);
}

static void lease(const char* dir, const char* host, const char* v4, const char* v6) {
  char lock[512], own[512], tmp[600], name[600], rec[4096];
  snprintf(lock, sizeof lock, "%s/lock", dir);
  int l = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (l < 0 || flock(l, LOCK_EX) != 0) die(lock, 0);
  snprintf(own, sizeof own, "%s/owner-%s", dir, host);
  snprintf(tmp, sizeof tmp, "%s.tmp", own);
  snprintf(rec, sizeof rec, "{\"containerID\":\"%s\",\"ifname\":\"eth0\",\"addrs\":[\"%s\",\"%s\"]}", host, v4, v6);
  put_file(tmp, rec);
  if (link(tmp, own) != 0 || unlink(tmp) != 0) die(own, 0);
  const char* addrs[2] = {v4, v6};
  for (int i = 0; i < 2; ++i) {
    if (!strcmp(addrs[i], "-")) continue;
    snprintf(name, sizeof name, "%s/%s", dir, addrs[i]);
    *strchrnul(name + strlen(dir) + 1, '/') = 0;  /* the address, not its length */
    if (link(own, name) != 0) die(name, 0);
  }
  snprintf(name, sizeof name, "%s/last_reserved", dir);
  put_file(name, v4);
  close(l);
  snprintf(tmp, sizeof tmp, "%s/record-%s.tmp", dir, host);
  snprintf(name, sizeof name, "%s/record-%s.json", dir, host);
  put_file(tmp, rec);
  if (rename(tmp, name) != 0) die(name, 0);
}

/* One nftables transaction: a port's MAC, v4 and v6 source in NFT_TABLE's
 * sets (keys: ifname . value, each part padded to 4 bytes). */
static void guard(const char* table, const char* host, const char* mac, const char* v4, const char* v6) {
  struct nl_sock* s = nl_socket_alloc();
  if (!s || nl_connect(s, NETLINK_NETFILTER) < 0) die("nfnetlink", 0);
  nl_socket_disable_auto_ack(s);
  nl_socket_disable_seq_check(s);
  unsigned char keys[3][32];
  int lens[3] = {24, 20, 32};
  memset(keys, 0, sizeof keys);
  for (int i = 0; i < 3; ++i) strncpy((char*)keys[i], host, 15);
  unsigned m[6];
  sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]);
  for (int i = 0; i < 6; ++i) keys[0][16 + i] = (unsigned char)m[i];
  char a4[64], a6[64];
  snprintf(a4, sizeof a4, "%s", v4);
  snprintf(a6, sizeof a6, "%s", v6);
  *strchrnul(a4, '/') = 0;
  *strchrnul(a6, '/') = 0;
  if (inet_pton(AF_INET, a4, keys[1] + 16) != 1 || inet_pton(AF_INET6, a6, keys[2] + 16) != 1) die("guard address", 0);
  const char* sets[3] = {"mac", "v4", "v6"};
  char buf[2048];
  size_t len = 0;
  for (int i = 0; i < 5; ++i) {
    int type = i == 0 ? NFNL_MSG_BATCH_BEGIN : i == 4 ? NFNL_MSG_BATCH_END : (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM;
    struct nl_msg* msg = nlmsg_alloc_size(512);
    nlmsg_put(msg, NL_AUTO_PORT, (unsigned)i + 1, type, 0, NLM_F_REQUEST | (i % 4 ? NLM_F_ACK | NLM_F_CREATE : 0));
    struct nfgenmsg g = {.nfgen_family = i % 4 ? NFPROTO_BRIDGE : AF_UNSPEC, .version = NFNETLINK_V0,
                         .res_id = htons(i % 4 ? 0 : NFNL_SUBSYS_NFTABLES)};
    nlmsg_append(msg, &g, sizeof g, NLMSG_ALIGNTO);
    if (i % 4) {
      nla_put_string(msg, NFTA_SET_ELEM_LIST_TABLE, table);
      nla_put_string(msg, NFTA_SET_ELEM_LIST_SET, sets[i - 1]);
      struct nlattr* list = nla_nest_start(msg, NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED);
      struct nlattr* el = nla_nest_start(msg, NFTA_LIST_ELEM | NLA_F_NESTED);
      struct nlattr* key = nla_nest_start(msg, NFTA_SET_ELEM_KEY | NLA_F_NESTED);
      nla_put(msg, NFTA_DATA_VALUE, lens[i - 1], keys[i - 1]);
      nla_nest_end(msg, key);
      nla_nest_end(msg, el);
      nla_nest_end(msg, list);
    }
    struct nlmsghdr* h = nlmsg_hdr(msg);
    memcpy(buf + len, h, h->nlmsg_len);
    len += NLMSG_ALIGN(h->nlmsg_len);
    nlmsg_free(msg);
  }
  if (nl_sendto(s, buf, len) < 0) die("guard send", 0);
  for (int acks = 0; acks < 3;) {
    char r[4096];
    ssize_t n = recv(nl_socket_get_fd(s), r, sizeof r, 0);
    if (n <= 0) die("guard ack", 0);
    for (struct nlmsghdr* h = (struct nlmsghdr*)r; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      if (((struct nlmsgerr*)NLMSG_DATA(h))->error) die("guard element", 0);
      ++acks;
    }
  }
  nl_socket_free(s);
}

static void sysctls(void) {
  int d = open("/proc/sys/net/ipv6/conf/eth0", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) die("sysctl folder", 0);
  const char* keys[3] = {"accept_ra", "accept_redirects", "addr_gen_mode"};
  for (int i = 0; i < 3; ++i) {
    int fd = openat(d, keys[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) die(keys[i], 0);
    close(fd);
  }
  close(d);
}

static const char* duty_dir = NULL;
static const char* duty_table = NULL;

static void add(char** a, int n) {
  const char *host = a[0], *netns = a[1], *bridge = a[2], *mac = a[3];
  int nsfd = open(netns, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) die(netns, 0);
  struct nl_sock* s = sock();
  if (duty_dir) {
    state_before(duty_dir);
    ifindex(s, bridge);  /* the NR check: its bridge and router veth */
    ifindex(s, bridge);
    lease(duty_dir, host, a[7], n > 8 ? a[8] : "-");
    guard(duty_table, host, mac, a[7], n > 8 ? a[8] : "::1");
  }

  struct rtnl_link* veth = rtnl_link_veth_alloc();
  struct rtnl_link* peer = rtnl_link_veth_get_peer(veth);
  struct nl_addr* lladdr = NULL;
  int err = nl_addr_parse(mac, AF_LLC, &lladdr);
  if (err < 0) die(mac, err);
  rtnl_link_set_name(veth, host);
  rtnl_link_set_mtu(veth, atoi(a[4]));
  rtnl_link_set_name(peer, "eth0");
  rtnl_link_set_addr(peer, lladdr);
  rtnl_link_set_mtu(peer, atoi(a[4]));
  rtnl_link_set_ns_fd(peer, nsfd);
  if ((err = rtnl_link_add(s, veth, NLM_F_CREATE | NLM_F_EXCL)) < 0) die("veth add", err);
  rtnl_link_put(peer);
  rtnl_link_veth_release(veth);
  nl_addr_put(lladdr);

  char path[128];
  snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", host);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, "1", 1) != 1) die(path, 0);
  close(fd);
  int hidx = ifindex(s, host);
  set_link(s, hidx, ifindex(s, bridge));
  set_link(s, hidx, 0);
  nl_socket_free(s);

  if (setns(nsfd, CLONE_NEWNET) != 0) die("setns", 0);
  s = sock();
  int cidx = ifindex(s, "eth0");
  if (duty_dir) sysctls();
  for (int i = 7; i < n; ++i) add_addr(s, cidx, a[i]);
  set_link(s, cidx, 0);
  add_default(s, cidx, AF_INET, a[5]);
  if (strcmp(a[6], "-") != 0) add_default(s, cidx, AF_INET6, a[6]);
  nl_socket_free(s);
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "del") == 0) {
    struct nl_sock* s = sock();
    struct rtnl_link* l = rtnl_link_alloc();
    rtnl_link_set_name(l, argv[2]);
    int err = rtnl_link_delete(s, l);
    if (err < 0) die(argv[2], err);
    return 0;
  }
  if (argc >= 10 && strcmp(argv[1], "add") == 0) {
    add(argv + 2, argc - 2);
    return 0;
  }
  if (argc >= 13 && strcmp(argv[1], "duty") == 0 && strcmp(argv[4], "add") == 0) {
    duty_dir = argv[2];
    duty_table = argv[3];
    add(argv + 5, argc - 5);
    return 0;
  }
  fprintf(stderr, "usage: floor_add [duty DIR NFT_TABLE] add HOST NETNS BRIDGE MAC MTU GW4 GW6|- ADDR/LEN... | del HOST\n");
  return 2;
}
