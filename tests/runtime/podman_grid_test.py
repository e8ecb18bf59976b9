#!/usr/bin/python3 -B
"""podman on two nodes of a simulated grid: containers ping across WireGuard.

Two node netns zt-rt-<pid>-ga / -gb joined by a veth underlay
(192.168.253.1/.2); one network object with two resources (node1: nibble
0d12, node2: nibble 0d13) whose peers carry WireGuard keys and endpoints
(wireguard-go here: the kernel has no WireGuard module). A podman of its own
runs inside each node; `podman run -d` on each; the containers ping each
other over IPv4 and IPv6 through the NRs' WireGuard link. Exit 77 = skipped.
"""

import os

import rtlib as rt
import runtimes

NA, NB = 0x12, 0x13


def test(c):
    rt.require_root_and("podman", "runc", "conmon", "wg", "wireguard-go")
    na = rt.Node(c, "ga")
    nb = rt.Node(c, "gb")
    tag = str(os.getpid() % 10000)
    va, vb = f"zt-rt{tag}a", f"zt-rt{tag}b"
    rt.run(["ip", "link", "add", va, "netns", na.name, "type", "veth", "peer", "name", vb, "netns", nb.name])
    na.ip("addr", "add", "192.168.253.1/24", "dev", va)
    nb.ip("addr", "add", "192.168.253.2/24", "dev", vb)
    na.ip("link", "set", va, "up")
    nb.ip("link", "set", vb, "up")

    d = rt.tempdir(c, "grid-test")
    port = 30000 + os.getpid() % 10000
    res = []
    for node_id, n, ip in (("node1", NA, "192.168.253.1"), ("node2", NB, "192.168.253.2")):
        priv, pub = rt.wg_keypair()
        res.append({"node_id": node_id, "n": n, "ip": ip, "port": port, "priv": priv, "pub": pub})
    net = rt.network_object("t-grid", res)
    rootfs = os.path.join(d, "rootfs.tar")
    with open(rootfs, "wb") as f:
        f.write(runtimes.rootfs_tar())

    pods, addrs = {}, {}
    for node, node_id, n in ((na, "node1", NA), (nb, "node2", NB)):
        nd = os.path.join(d, node_id)
        os.makedirs(nd, mode=0o700)  # the object holds private keys
        nf = rt.write_json(os.path.join(nd, "t-grid.json"), net)
        data = os.path.join(nd, "data")
        rt.forget_nr(c, node, nf, node_id, data, [n])
        pm = runtimes.Podman(c, node, rt.plugin_dir(c, node_id))
        pm.add_network("grid", rt.zos_conflist("grid", node_id, nf, data))
        pm.import_rootfs(rootfs)
        pm("run", "-d", "--name", "g", "--network", "grid", rt.IMAGE, "sleep", "300")
        out = pm("exec", "g", "ip", "-o", "addr", "show", "eth0").stdout
        v4 = [l.split()[3].split("/")[0] for l in out.splitlines() if " inet " in l]
        v6 = [l.split()[3].split("/")[0] for l in out.splitlines() if " inet6 " in l and "global" in l]
        assert v4 and v4[0].startswith(f"10.13.{n}."), out
        assert v6 and v6[0].startswith(f"2a02:1802:5e:d{n:02x}:"), out
        pods[node_id], addrs[node_id] = pm, (v4[0], v6[0])
        assert rt.run(["ip", "-n", rt.nr_netns(n), "link", "show", f"wg-0d{n:02x}-0"], check=False).returncode == 0, \
            f"no WireGuard link in {rt.nr_netns(n)}"

    def ping(frm, to, cmd):
        return pods[frm]("exec", "g", cmd, "-c1", "-W2", to, check=False).returncode == 0
    # The first packets wait for the WireGuard handshake.
    assert rt.retry(lambda: ping("node1", addrs["node2"][0], "ping"), tries=8), "node1 -> node2 (v4) over WireGuard"
    assert rt.retry(lambda: ping("node2", addrs["node1"][0], "ping"), tries=5), "node2 -> node1 (v4) over WireGuard"
    assert rt.retry(lambda: ping("node1", addrs["node2"][1], "ping6"), tries=5), "node1 -> node2 (v6) over WireGuard"
    assert rt.retry(lambda: ping("node2", addrs["node1"][1], "ping6"), tries=5), "node2 -> node1 (v6) over WireGuard"
    # The traffic really went through the tunnel: both peers saw a handshake.
    hs = rt.run(["wg", "show", f"wg-0d{NA:02x}-0", "latest-handshakes"]).stdout.split()
    assert len(hs) == 2 and int(hs[1]) > 0, f"no WireGuard handshake on node1: {hs}"

    for node_id in ("node1", "node2"):
        pods[node_id]("rm", "-f", "-t", "0", "g")


if __name__ == "__main__":
    rt.main(test)
