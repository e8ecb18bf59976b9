#!/usr/bin/python3 -B
"""Container start to ready through real runtimes: zos-nr + zos-ipam against
the reference bridge + host-local, same runtime, same run.

For containerd 1.6 (`ctr run --rm --cni`) and podman 4.3 (`podman run --rm`,
CNI backend), each sample is the wall time of one run of a busybox container
whose command checks that eth0 has its IPv4 and exits: create, network ADD,
start, exit, network DEL, remove. For containerd's CRI plugin (the kubelet
path, tests/runtime/crilib.py) a sample is one RunPodSandbox (netns, ADD,
sandbox start; the pod is ready when it returns), the bridge conflist being
that of a second runtime handler; Stop + Remove follow, untimed. zos and reference samples are interleaved
so they share the machine's noise; one warm-up run of each is left out (it
builds the NR / the bridge). Runs as root inside a node netns of its own
(zt-rt-<pid>-bench), with the setup of tests/runtime/rtlib.py; everything it
made is removed at the end, also on Ctrl-C / SIGTERM.

  sudo bench/runtimes_bench.py [--n 10] [--quick] [--json] [--runtime containerd|podman|cri]

--json prints {"rows":[{"runtime","plugins","start_ms" (median),"p90_ms","n"}]}.
Plugins: $ZOS_PLUGIN_DIR, else build/bin. NR nibbles 0d20, 0d21 (CRI).
"""

import argparse
import json
import os
import statistics
import sys
import time

import crilib  # tests/runtime's, through the symlinks beside this script (see zostest.py)
import rtlib as rt
import runtimes

N = 0x20
REF_SUBNET = "10.99.0.0/24"
READY = ["sh", "-c", "ip -o -4 addr show eth0 | grep -q inet"]


def setup(c, which):
    node = rt.Node(c, "bench")
    d = rt.tempdir(c, "bench")
    zdata, rdata = os.path.join(d, "zos-data"), os.path.join(d, "ref-ipam")
    nf = rt.write_json(os.path.join(d, "t-bench.json"), rt.network_object("t-bench", [{"node_id": "node1", "n": N}]))
    rt.forget_nr(c, node, nf, "node1", zdata, [N])
    conf = {"zos": rt.zos_conflist("zosnet", "node1", nf, zdata),
            "bridge": rt.bridge_conflist("refnet", "zt-rtbr0", REF_SUBNET, rdata)}
    bins = rt.plugin_dir(c, "bench")
    rootfs = os.path.join(d, "rootfs.tar")
    with open(rootfs, "wb") as f:
        f.write(runtimes.rootfs_tar())
    runners = {}
    if "containerd" in which:
        ctrd = runtimes.Containerd(c, node, conf["zos"], bins)
        ctrd.import_image(runtimes.oci_archive(os.path.join(d, "busybox-oci.tar"), runtimes.rootfs_tar()))
        seq = iter(range(10**9))

        def ctr_run(plugins):
            ctrd.set_conflist(conf[plugins])  # ctr takes the first conflist of /etc/cni/net.d
            return ctrd.run_cmd(f"b{next(seq)}", *READY)
        runners["containerd"] = ctr_run
    if "podman" in which:
        pm = runtimes.Podman(c, node, bins)
        pm.add_network("zosnet", conf["zos"])
        pm.add_network("refnet", conf["bridge"])
        pm.import_rootfs(rootfs)
        net = {"zos": "zosnet", "bridge": "refnet"}
        runners["podman"] = lambda plugins: pm("run", "--rm", "--network", net[plugins], rt.IMAGE, *READY)
    if "cri" in which:
        runners["containerd CRI"] = cri_runner(c, node, d, bins, conf["bridge"])
    return runners, (node, zdata, rdata)


