#!/usr/bin/env python3
"""ADD+DEL cycles of zos-ipam against host-local, interleaved in one run.

Each plugin call is one fork/exec by bench/spawn_rss (a tiny static helper):
wall time around fork..wait4, peak RSS from the child's rusage (ru_maxrss),
so the harness's own cost is the same small amount for both plugins. Both get a fresh dataDir and the same
pool: a /24 handing out .2-.254 (zos-ipam also derives an IPv6, host-local is
IPv4 only, so zos-ipam does a little more work per call).
"""
import argparse, json, os, statistics, subprocess, sys, tempfile


def call(helper, path, cmd, cid, conf):
    """One plugin call through spawn_rss: (wall s, peak RSS KiB, CPU s)."""
    env = {"CNI_COMMAND": cmd, "CNI_CONTAINERID": cid, "CNI_NETNS": "/var/run/netns/bench",
           "CNI_IFNAME": "eth0", "CNI_PATH": os.path.dirname(path), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([helper, path], input=conf, env=env, capture_output=True, check=True)
    wall_us, rss, cpu_us, code = (int(x) for x in r.stdout.split())
    if code != 0:
        # Run it again without the helper to show the plugin's error.
        out = subprocess.run([path], input=conf, env=env, capture_output=True)
        sys.exit(f"{path} {cmd} {cid} failed ({code}): {out.stdout.decode(errors='replace')}")
    return wall_us / 1e6, rss, cpu_us / 1e6


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--zos", default="build/bin/zos-ipam")
    ap.add_argument("--host-local", default="/usr/lib/cni/host-local")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--helper", required=True, help="spawn_rss binary")
    ap.add_argument("--dir", default=None, help="where both dataDirs go (default: a temp dir under $TMPDIR)")
    a = ap.parse_args()
    for p in (a.zos, a.host_local):
        if not os.access(p, os.X_OK):
            sys.exit(f"missing plugin binary {p}")
    tmp = tempfile.mkdtemp(prefix="ipam-bench-", dir=a.dir)
    zos_conf = json.dumps({"cniVersion": "1.0.0", "name": "bench", "type": "zos-ipam",
                           "ipam": {"type": "zos-ipam", "prefix": "2a02:1802:5e:10a::/64",
                                    "dataDir": tmp + "/zos"}}).encode()
    hl_conf = json.dumps({"cniVersion": "1.0.0", "name": "bench", "type": "host-local",
                          "ipam": {"type": "host-local", "dataDir": tmp + "/host-local",
                                   "ranges": [[{"subnet": "10.1.10.0/24", "rangeStart": "10.1.10.2",
                                                "rangeEnd": "10.1.10.254", "gateway": "10.1.10.1"}]]}}).encode()
    plugins = {"zos-ipam": (os.path.abspath(a.zos), zos_conf), "host-local": (a.host_local, hl_conf)}
    stats = {k: {"cycle": [], "add": [], "del": [], "rss": [], "cpu": []} for k in plugins}
    order = list(plugins)
    for i in range(-a.warmup, a.n):
        # Alternate which plugin goes first so neither gets a warmer cache.
        for name in (order if i % 2 == 0 else order[::-1]):
            path, conf = plugins[name]
            cid = f"bench{i + a.warmup}"
            ta, ra, ca = call(a.helper, path, "ADD", cid, conf)
            td, rd, cd = call(a.helper, path, "DEL", cid, conf)
            if i < 0:
                continue
            s = stats[name]
            s["cycle"].append((ta + td) * 1000); s["add"].append(ta * 1000); s["del"].append(td * 1000)
            s["rss"].append(max(ra, rd)); s["cpu"].append((ca + cd) * 1000)

    def row(name):
        s = stats[name]
        return (f"| {name} | {a.n} | {statistics.median(s['cycle']):.2f} | {statistics.mean(s['cycle']):.2f} | "
                f"{pct(s['cycle'], 95):.2f} | {statistics.median(s['add']):.2f} | {statistics.median(s['del']):.2f} | "
                f"{statistics.median(s['cpu']):.2f} | {statistics.median(s['rss'])} | {max(s['rss'])} |")

    fs = subprocess.run(["stat", "-f", "-c", "%T", tmp], capture_output=True, text=True).stdout.strip()
    print(f"ADD+DEL cycles, interleaved, same /24 pool (.2-.254); {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}; dataDir on {fs} ({tmp}); {a.zos} vs {a.host_local}\n")
    print("| plugin | cycles | median ms/cycle | mean ms/cycle | p95 ms/cycle | median ms ADD | median ms DEL "
          "| median CPU ms/cycle | median peak RSS KiB | max peak RSS KiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in plugins:
        print(row(name))
    z, h = stats["zos-ipam"], stats["host-local"]
    t_ratio = statistics.median(z["cycle"]) / statistics.median(h["cycle"])
    r_ratio = max(z["rss"]) / max(h["rss"])
    print()
    print(f"time ratio zos-ipam / host-local (median cycle): {t_ratio:.3f}x  (target <= 0.3x: "
          f"{'met' if t_ratio <= 0.3 else 'MISSED'})")
    print(f"peak RSS ratio zos-ipam / host-local (max):      {r_ratio:.3f}x  (target <= 0.6x: "
          f"{'met' if r_ratio <= 0.6 else 'MISSED'})")
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
