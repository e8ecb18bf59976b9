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
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <linux/if_addr.h>
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

static void add(char** a, int n) {
  const char *host = a[0], *netns = a[1], *bridge = a[2], *mac = a[3];
  int nsfd = open(netns, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) die(netns, 0);
  struct nl_sock* s = sock();

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
  fprintf(stderr, "usage: floor_add add HOST NETNS BRIDGE MAC MTU GW4 GW6|- ADDR/LEN... | del HOST\n");
  return 2;
}