def cri_runner(c, node, d, bins, bridge_conf):
    """RunPodSandbox timed, Stop + Remove after it; the zos NR (its own
    nibble and dataDir: its netns lives in the CRI mount namespace) goes at
    the end."""
    pb, pbg = crilib.stubs(c)
    import grpc
    cd = os.path.join(d, "cri")
    dirs = {"": os.path.join(cd, "zos.d"), "ref": os.path.join(cd, "ref.d")}
    for x in dirs.values():
        os.makedirs(x)
    data = os.path.join(cd, "zos-data")
    nf = rt.write_json(os.path.join(cd, "t-bench-cri.json"),
                       rt.network_object("t-bench-cri", [{"node_id": "node1", "n": N + 1}]))
    rt.write_json(os.path.join(dirs[""], "10-zos.conflist"), rt.zos_conflist("zosnet", "node1", nf, data))
    rt.write_json(os.path.join(dirs["ref"], "10-ref.conflist"), bridge_conf)
    holder, ctrd = crilib.start(c, node, cd, bins, dirs)
    c.add(lambda: rt.run(holder.enter() + [os.path.join(bins, "zos-nr"), "delete", nf, "--node", "node1",
                                           "--data-dir", data], check=False))
    cri = pbg.RuntimeServiceStub(grpc.insecure_channel("unix://" + ctrd.sock))
    seq = iter(range(10**9))

    def run_pod(plugins):
        name = f"b{next(seq)}"
        config = pb.PodSandboxConfig(metadata=pb.PodSandboxMetadata(name=name, uid=name, namespace="bench"),
                                     hostname=name)
        t0 = time.perf_counter()
        handler = "" if plugins == "zos" else "ref"
        pid = cri.RunPodSandbox(pb.RunPodSandboxRequest(config=config, runtime_handler=handler),
                                timeout=120).pod_sandbox_id
        took = (time.perf_counter() - t0) * 1000
        st = cri.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pid), timeout=30).status
        assert st.network.ip, f"pod {name} ({plugins}) has no IP"
        cri.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pid), timeout=60)
        cri.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pid), timeout=60)
        return took
    return run_pod


def measure(runners, n):
    rows = []
    for runtime, go in runners.items():
        samples = {"zos": [], "bridge": []}
        for p in samples:  # warm-up: builds the NR / the bridge
            go(p)
        for i in range(n):
            order = ("zos", "bridge") if i % 2 == 0 else ("bridge", "zos")
            for p in order:
                t0 = time.perf_counter()
                took = go(p)  # a runner may time only its own part (ms)
                samples[p].append(took if isinstance(took, float) else (time.perf_counter() - t0) * 1000)
        for p, s in samples.items():
            s.sort()
            rows.append({"runtime": runtime, "plugins": p, "start_ms": round(statistics.median(s), 1),
                         "p90_ms": round(s[min(len(s) - 1, int(0.9 * len(s)))], 1), "n": len(s)})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10, help="samples per runtime and plugin set (default 10)")
    ap.add_argument("--quick", action="store_true", help="3 samples each (CI)")
    ap.add_argument("--json", action="store_true", help="print JSON rows only")
    ap.add_argument("--runtime", action="append", choices=["containerd", "podman", "cri"])
    a = ap.parse_args()
    n = 3 if a.quick else a.n
    wanted = a.runtime or ["containerd", "podman", "cri"]
    out = {"rows": []}

    def bench(c):
        tools = {"containerd": ("containerd", "ctr", "runc", "unshare", "findmnt"), "podman": ("podman", "runc", "conmon"),
                 "cri": ("containerd", "runc", "ctr", "unshare", "nsenter")}
        have = []
        for r in wanted:
            try:
                rt.require_root_and(*tools[r])
                have.append(r)
            except rt.Skip as e:
                out.setdefault("skipped", {})[r] = str(e)
        runners, (node, zdata, rdata) = setup(c, have)
        out["rows"] = measure(runners, n)
        # Every run was --rm: nothing may be left attached.
        assert rt.leases(zdata) == [], rt.leases(zdata)
        assert node.host_veths() == [], node.host_veths()

    c = rt.Cleanup()
    rc = 0
    try:
        bench(c)
    except AssertionError as e:
        rt.log(f"runtimes_bench: {e}")
        rc = 1
    finally:
        c.run()
    if a.json:
        print(json.dumps(out))
    else:
        print(f"{'runtime':<16}{'plugins':<9}{'start ms p50':>14}{'p90':>9}{'n':>5}")
        for r in out["rows"]:
            print(f"{r['runtime']:<16}{r['plugins']:<9}{r['start_ms']:>14.1f}{r['p90_ms']:>9.1f}{r['n']:>5}")
        for r in out["rows"]:
            if r["plugins"] == "zos":
                ref = [x for x in out["rows"] if x["runtime"] == r["runtime"] and x["plugins"] == "bridge"]
                if ref:
                    print(f"{r['runtime']}: zos / bridge = {r['start_ms'] / ref[0]['start_ms']:.2f}x")
        for k, v in out.get("skipped", {}).items():
            print(f"skipped {k}: {v}")
    sys.exit(rc)


if __name__ == "__main__":
    import signal

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    main()
