#!/usr/bin/python3 -B
"""podman 4.3 (CNI backend) with zos-nr/zos-ipam, end to end, on one node.

A node netns zt-rt-<pid>-pod; podman run inside it (nsenter) with its own
containers.conf / storage.conf / CNI config dir / run root (tests/runtime/
rtlib.py: Podman); the busybox rootfs `podman import`ed. NR nibble 0d11
(10.13.17.0/24). The plugin is wrapped by a logger, so the test also checks
what podman sends (docs/runtimes.md).

Covers: `run --rm`; `run -d` + `rm -f`; a static IP (`--network zosnet:ip=`);
`podman network reload` (the container keeps its addresses and its peers);
no lease, host veth or container netns left behind. Exit 77 = skipped.
"""

import os

import rtlib as rt
import runtimes

N = 0x11
STATIC = "10.13.17.50"


def addrs(pm, name):
    """(IPv4, [global IPv6]) of the container's eth0."""
    out = pm("exec", name, "ip", "-o", "addr", "show", "eth0").stdout
    v4, v6 = None, []
    for line in out.splitlines():
        f = line.split()
        if "inet" in f:
            v4 = f[f.index("inet") + 1].split("/")[0]
        if "inet6" in f and "global" in f:
            v6.append(f[f.index("inet6") + 1].split("/")[0])
    return v4, sorted(v6)


def podman_netns():
    return sorted(n for n in os.listdir("/run/netns") if n.startswith(("cni-", "netns-")))


def test(c):
    rt.require_root_and("podman", "runc", "conmon", "wg")
    w = rt.OneNode(c, "pod", N)
    node, d, cap, data, bins = w.node, w.d, w.cap, w.data, w.bins
    pm = runtimes.Podman(c, node, bins)
    pm.add_network("zosnet", w.conflist)
    rootfs = os.path.join(d, "rootfs.tar")
    with open(rootfs, "wb") as f:
        f.write(runtimes.rootfs_tar())
    pm.import_rootfs(rootfs)
    netns_before = podman_netns()

    # run --rm: an address on the NR, the gateway answers; nothing left after.
    r = pm("run", "--rm", "--network", "zosnet", rt.IMAGE, "sh", "-c",
           f"ip -o -4 addr show eth0 && ping -c1 -W3 {rt.router4(N)}", check=False)
    assert r.returncode == 0, f"podman run --rm: {r.stdout}\n{r.stderr}"
    assert "inet 10.13.17." in r.stdout, r.stdout
    assert rt.leases(data) == [], rt.leases(data)
    assert node.host_veths() == [], node.host_veths()

    # run -d twice, one with a static IP; they reach each other.
    pm("run", "-d", "--name", "s1", "--network", "zosnet", rt.IMAGE, "sleep", "300")
    pm("run", "-d", "--name", "s2", "--network", f"zosnet:ip={STATIC}", rt.IMAGE, "sleep", "300")
    s1 = addrs(pm, "s1")
    s2 = addrs(pm, "s2")
    assert s1[0] and s1[0].startswith("10.13.17.") and s1[0] != STATIC, s1
    assert s2[0] == STATIC, f"static IP not honoured: {s2}"
    assert len(s2[1]) == 2 and all(a.startswith("2a02:1802:5e:d11:") for a in s2[1]), s2
    assert pm("exec", "s1", "ping", "-c1", "-W3", STATIC, check=False).returncode == 0, "s1 cannot reach s2"
    assert pm("exec", "s2", "ping6", "-c1", "-W3", s1[1][0], check=False).returncode == 0, "s2 cannot reach s1 (v6)"
    assert len(rt.leases(data)) == 2 and len(node.host_veths()) == 2

    # network reload: DEL + ADD again; same addresses, still connected.
    r = pm("network", "reload", "s2", check=False)
    assert r.returncode == 0, f"podman network reload: {r.stdout}\n{r.stderr}"
    assert addrs(pm, "s2") == s2, f"reload changed s2's addresses: {s2} -> {addrs(pm, 's2')}"
    r = pm("network", "reload", "s1", check=False)
    assert r.returncode == 0, f"podman network reload: {r.stdout}\n{r.stderr}"
    assert addrs(pm, "s1") == s1, f"reload changed s1's addresses: {s1} -> {addrs(pm, 's1')}"
    assert rt.retry(lambda: pm("exec", "s1", "ping", "-c1", "-W2", STATIC, check=False).returncode == 0), \
        "s1 cannot reach s2 after reload"
    assert len(rt.leases(data)) == 2 and len(node.host_veths()) == 2, (rt.leases(data), node.host_veths())

    pm("rm", "-f", "-t", "0", "s1", "s2")
    assert rt.leases(data) == [], f"leases left after podman rm -f: {rt.leases(data)}"
    assert node.host_veths() == [], f"host veths left after podman rm -f: {node.host_veths()}"
    assert podman_netns() == netns_before, f"container netns left: {podman_netns()}"

    # What podman sent.
    calls = rt.captured(cap)
    verbs = [x["env"]["CNI_COMMAND"] for x in calls]
    assert "CHECK" not in verbs and "GC" not in verbs and "STATUS" not in verbs, verbs
    assert verbs.count("VERSION") >= 1, verbs
    work = [x for x in calls if x["env"]["CNI_COMMAND"] != "VERSION"]
    for x in work:
        assert x["env"]["CNI_ARGS"].startswith("IgnoreUnknown=1;K8S_POD_NAME="), x["env"]
        assert x["env"]["CNI_NETNS"].startswith("/run/netns/"), x["env"]
        assert x["stdin"]["cniVersion"] == "1.0.0"
    static = [x for x in work if f"IP={STATIC}" in x["env"]["CNI_ARGS"]]
    assert static and static[0]["env"]["CNI_COMMAND"] == "ADD", "podman did not pass the static IP as CNI_ARGS IP="
    reload_adds = [x for x in work if x["env"]["CNI_COMMAND"] == "ADD" and "MAC=" in x["env"]["CNI_ARGS"]]
    assert len(reload_adds) == 2, [x["env"]["CNI_ARGS"] for x in work]
    for x in reload_adds:
        assert x["stdin"].get("runtimeConfig", {}).get("ips"), f"reload ADD without runtimeConfig.ips: {x['stdin']}"


if __name__ == "__main__":
    rt.main(test)
