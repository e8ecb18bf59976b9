#!/usr/bin/python3
"""zos-agent: convergence time from one etcd write of N networks to every
node having applied them, for N = 1, 10, 100 on three nodes (a real
three-member etcd cluster, tests/agent/fleetlib.py); the agents' RSS and
their CPU while idle; then the time until every NR is gone after one
delete. Each network spans the three nodes with a WireGuard mesh
(wireguard-go here) and no private key in the object: every node makes its
keys and learns the others' (above --mesh-up-to networks: no mesh, see
there why).

usage: sudo bench/fleet_bench.py [build/bin] [--counts 1,10,100] [--idle 20]
Root (namespaces). Prints a Markdown table.
"""
import argparse
import base64
import json
import os
import sys
import time

from fleetlib import NODES, PREFIX, Fleet, members_of, network, run  # tests/agent's, through a symlink (zostest.py)


def b64(s):
    return base64.b64encode(s.encode()).decode()


def gateway(f, path, body):
    """One request to etcd's JSON gateway (one transaction: one revision)."""
    url = f.client_urls(live_only=True)[0] + path
    r = run(["curl", "-sS", "--fail-with-body", "-X", "POST", "-d", "@-", url], ns=f.sw, input=json.dumps(body))
    return json.loads(r.stdout)


def statuses(f):
    r = f.etcdctl(["get", f"{PREFIX}/nodes/", "--prefix", "-w", "json"])
    out = {}
    for kv in json.loads(r.stdout).get("kvs", []):
        k = base64.b64decode(kv["key"]).decode()[len(PREFIX) + 1:].split("/")  # nodes/<node>/status/<id>
        if len(k) == 4 and k[2] == "status":
            out[(k[1], k[3])] = json.loads(base64.b64decode(kv["value"]))
    return out


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def one(f, n, idle, mesh):
    ids = [f"bn{n}-{i}" for i in range(n)]
    ops = [{"request_put": {"key": b64(f"{PREFIX}/networks/{nid}"),
                            "value": b64(json.dumps(network(nid, 1, members_of(i), exit_node=None, mesh=mesh)))}}
           for i, nid in enumerate(ids)]
    t0 = time.time()
    gateway(f, "/v3/kv/txn", {"success": ops})
    want = {(node, nid) for node in NODES for nid in ids}
    while True:
        st = statuses(f)
        done = {k for k in want if k in st and st[k].get("applied") == 1 and not st[k].get("waiting_for_keys")}
        if done == want:
            break
        if time.time() - t0 > float(os.environ.get("ZOS_BENCH_PATIENCE", "300")):
            print(f.logs())
            raise RuntimeError(f"{len(want - done)} NRs did not converge: {sorted(want - done)[:5]}")
        time.sleep(0.05)
    converge = time.time() - t0
    problems = sum(1 for k in want if st[k].get("problems"))
    time.sleep(3)  # the last status writes
    pids = {node: f.agents[node].pid for node in NODES}
    c0 = {node: cpu_ticks(p) for node, p in pids.items()}
    time.sleep(idle)
    hz = os.sysconf("SC_CLK_TCK")
    cpu = max((cpu_ticks(p) - c0[node]) / hz / idle * 100 for node, p in pids.items())
    rss = max(rss_kib(p) for p in pids.values()) / 1024
    t1 = time.time()
    gateway(f, "/v3/kv/deleterange", {"key": b64(f"{PREFIX}/networks/"), "range_end": b64(f"{PREFIX}/networks0")})
    while any(os.path.exists(f"/run/netns/{e}") for e in os.listdir("/run/netns") if e.startswith("net-f")):
        time.sleep(0.05)
    gone = time.time() - t1
    return converge, problems, rss, cpu, gone


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin", nargs="?", default=os.path.join(os.path.dirname(__file__), "..", "build", "bin"))
    ap.add_argument("--counts", default="1,10,100")
    ap.add_argument("--idle", type=int, default=20)
    # Three nodes on one machine run 3N wireguard-go processes; each takes an
    # inotify instance, and fs.inotify.max_user_instances (128 by default)
    # is shared by the whole machine: above this N the networks have no mesh.
    ap.add_argument("--mesh-up-to", type=int, default=10)
    a = ap.parse_args()
    f = Fleet(os.path.abspath(a.bin), tag="fb")
    rows = []
    try:
        f.build()
        f.start_etcd()
        for node in NODES:
            f.start_agent(node, extra=["--status-interval", "10", "--ttl", "15"])
        time.sleep(1)
        for n in (int(x) for x in a.counts.split(",")):
            mesh = n <= a.mesh_up_to
            r = one(f, n, a.idle, mesh)
            rows.append((n, mesh) + r)
            print(f"N={n} (mesh {mesh}): converged in {r[0]:.2f} s, {r[1]} with problems, RSS {r[2]:.1f} MiB, "
                  f"idle CPU {r[3]:.2f} %, all gone {r[4]:.2f} s after the delete", flush=True)
    finally:
        f.close()
    print("\n| networks (x 3 nodes) | WireGuard mesh | put -> every node applied | NRs with problems | agent RSS (max) | agent idle CPU (max) | delete -> every NR gone |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n, mesh, conv, prob, rss, cpu, gone in rows:
        print(f"| {n} | {'yes' if mesh else 'no'} | {conv:.2f} s | {prob} | {rss:.1f} MiB | {cpu:.2f} % | {gone:.2f} s |")


if __name__ == "__main__":
    sys.exit(main())
