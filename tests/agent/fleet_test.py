#!/usr/bin/python3
"""zos-agent end to end: a real three-member etcd cluster, three nodes with
an agent each (tests/agent/fleetlib.py), networks put into etcd with no
private key anywhere.

usage: fleet_test.py <build/bin>     exit 0 passed, 1 failed, 77 skipped
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback

from fleetlib import (ETCD_HOST, NODES, PREFIX, Failed, Fleet, check, make_certs, members_of, network,
                      nr_netns, run)

NET = "fa"


def no_private_key_in_etcd(f):
    values = f.get_all()
    privs = []
    for node in NODES:
        kd = f.node_dir(node, "keys")
        for name in os.listdir(kd) if os.path.isdir(kd) else []:
            path = os.path.join(kd, name)
            check(os.stat(path).st_mode & 0o777 == 0o600, f"{node}: key file {name} has mode 0600")
            with open(path) as fh:
                privs.append(fh.read().strip())
    check(privs, f"the agents made {len(privs)} private key(s)")
    leaked = [k for k, v in values.items() for p in privs if p in v or "private_key" in v]
    check(not leaked, f"no private key in any of the {len(values)} etcd values")


def ping_during(cns, addr, seconds):
    """A ping of `seconds` (10 a second) in the background; its Popen."""
    return subprocess.Popen(["nsenter", f"--net=/run/netns/{cns}", "ping", "-n", "-q", "-i", "0.1",
                             "-c", str(int(seconds * 10)), "-W", "1", addr], stdout=subprocess.PIPE, text=True)


def loss_of(p):
    out = p.communicate(timeout=120)[0]
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    if not m:
        raise Failed(f"no ping summary: {out}")
    return int(m.group(1)), int(m.group(2))


def run_all(f):
    f.build()
    f.start_etcd()
    for n in NODES:
        f.start_agent(n)
    ms = members_of(0)

    # 1. A network with no private key in it: every node makes its key,
    # publishes the public one, resolves its peers, applies.
    t0 = time.time()
    f.put(f"/networks/{NET}", network(NET, 1, ms))
    st = f.converge(NET, 1)
    check(True, f"put -> every node applied version 1 in {time.time() - t0:.1f} s")
    values = f.get_all()
    for n in NODES:
        pk = values.get(f"{PREFIX}/nodes/{n}/keys/{NET}", "")
        check(len(pk) == 44 and st[n].get("public_key") == pk, f"{n} published its NR's public key {pk[:8]}...")
        check(f"{PREFIX}/nodes/{n}/alive" in values, f"{n} is alive (on its lease)")
        local = json.load(open(os.path.join(f.node_dir(n, "networks"), f"{NET}.json")))
        keys = [p["connection"]["key"] for r in local["resources"] if r["node_id"]["id"] == n for p in r["peers"]]
        check(len(keys) == 3 and all(len(k) == 44 for k in keys), f"{n}'s local copy has every peer's key resolved")
    no_private_key_in_etcd(f)

    # 2. Containers on every node (CNI ADD from the local copies): the mesh
    # over v4 and v6, and the Internet through the exit on node1.
    c = {n: f.add_container(n, NET, f"c{i}") for i, n in enumerate(NODES, start=1)}
    for a in NODES:
        for b in NODES:
            if a != b:
                check(f.ping(c[a][0], c[b][1]) and f.ping(c[a][0], c[b][2]), f"{a} -> {b} over v4 and v6")
    for n in ("node2", "node3"):
        check(f.ping(c[n][0], "203.0.113.1") and f.ping(c[n][0], "2001:db8:ff::1"), f"{n} -> the Internet via the exit")
    time.sleep(2.5)  # one status refresh
    hs = f.status("node2", NET)["peers"]
    check(len(hs) == 2 and all(p["last_handshake"] for p in hs), f"node2 publishes a handshake per peer: {hs}")

    # 3. A new version with a changed peer set while node1 pings node2:
    # node3 leaves (its NR goes), node1 <-> node2 is untouched.
    p = ping_during(c["node1"][0], c["node2"][1], 4)
    time.sleep(1)
    f.put(f"/networks/{NET}", network(NET, 2, ms[:2]))
    f.converge(NET, 2, nodes=("node1", "node2"))
    sent, got = loss_of(p)
    check(got >= sent - 1, f"node1 -> node2 during the update: {sent - got} of {sent} lost")
    end = time.time() + 30
    while time.time() < end and (f.status("node3", NET) or os.path.exists(f"/run/netns/{nr_netns(ms[2][1])}")):
        time.sleep(0.2)
    check(not os.path.exists(f"/run/netns/{nr_netns(ms[2][1])}"), "node3 left the network: its NR is gone")
    check(not os.listdir(f.node_dir("node3", "keys")), "and its private key with it")
    check(not f.get_all().get(f"{PREFIX}/nodes/node3/keys/{NET}"), "and its published key")
    # node3 comes back: a new key, the others learn it.
    f.put(f"/networks/{NET}", network(NET, 3, ms))
    f.converge(NET, 3)
    run(["ip", "netns", "delete", c["node3"][0]])
    f.containers = [x for x in f.containers if x[0] != "node3"]
    c["node3"] = f.add_container("node3", NET, "c3b")
    check(f.ping(c["node3"][0], c["node1"][1]) and f.ping(c["node1"][0], c["node3"][2]),
          "node3 is back in the mesh with a new key")

    # Rotation (SIGHUP): node2 makes a new key, applies and publishes it,
    # its peers replace the old one; node1 <-> node3 is untouched.
    old = f.get_all()[f"{PREFIX}/nodes/node2/keys/{NET}"]
    with open(os.path.join(f.node_dir("node2", "keys"), f"{NET}.key")) as fh:
        old_priv = fh.read()
    p = ping_during(c["node1"][0], c["node3"][1], 4)
    time.sleep(1)
    f.agents["node2"].send_signal(signal.SIGHUP)
    end = time.time() + 30
    new = old
    while time.time() < end:
        new = f.get_all().get(f"{PREFIX}/nodes/node2/keys/{NET}", old)
        seen = [q["public_key"] for n in ("node1", "node3") for q in (f.status(n, NET) or {}).get("peers", [])
                if q["prefix"] == "2a02:1802:5e:f001::/64"]
        if new != old and seen == [new, new]:
            break
        time.sleep(0.2)
    check(new != old, f"SIGHUP: node2 published a new key {new[:8]}... (was {old[:8]}...)")
    with open(os.path.join(f.node_dir("node2", "keys"), f"{NET}.key")) as fh:
        check(fh.read() != old_priv, "its key file holds the new private key (the old one is dropped)")
    check(f.ping(c["node1"][0], c["node2"][1]) and f.ping(c["node2"][0], c["node3"][2]),
          "node1 and node3 replaced node2's key: the mesh works with it")
    sent, got = loss_of(p)
    check(got >= sent - 1, f"node1 -> node3 during node2's rotation: {sent - got} of {sent} lost")
    f.converge(NET, 3)

    # 4. A malformed object: reported under the node's status, others unaffected.
    f.put("/networks/bad", "{this is not json")
    bad = network("bad", 1, members_of(5, ("node2",)), exit_node=None)
    bad["resources"][0]["prefix"] = "10.0.0.0/24"
    f.put("/networks/bad2", bad)
    f.put(f"/networks/{NET}", network(NET, 4, ms))
    f.converge(NET, 4)
    end = time.time() + 20
    while time.time() < end and not (f.status("node2", "bad2") or {}).get("error"):
        time.sleep(0.2)
    s = f.status("node2", "bad2") or {}
    check("prefix" in s.get("error", ""), f"node2 reports the bad object: {s.get('error')}")
    f.delete("/networks/bad")
    f.delete("/networks/bad2")

    # 5. One etcd member killed (the one the agents talk to first): still converges.
    f.kill_etcd("m0")
    f.put(f"/networks/{NET}", network(NET, 5, ms))
    f.converge(NET, 5)
    check(f.ping(c["node2"][0], c["node3"][1]), "node2 -> node3 after member m0 died")

    # 6. An agent killed in the middle of an apply (SIGKILL at the fault
    # point after the NR's firewall, before its mesh): restarted, it resyncs.
    check(f.stop_agent("node2") == 0, "node2's agent stopped")
    f.put(f"/networks/{NET}", network(NET, 6, ms))
    f.start_agent("node2", env={"ZOS_FAULT": "nr-after-firewall"})
    rc = f.agents["node2"].wait(timeout=60)
    check(rc == -signal.SIGKILL, f"node2's agent was killed in the middle of applying version 6 ({rc})")
    f.start_agent("node2")
    f.converge(NET, 6)
    check(f.ping(c["node2"][0], c["node1"][1]), "node2 -> node1 after its agent was killed and restarted")

    # 7. A node cut off from etcd misses a change; reconnected, it catches up.
    f.cut("node3")
    f.put(f"/networks/{NET}", network(NET, 7, ms))
    f.converge(NET, 7, nodes=("node1", "node2"))
    time.sleep(1)
    with open(os.path.join(f.node_dir("node3", "networks"), f"{NET}.json")) as fh:
        check(json.load(fh)["version"] == 6, "node3, cut off, still has version 6")
    # 8. ... and while cut off, CNI ADD works from its local state, even
    # when the NR must be built again (node reboot).
    run([os.path.join(f.bin, "zos-nr"), "delete", os.path.join(f.node_dir("node3", "networks"), f"{NET}.json"),
         "--node", "node3", "--data-dir", f.node_dir("node3", "data")], ns=f.nodes["node3"])
    c3c = f.add_container("node3", NET, "c3c")
    check(f.ping(c3c[0], c["node1"][1]) and f.ping(c3c[0], "203.0.113.1"),
          "CNI ADD on node3 with etcd out of reach: the NR rebuilt from the local copy, the mesh works")
    f.reconnect("node3")
    f.converge(NET, 7)
    check(f.ping(c3c[0], c["node2"][2]), "node3 reconnected and converged on version 7")

    # 9. The key goes: every NR goes.
    f.delete(f"/networks/{NET}")
    end = time.time() + 30
    while time.time() < end and any(os.path.exists(f"/run/netns/{nr_netns(m[1])}") for m in ms):
        time.sleep(0.2)
    check(not any(os.path.exists(f"/run/netns/{nr_netns(m[1])}") for m in ms), "the key deleted: every NR is gone")
    end = time.time() + 15
    while time.time() < end and [k for k in f.get_all() if f"/{NET}" in k]:
        time.sleep(0.2)
    left = [k for k in f.get_all() if f"/{NET}" in k]
    check(not left, f"no status or key of {NET} left in etcd: {left}")
    for n in NODES:
        check(f.stop_agent(n) == 0, f"{n}'s agent exits 0 on SIGTERM")


def run_tls(f):
    """etcd with TLS client certificates and RBAC: node2's agent reads the
    networks and writes only nodes/node2/; a certificate the CA never
    signed gets nothing."""
    d = os.path.join(f.tmp, "tls")
    os.makedirs(d)
    make_certs(d)
    port = f.members[-1][2] + 1
    url = f"https://{ETCD_HOST}:{port}"
    log = open(os.path.join(f.tmp, "etcd-tls.log"), "a")
    peer = f"http://127.0.0.1:{port + 1}"
    f.etcd["tls"] = subprocess.Popen(
        ["nsenter", f"--net=/run/netns/{f.sw}", "etcd", "--name", "tls", "--data-dir", os.path.join(f.tmp, "etcd-tls"),
         "--listen-client-urls", url, "--advertise-client-urls", url, "--listen-peer-urls", peer,
         "--initial-advertise-peer-urls", peer, "--initial-cluster", f"tls={peer}",
         "--cert-file", f"{d}/server.pem", "--key-file", f"{d}/server.key",
         "--client-cert-auth", "--trusted-ca-file", f"{d}/ca.pem"], stdout=log, stderr=log)
    env = dict(os.environ, ETCDCTL_API="3")

    def ctl(args, user="root:rootpw", check_rc=True):
        u = ["--user", user] if user else []
        return run(["etcdctl", "--endpoints", url, "--cacert", f"{d}/ca.pem", "--cert", f"{d}/node2.pem",
                    "--key", f"{d}/node2.key", "--dial-timeout", "2s"] + u + args, ns=f.sw, env=env, check_rc=check_rc)

    for _ in range(100):
        if ctl(["endpoint", "health"], user=None, check_rc=False).returncode == 0:
            break
        time.sleep(0.1)
    # The roles of docs/fleet.md.
    for args in (["user", "add", "root", "--new-user-password", "rootpw", "--interactive=false"],
                 ["role", "add", "root"], ["user", "grant-role", "root", "root"],
                 ["role", "add", "zos-node-node2"],
                 ["role", "grant-permission", "zos-node-node2", "read", f"{PREFIX}/", "--prefix"],
                 ["role", "grant-permission", "zos-node-node2", "readwrite", f"{PREFIX}/nodes/node2/", "--prefix"],
                 ["user", "add", "node2", "--new-user-password", "pw2", "--interactive=false"],
                 ["user", "grant-role", "node2", "zos-node-node2"], ["auth", "enable"]):
        ctl(args, user=None)
    with open(f"{d}/pw2", "w") as fh:
        fh.write("pw2\n")
    tls = ["--etcd", url, "--cacert", f"{d}/ca.pem"]
    f.start_agent("node2", extra=tls + ["--cert", f"{d}/node2.pem", "--key", f"{d}/node2.key",
                                        "--user", "node2", "--password-file", f"{d}/pw2"])
    f.start_agent("node3", extra=tls + ["--cert", f"{d}/other.pem", "--key", f"{d}/other.key"])
    ms = members_of(7, ("node2",))
    net = network("ft", 1, ms, exit_node=None)
    ctl(["put", f"{PREFIX}/networks/ft", json.dumps(net)])
    end = time.time() + 30
    s = None
    while time.time() < end:
        out = ctl(["get", f"{PREFIX}/nodes/node2/status/ft", "--print-value-only"]).stdout
        s = json.loads(out) if out.strip() else None
        if s and s.get("applied") == 1 and not s.get("problems"):
            break
        time.sleep(0.2)
    check(s and s.get("applied") == 1 and not s.get("problems"), f"over TLS with RBAC, node2 applied ft: {s}")
    check(os.path.exists(f"/run/netns/{nr_netns(ms[0][1])}"), "and its NR is there")
    r = ctl(["put", f"{PREFIX}/networks/x", "{}"], user="node2:pw2", check_rc=False)
    check(r.returncode != 0 and "permission denied" in r.stderr, "node2's role may not write a network")
    r = ctl(["put", f"{PREFIX}/nodes/node3/alive", "{}"], user="node2:pw2", check_rc=False)
    check(r.returncode != 0 and "permission denied" in r.stderr, "nor another node's subtree")
    out = ctl(["get", f"{PREFIX}/nodes/node3/", "--prefix", "--keys-only"]).stdout
    with open(os.path.join(f.tmp, "agent-node3.log")) as fh:
        refused = "no etcd endpoint answered" in fh.read()
    check(not out.strip() and refused, "an agent whose certificate the CA never signed publishes nothing (TLS refused)")
    ctl(["del", f"{PREFIX}/networks/ft"])
    end = time.time() + 30
    while time.time() < end and os.path.exists(f"/run/netns/{nr_netns(ms[0][1])}"):
        time.sleep(0.2)
    check(not os.path.exists(f"/run/netns/{nr_netns(ms[0][1])}"), "ft deleted over TLS: the NR is gone")
    for n in ("node2", "node3"):
        f.stop_agent(n)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces)")
        return 77
    for tool in ("etcd", "etcdctl", "wireguard-go", "nft"):
        if not shutil.which(tool):
            print(f"skipped: no {tool} (scripts/install-deps.sh)")
            return 77
    f = Fleet(os.path.abspath(sys.argv[1]))
    t0 = time.time()
    try:
        run_all(f)
        run_tls(f)
        print(f"PASSED in {time.time() - t0:.0f} s")
        return 0
    except Exception:
        traceback.print_exc()
        print(f.logs())
        return 1
    finally:
        f.close()


if __name__ == "__main__":
    sys.exit(main())
