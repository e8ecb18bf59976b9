#!/usr/bin/python3
"""The side-by-side comparison in one command: zos-nr + zos-ipam against the
reference bridge + host-local (same conflist shape), through libcni (the
cni-test harness, as containerd/CRI-O/podman call plugins) and by direct
exec, for ADD, CHECK and DEL (wall, CPU, peak RSS of the plugin processes),
the Nth ADD at 1, 50 and 250 containers, and K concurrent ADDs; then, when
bench/runtimes_bench.py is there, container start to ready through
containerd and podman, and pod ready (RunPodSandbox) through containerd's
CRI plugin. Prints markdown tables.

  sudo bench/compare.py [--quick] [--bin build/bin] [--n 250] [--concurrent 32]

Root, Debian's /usr/bin/python3. Everything runs in a node netns of its own
(zt-lc-bench-<pid>-node); NRs use prefixes 2a02:1802:5e:e10::/64 (libcni) and
2a02:1802:5e:e11::/64 (direct). Process measurement (the rusage launcher) and
the netns/cleanup plumbing are bench/nr_bench.py's. See bench/README.md.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
import nr_bench as nb

PREFIX = {"libcni": "2a02:1802:5e:e10::/64", "direct": "2a02:1802:5e:e11::/64"}
REF = {"libcni": ("zt-lcb0", "10.96.0.0/24"), "direct": ("zt-lcb1", "10.96.1.0/24")}
KINDS = ("zos", "ref")
PATHS = ("libcni", "direct")


def log(msg):
    print("compare: " + msg, file=sys.stderr, flush=True)


class Compare(nb.Bench):
    """nr_bench's Bench (launcher, node netns, spawn/measure, cleanup) with
    two NRs and two reference bridges, one pair per path."""

    def __init__(self, a):
        ns = argparse.Namespace(bin=a.bin, prefix=PREFIX["direct"], alloc=0, ipv6=a.ipv6, enter="setns",
                                tmpdir=a.tmpdir)
        super().__init__(ns)
        self.a = a
        self.a.enter = "setns"
        self.tag = "zt-lc-bench-%d" % self.pid
        self.node = self.tag + "-node"
        self.cni_test = a.cni_test or os.path.join(self.bin, "cni-test")
        if not a.cni_test and not os.access(self.cni_test, os.X_OK):
            self.cni_test = os.path.join(ROOT, "build", "bin", "cni-test")
        if not os.access(self.cni_test, os.X_OK):
            self.cleanup()
            nb.die("%s missing: cmake --build build --target cni-test" % self.cni_test)
        self.lists = {}
        self.netfiles = {}
        for path in PATHS:
            nf = os.path.join(self.tmp, "network-%s.json" % path)
            with open(nf, "w") as f:
                json.dump({"network_id": "lcbench" + path, "version": 1, "allocation_nr": 0,
                           "resources": [{"node_id": {"id": "node1"}, "prefix": PREFIX[path], "peers": []}]}, f)
            self.netfiles[path] = nf
            nrns = "net-%s-0" % self.nibble(PREFIX[path])
            if os.path.exists("/run/netns/" + nrns):
                self.cleanup()
                nb.die("/run/netns/%s exists already (another run?)" % nrns)
            for kind in KINDS:
                self.lists[(kind, path)] = self.conflist(kind, path)

    def conflist(self, kind, path):
        """The same shape for both: one main plugin with its IPAM."""
        if kind == "zos":
            plugin = {"type": "zos-nr", "nodeId": "node1", "networkFile": self.netfiles[path],
                      "dataDir": os.path.join(self.tmp, "zos-" + path),
                      "ipam": {"type": "zos-ipam", "ipv6": self.a.ipv6}}
        else:
            br, subnet = REF[path]
            plugin = {"type": "bridge", "bridge": br, "isGateway": True,
                      "ipam": {"type": "host-local", "dataDir": os.path.join(self.tmp, "hl-" + path),
                               "ranges": [[{"subnet": subnet}]], "routes": [{"dst": "0.0.0.0/0"}]}}
        lst = {"cniVersion": "1.0.0", "name": "lcb%s%s" % (kind, path), "plugins": [plugin]}
        fn = os.path.join(self.tmp, "%s-%s.conflist" % (kind, path))
        with open(fn, "w") as f:
            json.dump(lst, f)
        return lst, fn

    def cni_path(self, kind):
        return self.bin if kind == "zos" else nb.REF_DIR

    # ---- through libcni: the cni-test harness, in the node netns ------------------------------------

    def via_libcni(self, kind):
        _, fn = self.lists[(kind, "libcni")]
        cache = os.path.join(self.tmp, "cache-" + kind)
        os.makedirs(cache, exist_ok=True)
        argv = [self.nsenter, "--net=/run/netns/" + self.node, self.cni_test, "bench", "-conflist", fn,
                "-path", self.cni_path(kind), "-n", str(self.a.n), "-concurrent", str(self.a.concurrent),
                "-rusage", self.launcher, "-tag", "%s-g%s" % (self.tag, kind), "-cache", cache]
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError("cni-test bench (%s): %s" % (kind, r.stderr.strip()[-800:]))
        d = json.loads(r.stdout)

        def conv(xs):
            return [nb.Sample(x["wall_ns"] / 1e9, x["cpu_ns"] / 1e9, x["rss_kib"], 0, b"", b"") for x in xs]
        return {"add": conv(d["add"]), "check": conv(d["check"]), "del": conv(d["del"]),
                "conc": (d["conc_wall_ns"] / 1e9, d["conc_cpu_ns"] / 1e9, d["conc_rss_kib"], d["conc_failed"])}

    # ---- by direct exec: the launcher setns()es into the node, execs the plugin -------------------

    def plugin_conf(self, kind, prev=None):
        lst, _ = self.lists[(kind, "direct")]
        c = dict(lst["plugins"][0], name=lst["name"], cniVersion=lst["cniVersion"])
        if prev is not None:
            c["prevResult"] = prev
        return json.dumps(c).encode()

    def env(self, kind, cmd, ns, cid):
        return {"CNI_COMMAND": cmd, "CNI_CONTAINERID": cid, "CNI_NETNS": "/run/netns/" + ns,
                "CNI_IFNAME": "eth0", "CNI_PATH": self.cni_path(kind)}

    def plugin(self, kind):
        lst, _ = self.lists[(kind, "direct")]
        return os.path.join(self.cni_path(kind), lst["plugins"][0]["type"])

    def call(self, kind, cmd, ns, cid, prev=None):
        return self.check(self.run([self.plugin(kind)], self.env(kind, cmd, ns, cid), self.plugin_conf(kind, prev)),
                          "%s %s %s" % (kind, cmd, cid))

    def via_direct(self, kind):
        res = {"add": [], "check": [], "del": []}
        made = []
        for i in range(self.a.n):
            ns = self.new_container()
            s = self.call(kind, "ADD", ns, "d-%d" % i)
            made.append((ns, "d-%d" % i, json.loads(s.out)))
            res["add"].append(s)
        for ns, cid, prev in made:
            res["check"].append(self.call(kind, "CHECK", ns, cid, prev))
        for ns, cid, prev in made:
            res["del"].append(self.call(kind, "DEL", ns, cid, prev))
            self.drop_container(ns)
        res["conc"] = self.concurrent(kind)
        return res

    def concurrent(self, kind):
        """K launchers started back to back, each setns()ing into the node and
        exec'ing one ADD; total wall from the first spawn to the last wait."""
        k = self.a.concurrent
        nss = [self.new_container() for _ in range(k)]
        conf = self.plugin_conf(kind)
        procs = []
        files = []
        for i, ns in enumerate(nss):
            base = os.path.join(self.tmp, "conc-%d" % i)
            with open(base + ".in", "wb") as f:
                f.write(conf)
            files.append(base)
        t0 = time.perf_counter()
        for i, ns in enumerate(nss):
            base = files[i]
            e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
            e.update(self.env(kind, "ADD", ns, "k-%d" % i))
            with open(base + ".in", "rb") as fi, open(base + ".out", "wb") as fo:
                procs.append(subprocess.Popen([self.launcher, base + ".res", "/run/netns/" + self.node,
                                               self.plugin(kind)], stdin=fi, stdout=fo, stderr=fo, env=e))
        for p in procs:
            p.wait()
        wall = time.perf_counter() - t0
        cpu, rss, failed = 0.0, 0, 0
        for base in files:
            try:
                with open(base + ".res") as f:
                    _, c, r, rc = f.read().split()
                cpu += int(c) / 1e9
                rss = max(rss, int(r))
                failed += int(rc) != 0
            except (OSError, ValueError):
                failed += 1
        for i, ns in enumerate(nss):
            try:
                with open(files[i] + ".out", "rb") as f:
                    prev = json.loads(f.read())
            except ValueError:
                prev = None
            self.call(kind, "DEL", ns, "k-%d" % i, prev if prev and "code" not in prev else None)
            self.drop_container(ns)
        return (wall, cpu, rss, failed)

    def cleanup(self):
        for path, nf in getattr(self, "netfiles", {}).items():
            nrns = "net-%s-0" % self.nibble(PREFIX[path])
            if self.node_made and os.path.exists("/run/netns/" + nrns):
                try:
                    self.run([os.path.join(self.bin, "zos-nr"), "delete", nf, "--node", "node1"],
                             {"ZOS_DATA_DIR": os.path.join(self.tmp, "zos-" + path), "CNI_PATH": self.bin})
                except Exception:
                    pass
                self.sh(self.ip, "netns", "del", nrns, ok=True)
        super().cleanup()


