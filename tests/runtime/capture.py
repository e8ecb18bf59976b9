#!/usr/bin/python3 -B
"""Prints what containerd (ctr run --cni) and podman (CNI backend) send to a
CNI plugin: env and stdin of every call, through a logging wrapper around
zos-nr. The source of docs/runtimes.md ("What each runtime sends").

  sudo tests/runtime/capture.py [containerd|podman ...]

Node netns zt-rt-<pid>-cap, NR nibble 0d30; everything is removed at the end.
"""

import json
import os
import sys

import rtlib as rt
import runtimes

N = 0x30


def show(title, cap):
    print(f"== {title}")
    for x in rt.captured(cap):
        s = x["stdin"]
        if isinstance(s, dict) and "prevResult" in s:
            s = dict(s, prevResult="<{} keys: {}>".format(len(s["prevResult"]), ",".join(sorted(s["prevResult"]))))
        print(json.dumps({"env": x["env"], "stdin": s, "rc": x["rc"]}, sort_keys=True))
    for f in os.listdir(cap):
        os.unlink(os.path.join(cap, f))


def capture(c):
    which = sys.argv[1:] or ["containerd", "podman"]
    w = rt.OneNode(c, "cap", N)
    node, d, cap, bins = w.node, w.d, w.cap, w.bins
    conf = w.conflist
    rootfs = os.path.join(d, "rootfs.tar")
    with open(rootfs, "wb") as f:
        f.write(runtimes.rootfs_tar())
    if "containerd" in which:
        ctrd = runtimes.Containerd(c, node, conf, bins)
        ctrd.import_image(runtimes.oci_archive(os.path.join(d, "oci.tar"), runtimes.rootfs_tar()))
        ctrd.run_cmd("c1", "true")
        show("containerd: ctr run --rm --cni", cap)
        ctrd.run_cmd("c2", "true", rm=False, detach=True)
        ctrd.ctr("tasks", "kill", "-s", "KILL", "c2", check=False)
        import time
        time.sleep(0.5)
        ctrd.ctr("tasks", "delete", "c2", check=False)
        ctrd.ctr("containers", "delete", "c2", check=False)
        show("containerd: ctr run -d --cni, then tasks kill/delete + containers delete", cap)
    if "podman" in which:
        pm = runtimes.Podman(c, node, bins)
        pm.add_network("zosnet", dict(conf, plugins=[dict(conf["plugins"][0], capabilities={"ips": True, "mac": True})]))
        plain = json.loads(json.dumps(conf))
        plain["name"] = "plainnet"
        pm.add_network("plainnet", plain)
        pm.import_rootfs(rootfs)
        pm("run", "--rm", "--network", "zosnet", rt.IMAGE, "true")
        show("podman run --rm", cap)
        pm("run", "-d", "--name", "s", "--network", "zosnet:ip=10.13.48.50", "--mac-address", "02:42:0a:0d:30:32",
           rt.IMAGE, "sleep", "300")
        show("podman run -d --network zosnet:ip=10.13.48.50 --mac-address 02:42:0a:0d:30:32", cap)
        pm("stop", "-t", "0", "s")
        show("podman stop", cap)
        pm("start", "s")
        show("podman start", cap)
        pm("network", "reload", "s")
        show("podman network reload (conflist with capabilities ips, mac)", cap)
        pm("rm", "-f", "-t", "0", "s")
        show("podman rm -f", cap)
        pm("run", "-d", "--name", "p", "--network", "plainnet", rt.IMAGE, "sleep", "300")
        before = pm("exec", "p", "ip", "-o", "-4", "addr", "show", "eth0").stdout.split()[3]
        pm("network", "reload", "p")
        after = pm("exec", "p", "ip", "-o", "-4", "addr", "show", "eth0").stdout.split()[3]
        show(f"podman run -d + network reload (conflist WITHOUT capabilities): IPv4 {before} -> {after}", cap)
        pm("rm", "-f", "-t", "0", "p")
        show("podman rm -f", cap)


if __name__ == "__main__":
    rt.main(capture)
