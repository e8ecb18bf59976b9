#!/usr/bin/python3
"""What the issue #11 guards cost on a warm CNI ADD (and DEL): zos-nr with the
guards (this tree's build) against zos-nr without them (a build of an older
commit), side by side in one run, ADDs interleaved, each in a node netns of
its own (nr_bench's harness: rusage launcher, setns, same conflist shape).

  git worktree add /tmp/base <commit before the guards>
  cmake -S /tmp/base -B /tmp/base/build -DCMAKE_BUILD_TYPE=Release -DZOS_TESTS=OFF
  cmake --build /tmp/base/build --target zos-nr zos-ipam zos-nft
  sudo bench/guard_cost.py --base /tmp/base/build/bin [--bin build/bin] [--n 40]

Prints a markdown table: p50 wall / CPU / peak RSS of each and the ratio.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
import nr_bench as nb


def bench(binary, prefix, tag, a):
    ns = argparse.Namespace(bin=binary, prefix=prefix, alloc=0, ipv6="ipv4", enter="setns", tmpdir=None,
                            n=a.n, cold=0, fill=0)
    b = nb.Bench(ns)
    b.tag = "zt-gc-%d-%s" % (b.pid, tag)
    b.node = b.tag + "-node"
    return b


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(os.path.dirname(HERE), "build", "bin"), help="with the guards")
    p.add_argument("--base", required=True, help="plugins without the guards")
    p.add_argument("--n", type=int, default=40, help="warm ADD+DEL per build (default 40)")
    a = p.parse_args()
    if os.geteuid() != 0:
        nb.die("run as root")
    runs = {"guards": bench(a.bin, "2a02:1802:5e:e20::/64", "g", a),
            "none": bench(a.base, "2a02:1802:5e:e21::/64", "n", a)}
    res = {}
    try:
        for b in runs.values():
            b.setup()
            ns = b.new_container()  # builds the NR, outside the measure
            b.cni("zos", "ADD", ns, "warmup")
            b.cni("zos", "DEL", ns, "warmup")
        names = list(runs)
        for i in range(a.n):
            order = names if i % 2 == 0 else names[::-1]
            conts = {}
            for k in order:
                conts[k] = runs[k].new_container()
                res.setdefault(k + "_add", []).append(runs[k].cni("zos", "ADD", conts[k], "c%d" % i))
            for k in order:
                res.setdefault(k + "_del", []).append(runs[k].cni("zos", "DEL", conts[k], "c%d" % i))
                runs[k].drop_container(conts[k])
    finally:
        for b in runs.values():
            b.cleanup()
    print("| warm, p50 of %d | with guards | without | ratio |" % a.n)
    print("|---|---:|---:|---:|")
    for op in ("add", "del"):
        for field, p in (("wall", 50), ("cpu", 50), ("rss", 100)):
            g, n = nb.stat(res["guards_" + op], field, p), nb.stat(res["none_" + op], field, p)
            label = "%s %s" % (op.upper(), "peak RSS" if field == "rss" else field + " p50")
            print("| %s | %s | %s | %.2fx |" % (label, nb.fmt(g, field), nb.fmt(n, field), g / n if n else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