# ---- report ---------------------------------------------------------------------------------------

def ms(v):
    return "%.1f ms" % (v * 1000.0)


def mib(v):
    return "%.1f MiB" % (v / 1024.0)


def window(xs, n, w=5):
    """Median wall of ADDs #n-w+1..#n (1-based): the time of the Nth ADD, smoothed."""
    if len(xs) < n:
        return None
    part = xs[max(0, n - w):n]
    return nb.pct([s.wall for s in part], 50)


def table(res, a):
    cols = [(k, p) for p in PATHS for k in KINDS]
    head = "| metric | " + " | ".join("%s %s" % ("zos" if k == "zos" else "bridge", p) for k, p in cols) + \
           " | zos/bridge libcni | zos/bridge direct |"
    lines = [head, "|" + "---|" * (len(cols) + 3)]

    def row(label, f, fmt):
        vals = {c: f(res[c]) for c in cols}
        cells = [fmt(vals[c]) if vals[c] is not None else "-" for c in cols]
        ratios = []
        for p in PATHS:
            z, r = vals[("zos", p)], vals[("ref", p)]
            ratios.append("%.2fx" % (z / r) if z is not None and r else "-")
        lines.append("| " + label + " | " + " | ".join(cells + ratios) + " |")

    def ops(r, op):
        # ADD #1 builds the NR / the bridge: its own row below.
        return r[op][1:] if op == "add" else r[op]

    for op in ("add", "check", "del"):
        name = op.upper() + (" (#2-%d)" % a.n if op == "add" else "")
        row("%s wall p50" % name, lambda r, op=op: nb.stat(ops(r, op), "wall") if ops(r, op) else None, ms)
        row("%s CPU p50" % name, lambda r, op=op: nb.stat(ops(r, op), "cpu") if ops(r, op) else None, ms)
        row("%s peak RSS p50" % name, lambda r, op=op: nb.stat(ops(r, op), "rss") if ops(r, op) else None, mib)
        row("%s peak RSS max" % name, lambda r, op=op: nb.stat(ops(r, op), "rss", 100) if ops(r, op) else None, mib)
    row("ADD #1 wall (builds the NR / bridge)", lambda r: r["add"][0].wall if r["add"] else None, ms)
    row("ADD #1 CPU", lambda r: r["add"][0].cpu if r["add"] else None, ms)
    row("ADD #1 peak RSS", lambda r: r["add"][0].rss if r["add"] else None, mib)
    for n in (50, 250):
        if a.n >= n:
            row("ADD #%d wall (median #%d-%d)" % (n, n - 4, n), lambda r, n=n: window(r["add"], n), ms)
    if a.n < 50:
        row("ADD #%d wall (median #%d-%d)" % (a.n, max(1, a.n - 4), a.n), lambda r: window(r["add"], a.n), ms)
    k = a.concurrent
    row("%d concurrent ADDs: total wall" % k, lambda r: r["conc"][0], ms)
    row("%d concurrent ADDs: CPU sum" % k, lambda r: r["conc"][1], ms)
    row("%d concurrent ADDs: peak RSS" % k, lambda r: r["conc"][2], mib)
    fails = {c: res[c]["conc"][3] for c in cols if res[c]["conc"][3]}
    return lines, fails


