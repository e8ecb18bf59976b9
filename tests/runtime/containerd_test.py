#!/usr/bin/python3 -B
"""containerd 1.6 + ctr run --cni with zos-nr/zos-ipam, end to end.

A node netns zt-rt-<pid>-ctrd; containerd started in it with its own root,
state and socket; a busybox image built here (busybox-static) imported with
`ctr image import`; ctr runs in a private mount namespace where
/etc/cni/net.d holds only our conflist and /opt/cni/bin our plugins (+ the
reference ones). NR nibble 0d10 (10.13.16.0/24).

Checks: containers get addresses on the NR, reach each other (v4, v6) and
their gateway; the NR netns is visible in the machine's mount namespace;
`--rm` sends DEL with CNI_NETNS empty and leaves no lease and no host veth;
what ctr sends (container id default-<id>, no VERSION/CHECK) is as
docs/runtimes.md says. Exit 77 = skipped (not root / containerd missing).
"""

import os
import subprocess

import rtlib as rt
import runtimes

N = 0x10


def test(c):
    rt.require_root_and("containerd", "ctr", "runc", "unshare", "findmnt", "wg")
    if not os.path.isdir("/etc/cni/net.d"):
        raise rt.Skip("/etc/cni/net.d is missing (ctr binds our conflist over it)")
    w = rt.OneNode(c, "ctrd", N)
    node, d, cap, data, bins = w.node, w.d, w.cap, w.data, w.bins
    ctrd = runtimes.Containerd(c, node, w.conflist, bins)
    ctrd.import_image(runtimes.oci_archive(os.path.join(d, "busybox-oci.tar"), runtimes.rootfs_tar()))

    # A: a long-lived container, attached (ctr waits for it and runs DEL when it exits).
    a = subprocess.Popen(ctrd.run_argv("a", "sleep", "120"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={"PATH": rt.PATH})

    def stop_a():
        if a.poll() is None:
            ctrd.ctr("tasks", "kill", "-s", "KILL", "a", check=False)
            try:
                a.wait(timeout=20)
            except subprocess.TimeoutExpired:
                a.kill()
                a.wait()
    c.add(stop_a)
    addr_a = {}

    def a_ready():
        if a.poll() is not None:
            raise AssertionError(f"ctr run a exited {a.returncode}: {a.stderr.read()}")
        r = ctrd.exec("a", "ip", "-o", "addr", "show", "eth0", check=False)
        for line in r.stdout.splitlines():
            f = line.split()
            if "inet" in f:
                addr_a["v4"] = f[f.index("inet") + 1].split("/")[0]
            if "inet6" in f and "global" in f and "v6" not in addr_a:
                addr_a["v6"] = f[f.index("inet6") + 1].split("/")[0]
        return "v4" in addr_a and "v6" in addr_a
    assert rt.retry(a_ready, tries=60, delay=0.25), "container a never got its addresses"
    assert addr_a["v4"].startswith("10.13.16."), addr_a
    assert addr_a["v6"].startswith("2a02:1802:5e:d10:"), addr_a
    assert len(rt.leases(data)) == 1, rt.leases(data)
    # zos-nr made the NR netns inside ctr's private mount ns: it must still be
    # a real namespace for the machine (/run/netns is a shared mount).
    assert rt.run(["ip", "-n", rt.nr_netns(N), "link", "show", "veth-0d10-0"], check=False).returncode == 0, \
        "the NR namespace made under ctr is not visible outside its mount namespace"

    # B: another container pings A (v4, v6) and the NR router, then exits (--rm).
    r = ctrd.run_cmd("b", "sh", "-c",
                     f"ping -c1 -W3 {addr_a['v4']} && ping -c1 -W3 {rt.router4(N)} && "
                     f"ping6 -c1 -W3 {addr_a['v6']} && ip -o -4 addr show eth0", check=False)
    assert r.returncode == 0, f"container b could not reach a / the gateway:\n{r.stdout}\n{r.stderr}"
    assert "10.13.16." in r.stdout and addr_a["v4"] + "/" not in r.stdout, r.stdout
    # b is gone (--rm): its DEL (CNI_NETNS empty) released its lease and veth.
    assert len(rt.leases(data)) == 1, rt.leases(data)
    assert len(node.host_veths()) == 1, node.host_veths()

    stop_a()
    assert a.returncode is not None
    assert rt.leases(data) == [], f"leases left after ctr run --rm: {rt.leases(data)}"
    assert node.host_veths() == [], f"host veths left after ctr run --rm: {node.host_veths()}"
    assert rt.run(["ip", "-n", rt.nr_netns(N), "link", "show", "veth-0d10-0"], check=False).returncode == 0, \
        "DEL must leave the NR in place"

    # What ctr sent.
    calls = rt.captured(cap)
    verbs = [x["env"].get("CNI_COMMAND") for x in calls]
    assert verbs == ["ADD", "ADD", "DEL", "DEL"], verbs
    for x in calls:
        assert x["env"]["CNI_CONTAINERID"] in ("default-a", "default-b"), x["env"]
        assert x["stdin"]["cniVersion"] == "1.0.0", x["stdin"]
        if x["env"]["CNI_COMMAND"] == "DEL":
            assert x["env"]["CNI_NETNS"] == "", f"containerd 1.6 DEL was expected without a netns: {x['env']}"
            assert "prevResult" in x["stdin"], x["stdin"]
        else:
            assert x["env"]["CNI_NETNS"].startswith("/proc/"), x["env"]


if __name__ == "__main__":
    rt.main(test)