def runtimes(a):
    """Rows of bench/runtimes_bench.py --json, or a note why there are none."""
    script = a.runtimes_script
    if not os.path.exists(script):
        return None, "bench/runtimes_bench.py is not there: containerd/podman rows skipped"
    argv = ["/usr/bin/python3", script, "--json"] + (["--quick"] if a.quick else [])
    env = dict(os.environ, ZOS_PLUGIN_DIR=os.path.abspath(a.bin))
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=a.runtime_timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, "bench/runtimes_bench.py took more than %ds: rows skipped" % a.runtime_timeout
    if r.returncode:
        return None, "bench/runtimes_bench.py failed (exit %d): %s" % (r.returncode, r.stderr.strip()[-300:])
    try:
        rows = json.loads(r.stdout)["rows"]
    except (ValueError, KeyError, TypeError) as e:
        return None, "bench/runtimes_bench.py printed no {\"rows\": [...]}: %s" % e
    return rows, None


def runtime_table(rows):
    lines = ["| runtime | zos start to ready p50 (p90) | bridge start to ready p50 (p90) | zos/bridge p50 | n |",
             "|---|---|---|---|---|"]
    by = {}
    for r in rows:
        by.setdefault(r.get("runtime", "?"), {})[r.get("plugins", "?")] = r
    for rt in sorted(by):
        z, b = by[rt].get("zos"), by[rt].get("bridge")
        def cell(r):
            if not r:
                return "-"
            p90 = r.get("p90_ms")
            return "%.0f ms" % r["start_ms"] + (" (%.0f ms)" % p90 if isinstance(p90, (int, float)) else "")
        zs, bs = cell(z), cell(b)
        ratio = "%.2fx" % (z["start_ms"] / b["start_ms"]) if z and b and b["start_ms"] else "-"
        n = "/".join(str(x["n"]) for x in (z, b) if x)
        lines.append("| %s | %s | %s | %s | %s |" % (rt, zs, bs, ratio, n))
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.environ.get("ZOS_PLUGIN_DIR", os.path.join(ROOT, "build", "bin")),
                   help="dir with zos-nr, zos-ipam, zos-nft, cni-test (default $ZOS_PLUGIN_DIR or build/bin)")
    p.add_argument("--n", type=int, default=250, help="containers attached one after another (default 250)")
    p.add_argument("--concurrent", type=int, default=32, help="ADDs started at once (default 32)")
    p.add_argument("--quick", action="store_true", help="smoke run: --n 10 --concurrent 8, runtimes --quick")
    p.add_argument("--ipv6", default="ipv4", help="zos-ipam ipv6 mode (default ipv4: IPv6 from the IPv4)")
    p.add_argument("--tmpdir", help="where data dirs go (default $TMPDIR or /tmp)")
    p.add_argument("--reverse", action="store_true",
                   help="run the phases in reverse order (direct bridge first) to see the order's effect")
    p.add_argument("--no-runtimes", action="store_true", help="skip bench/runtimes_bench.py")
    p.add_argument("--runtime-timeout", type=int, default=300, help="seconds for runtimes_bench.py (default 300)")
    p.add_argument("--cni-test", help="the cni-test binary (default: <bin>/cni-test, else build/bin/cni-test)")
    p.add_argument("--runtimes-script", default=os.path.join(HERE, "runtimes_bench.py"), help=argparse.SUPPRESS)
    p.add_argument("--json", help="also write the figures as JSON to this file")
    a = p.parse_args()
    if a.quick:
        a.n, a.concurrent = min(a.n, 10), min(a.concurrent, 8)
    if os.geteuid() != 0:
        print("SKIP: compare.py needs root (netns, links)")
        return 77
    if not (1 <= a.n <= 250 and 1 <= a.concurrent <= 250):
        nb.die("--n and --concurrent: 1 to 250 (the NR /24; the fill is detached before the concurrent ADDs)")
    a.bin = os.path.abspath(a.bin)

    c = Compare(a)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    rc = 1
    res = {}
    t0 = time.time()
    try:
        c.setup()
        phases = [(path, kind) for path in PATHS for kind in KINDS]
        for path, kind in (reversed(phases) if a.reverse else phases):
            t = time.time()
            res[(kind, path)] = c.via_libcni(kind) if path == "libcni" else c.via_direct(kind)
            log("%s %s: %.1fs" % (kind, path, time.time() - t))
        rc = 0
    except KeyboardInterrupt:
        log("interrupted, cleaning up")
        rc = 130
    except Exception as e:
        log(str(e))
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        c.cleanup()
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if rc:
        return rc
    lines, fails = table(res, a)
    rows, note = (None, "skipped (--no-runtimes)") if a.no_runtimes else runtimes(a)
    load = os.getloadavg()[0]
    print("\n## zos-nr + zos-ipam vs bridge + host-local (%s)\n" % time.strftime("%Y-%m-%d %H:%M"))
    print("N=%d containers one after another, then CHECK and DEL of each; %d concurrent ADDs; "
          "%d vCPU, load %.1f; %.0fs.\n" % (a.n, a.concurrent, os.cpu_count(), load, time.time() - t0))
    print("\n".join(lines))
    print("\nwall: the libcni call (libcni) or fork..wait4 of the plugin (direct); CPU: user+sys of the plugin "
          "processes and the children they wait for (the reference's host-local; zos-nr runs zos-ipam in-process); RSS: ru_maxrss of the same "
          "(bench/nr_bench.py's launcher).")
    if fails:
        print("\nconcurrent ADDs that failed: %s" % ", ".join("%s %s: %d" % (k, p, n) for (k, p), n in fails.items()))
    print("\n## containerd and podman: container start to ready\n")
    if rows:
        print("\n".join(runtime_table(rows)))
    else:
        print("(%s)" % note)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"%s-%s" % k: {op: [[s.wall, s.cpu, s.rss] for s in v[op]] for op in ("add", "check", "del")}
                       | {"conc": v["conc"]} for k, v in res.items()} | {"runtimes": rows or []}, f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
