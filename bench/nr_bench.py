#!/usr/bin/python3
"""zos-nr benchmark: container ADD/DEL into a network resource (NR) against the
reference bridge + host-local plugins and the kernel floor (bench/floor_add.c:
one static process doing the same link, address and route work over libnl).

Runs as root, Debian's python3 only. Everything happens inside a dedicated
"node" netns made by the bench; plugins are run with
`nsenter --net=/run/netns/<node>`. Each sample is timed from spawn to wait4:
wall (perf_counter), CPU (ru_utime + ru_stime of wait4: the plugin and the
children it waited for, e.g. the reference's host-local and zos-nft) and peak RSS
(ru_maxrss of wait4: max over the process and its waited descendants).

  sudo bench/nr_bench.py [--n 50] [--quick] [--bin build-bench/bin]

See bench/README.md (section "zos-nr").
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from zostest import die

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF_DIR = "/usr/lib/cni"
REF_BRIDGE = "zt-bbr0"
REF_SUBNET = "10.98.0.0/24"
FLOOR_BRIDGE = "zt-bfl0"
FLOOR_NET = "10.97"
FILL_FLOOR = 1000  # floor host veths of the fill test: zfb1000... (10.97.4.x), apart from the warm ones
DUTY_TABLE = "zt-bduty"  # the floor-with-duties' bridge guard sets (bench/floor_add.c duty)

# A tiny C launcher: wait4 from a Python parent reports the Python process's own
# high-water RSS as ru_maxrss (exec records the old mm's peak, and posix_spawn's
# child starts from Python's mm). The launcher forks from a ~1 MiB process, so
# the ru_maxrss it reads is the plugin's. It also times fork..wait4 itself and,
# with a netns path, enters it by setns() (what nsenter --net does) without an
# extra exec.
RUSAGE_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
/* nr_rusage RESULT NETNS|- argv... : RESULT gets "wall_ns cpu_ns maxrss_kib exitcode" */
int main(int argc, char** argv) {
  if (argc < 4) return 127;
  if (strcmp(argv[2], "-") != 0) {
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) { perror(argv[2]); return 127; }
    close(fd);
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid == 0) { execv(argv[3], argv + 3); perror(argv[3]); _exit(127); }
  int st = 0; struct rusage ru;
  if (pid < 0 || wait4(pid, &st, 0, &ru) < 0) return 127;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long long wall = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
                  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
  FILE* f = fopen(argv[1], "w");
  if (!f) return 127;
  fprintf(f, "%lld %lld %ld %d\n", wall, cpu, ru.ru_maxrss,
          WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  fclose(f);
  return 0;
}
"""


class Sample:
    __slots__ = ("wall", "cpu", "rss", "rc", "out", "err")

    def __init__(self, wall, cpu, rss, rc, out, err):
        self.wall, self.cpu, self.rss, self.rc, self.out, self.err = wall, cpu, rss, rc, out, err


class Bench:
    def __init__(self, args):
        self.a = args
        self.pid = os.getpid()
        self.tag = "zt-bench-%d" % self.pid
        self.node = self.tag + "-node"
        self.counter = 0
        self.netns = []          # container netns we made
        self.bin = os.path.abspath(args.bin)
        for b in ("zos-nr", "zos-ipam", "zos-nft"):
            if not os.access(os.path.join(self.bin, b), os.X_OK):
                die("%s/%s missing: build it (see bench/README.md)" % (self.bin, b))
        self.nsenter = shutil.which("nsenter") or die("nsenter not found")
        self.ip = shutil.which("ip") or die("ip not found")
        self.nft = shutil.which("nft") or die("nft not found")
        if not os.access(os.path.join(REF_DIR, "bridge"), os.X_OK):
            die("reference plugins missing: apt-get install containernetworking-plugins")
        self.tmp = tempfile.mkdtemp(prefix="zos-nr-bench-", dir=args.tmpdir)
        self.zos_data = os.path.join(self.tmp, "zos")
        self.ref_data = os.path.join(self.tmp, "hostlocal")
        self.io_in = os.path.join(self.tmp, "stdin")
        self.io_out = os.path.join(self.tmp, "stdout")
        self.io_err = os.path.join(self.tmp, "stderr")
        self.io_res = os.path.join(self.tmp, "rusage")
        self.launcher = os.path.join(self.tmp, "nr_rusage")
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            shutil.rmtree(self.tmp, ignore_errors=True)
            die("a C compiler (cc) is needed for the rusage launcher")
        src = self.launcher + ".c"
        with open(src, "w") as f:
            f.write(RUSAGE_C)
        r = subprocess.run([cc, "-O2", "-static", "-o", self.launcher, src], capture_output=True, text=True)
        if r.returncode:
            r = subprocess.run([cc, "-O2", "-o", self.launcher, src], capture_output=True, text=True)
        if r.returncode:
            shutil.rmtree(self.tmp, ignore_errors=True)
            die("building the rusage launcher failed: " + r.stderr)
        # The floor: one static process doing an ADD's kernel work over libnl.
        self.floor = os.path.join(self.tmp, "floor_add")
        fsrc = os.path.join(ROOT, "bench", "floor_add.c")
        libs = ["-I/usr/include/libnl3", fsrc, "-lnl-route-3", "-lnl-3", "-lpthread", "-lm"]
        r = subprocess.run([cc, "-O2", "-static", "-o", self.floor] + libs, capture_output=True, text=True)
        if r.returncode:
            shutil.rmtree(self.tmp, ignore_errors=True)
            die("building bench/floor_add.c failed (libnl-3-dev, libnl-route-3-dev): " + r.stderr)
        self.netfile = os.path.join(self.tmp, "network.json")
        self.net = {"network_id": "bench", "version": 1, "allocation_nr": args.alloc,
                    "resources": [{"node_id": {"id": "node1"}, "prefix": args.prefix, "peers": []}]}
        with open(self.netfile, "w") as f:
            json.dump(self.net, f)
        nib = self.nibble(args.prefix)
        self.nr_netns = "net-%s-%d" % (nib, args.alloc)
        self.nr_bridge = "br-%s-%d" % (nib, args.alloc)
        if os.path.exists("/run/netns/" + self.nr_netns):
            shutil.rmtree(self.tmp, ignore_errors=True)
            die("/run/netns/%s exists already (another run or test?): pick --prefix/--alloc" % self.nr_netns)
        self.zos_conf = json.dumps({
            "cniVersion": "1.0.0", "name": "zosbench", "type": "zos-nr", "nodeId": "node1",
            "networkFile": self.netfile, "dataDir": self.zos_data,
            "ipam": {"type": "zos-ipam", "ipv6": args.ipv6}})
        self.ref_conf = json.dumps({
            "cniVersion": "1.0.0", "name": "refbench", "type": "bridge", "bridge": REF_BRIDGE,
            "isGateway": True,
            "ipam": {"type": "host-local", "dataDir": self.ref_data,
                     "ranges": [[{"subnet": REF_SUBNET}]], "routes": [{"dst": "0.0.0.0/0"}]}})
        self.node_made = False
        self.others = []         # --cold-nrs: network files of the other NRs

    @staticmethod
    def nibble(prefix):
        import ipaddress
        net = ipaddress.IPv6Network(prefix, strict=False)
        b = net.network_address.packed
        return ("%02x%02x" % (b[6], b[7])) if net.prefixlen >= 48 else ("%02x%02x%02x%02x" % tuple(b[4:8]))

    # ---- process running and measuring ---------------------------------------------------------

    def run(self, argv, env=None, stdin=b"", enter=True):
        """Run argv in the node netns through the launcher; feed stdin: wall s, CPU s, RSS KiB."""
        netns = "-"
        if enter and self.a.enter == "nsenter":
            argv = [self.nsenter, "--net=/run/netns/" + self.node] + argv
        elif enter:
            netns = "/run/netns/" + self.node
        with open(self.io_in, "wb") as f:
            f.write(stdin)
        fi = os.open(self.io_in, os.O_RDONLY)
        fo = os.open(self.io_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        fe = os.open(self.io_err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        if env:
            e.update(env)
        full = [self.launcher, self.io_res, netns] + argv
        try:
            pid = os.posix_spawn(full[0], full, e, file_actions=[
                (os.POSIX_SPAWN_DUP2, fi, 0), (os.POSIX_SPAWN_DUP2, fo, 1), (os.POSIX_SPAWN_DUP2, fe, 2)])
            _, status = os.waitpid(pid, 0)
        finally:
            os.close(fi), os.close(fo), os.close(fe)
        with open(self.io_out, "rb") as f:
            out = f.read()
        with open(self.io_err, "rb") as f:
            err = f.read()
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError("launcher failed on %s: %s" % (argv[0], err.decode(errors="replace")[-300:]))
        with open(self.io_res) as f:
            wall, cpu, rss, rc = f.read().split()
        return Sample(int(wall) / 1e9, int(cpu) / 1e9, int(rss), int(rc), out, err)

    def check(self, s, what):
        if s.rc != 0:
            raise RuntimeError("%s failed (rc %d): %s %s" % (what, s.rc, s.out.decode(errors="replace")[-600:],
                                                             s.err.decode(errors="replace")[-600:]))
        return s

    def sh(self, *argv, ok=False):
        r = subprocess.run(list(argv), capture_output=True, text=True)
        if r.returncode and not ok:
            raise RuntimeError("%s: %s" % (" ".join(argv), r.stderr.strip()))
        return r

    def new_container(self):
        self.counter += 1
        name = "%s-%d" % (self.tag, self.counter)
        self.sh(self.ip, "netns", "add", name)
        self.netns.append(name)
        return name

    def drop_container(self, name):
        self.sh(self.ip, "netns", "del", name, ok=True)
        if name in self.netns:
            self.netns.remove(name)

    def cni(self, kind, cmd, ns, cid, extra_env=None):
        env = {"CNI_COMMAND": cmd, "CNI_CONTAINERID": cid, "CNI_NETNS": "/run/netns/" + ns,
               "CNI_IFNAME": "eth0"}
        env.update(extra_env or {})
        if kind == "zos":
            env["CNI_PATH"] = self.bin
            plugin, conf = os.path.join(self.bin, "zos-nr"), self.zos_conf
        else:
            env["CNI_PATH"] = REF_DIR
            plugin, conf = os.path.join(REF_DIR, "bridge"), self.ref_conf
        return self.check(self.run([plugin], env, conf.encode()), "%s %s %s" % (kind, cmd, cid))

    def floor_argv(self, ns, i, host, plane=0):
        """floor_add's ADD: its own addresses, MAC and host veth per (plane, i)."""
        addr = "%s.%d.%d" % (FLOOR_NET, (i // 250) % 250 + 100 * plane, i % 250 + 2)
        mac = "02:00:00:%02x:%02x:%02x" % (plane, i // 256 % 256, i % 256)
        v6 = {"none": [], "both": ["fd97:%x::%x/64" % (plane, i + 2), "fd97:%x::1:%x/64" % (plane, i + 2)]}.get(
            self.a.ipv6, ["fd97:%x::%x/64" % (plane, i + 2)])
        return [self.floor, "add", host, "/run/netns/" + ns, FLOOR_BRIDGE, mac, "1500",
                FLOOR_NET + ".0.1", "fd97:%x::1" % plane if v6 else "-", addr + "/16"] + v6

    def floor_add(self, ns, i):
        """The kernel's work of an ADD (bench/floor_add.c): veth into the container, on the
        bridge, up; addresses without DAD, up, default routes; IPv6 as zos-ipam would."""
        return self.check(self.run(self.floor_argv(ns, i, "zfb%d" % i)), "floor ADD")

    def floor_del(self, i):
        return self.check(self.run([self.floor, "del", "zfb%d" % i]), "floor DEL")

    def duty_add(self, ns, i):
        """The floor plus the rest of what zos-nr's warm ADD must do, each the cheapest way
        (bench/floor_add.c duty: NR check, state read, lease and record files, guard
        elements, container sysctls): what zos-nr's own overhead is measured against."""
        argv = self.floor_argv(ns, i, "zfd%d" % i, 1)
        return self.check(self.run([self.floor, "duty", self.duty_dir, DUTY_TABLE] + argv[1:]), "floor+duties ADD")

    def duty_del(self, i):
        return self.check(self.run([self.floor, "del", "zfd%d" % i]), "floor+duties DEL")

    def zos_manage(self, *args):
        return self.check(self.run([os.path.join(self.bin, "zos-nr")] + list(args),
                                   {"ZOS_DATA_DIR": self.zos_data, "CNI_PATH": self.bin}), "zos-nr " + args[0])

    # ---- phases ---------------------------------------------------------------------------------

    def setup(self):
        self.sh(self.ip, "netns", "add", self.node)
        self.node_made = True
        os.makedirs(self.zos_data)
        self.check(self.run([self.ip, "link", "set", "lo", "up"]), "lo up")
        self.check(self.run([self.ip, "link", "add", FLOOR_BRIDGE, "type", "bridge"]), "floor bridge")
        self.check(self.run([self.ip, "link", "set", FLOOR_BRIDGE, "up"]), "floor bridge up")
        # The floor-with-duties' guard sets (as zos-nr's bridge guard's) and its state folder.
        self.check(self.run([self.nft, "add table bridge %s; add set bridge %s mac { type ifname . ether_addr; }; "
                             "add set bridge %s v4 { type ifname . ipv4_addr; }; "
                             "add set bridge %s v6 { type ifname . ipv6_addr; }" % ((DUTY_TABLE,) * 4)]),
                   "floor+duties table")
        self.duty_dir = os.path.join(self.tmp, "duty")
        os.makedirs(self.duty_dir)
        for name in ("network.json", "applied.json"):
            with open(os.path.join(self.duty_dir, name), "w") as f:
                json.dump(self.net, f, indent=2)

    def cold(self, res):
        """First ADD that builds the NR (netns, bridge, router, firewall); reference: no bridge yet.
        With --cold-nrs K, again once K other NRs are on the node (how the build grows with them)."""
        self.cold_samples(res, "")
        if self.a.cold_nrs:
            for i in range(self.a.cold_nrs):
                net = dict(self.net, network_id="other%d" % i)
                net["resources"] = [dict(net["resources"][0], prefix="2a02:1802:5e:%x::/64" % (0xd00 + i))]
                path = os.path.join(self.tmp, "other%d.json" % i)
                with open(path, "w") as f:
                    json.dump(net, f)
                self.others.append(path)
                self.zos_manage("apply", path, "--node", "node1")
            self.cold_samples(res, "_nrs")

    def cold_samples(self, res, suffix):
        for k in range(self.a.cold):
            order = ("zos", "ref") if k % 2 == 0 else ("ref", "zos")
            for kind in order:
                ns = self.new_container()
                cid = "cold-%s-%d%s" % (kind, k, suffix)
                # zos-nr logs the wall time of each step of the build and of the ADD at debug level
                # (common/log/phases.h): the breakdown of the cold ADD.
                s = self.cni(kind, "ADD", ns, cid, {"ZOS_LOG_LEVEL": "debug"} if kind == "zos" else None)
                res.setdefault(kind + "_cold" + suffix, []).append(s)
                ph = cold_phases(s) if kind == "zos" else None
                if ph:
                    res.setdefault("cold_phases" + suffix, []).append(ph)
                self.cni(kind, "DEL", ns, cid)
                self.drop_container(ns)
                if kind == "zos":
                    self.zos_manage("delete", self.netfile, "--node", "node1")
                else:
                    self.check(self.run([self.ip, "link", "del", REF_BRIDGE]), "ref bridge del")

    def warm(self, res):
        """N containers: interleaved zos / reference / floor ADDs, then DELs."""
        n = self.a.n
        # Build the NR and the reference bridge, outside the measure.
        for kind in ("zos", "ref"):
            ns = self.new_container()
            self.cni(kind, "ADD", ns, "warmup-" + kind)
            self.cni(kind, "DEL", ns, "warmup-" + kind)
            self.drop_container(ns)
        kinds = ["zos", "ref", "floor", "duty"]
        cont = []
        for i in range(n):
            row = {k: self.new_container() for k in kinds}
            cont.append(row)
            order = kinds[i % len(kinds):] + kinds[:i % len(kinds)]  # rotate who goes first
            for k in order:
                if k == "floor":
                    s = self.floor_add(row[k], i)
                elif k == "duty":
                    s = self.duty_add(row[k], i)
                else:
                    s = self.cni(k, "ADD", row[k], "w-%s-%d" % (k, i))
                res.setdefault(k + "_add", []).append(s)
        for i in range(n):
            order = kinds[i % len(kinds):] + kinds[:i % len(kinds)]
            for k in order:
                if k == "floor":
                    s = self.floor_del(i)
                elif k == "duty":
                    s = self.duty_del(i)
                else:
                    s = self.cni(k, "DEL", cont[i][k], "w-%s-%d" % (k, i))
                res.setdefault(k + "_del", []).append(s)
        for row in cont:
            for ns in row.values():
                self.drop_container(ns)

    def fill(self, res):
        """250 containers in one NR: ADD latency of the first 10 vs the last 10, with the floor
        beside it (its ADD into the same node at the same fill level, interleaved)."""
        total = self.a.fill
        made = []
        t0 = time.time()
        for i in range(total):
            row = (self.new_container(), self.new_container())
            made.append(row)
            for k in (("zos", "floor") if i % 2 == 0 else ("floor", "zos")):
                if k == "zos":
                    res.setdefault("fill_add", []).append(self.cni("zos", "ADD", row[0], "f-%d" % i))
                else:
                    res.setdefault("fill_floor_add", []).append(self.floor_add(row[1], FILL_FLOOR + i))
        print("  fill: %d ADDs (and as many floor ADDs) in %.1fs" % (total, time.time() - t0), file=sys.stderr)
        for i in reversed(range(total)):
            s = self.cni("zos", "DEL", made[i][0], "f-%d" % i)
            res.setdefault("fill_del", []).append(s)
            res.setdefault("fill_floor_del", []).append(self.floor_del(FILL_FLOOR + i))
        for row in made:
            for ns in row:
                self.drop_container(ns)

    def cleanup(self):
        for ns in list(self.netns):
            self.drop_container(ns)
        if self.node_made:
            try:
                if os.path.exists("/run/netns/" + self.nr_netns):
                    self.run([os.path.join(self.bin, "zos-nr"), "delete", self.netfile, "--node", "node1"],
                             {"ZOS_DATA_DIR": self.zos_data, "CNI_PATH": self.bin})
            except Exception:
                pass
            self.sh(self.ip, "netns", "del", self.nr_netns, ok=True)
            self.sh(self.ip, "netns", "del", self.node, ok=True)  # takes bridges and host veths along
        for path in self.others:  # --cold-nrs: their namespaces are not the node's
            with open(path) as f:
                nib = self.nibble(json.load(f)["resources"][0]["prefix"])
            self.sh(self.ip, "netns", "del", "net-%s-%d" % (nib, self.a.alloc), ok=True)
        # Any container netns of this run that escaped the bookkeeping.
        if os.path.isdir("/run/netns"):
            for name in os.listdir("/run/netns"):
                if name.startswith(self.tag + "-"):
                    self.sh(self.ip, "netns", "del", name, ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---- statistics and report ----------------------------------------------------------------------

def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def stat(samples, field, p=50):
    return pct([getattr(s, field) for s in samples], p)


def fmt(v, field):
    if field == "rss":
        return "%.1f MiB" % (v / 1024.0)
    return "%.2f ms" % (v * 1000.0)


COLD_PHASES = ("namespace", "links", "guard", "firewall", "attach")
# Printed after those: the rest of the apply (locks, state files and their fsyncs, the key,
# the mesh: the "apply" lap less the build's steps above) and of the process (spawn, exec,
# config, result, exit: the wall time outside the "apply" and "attach" laps).
COLD_REST = ("apply other", "process other")


def cold_phases(s):
    """A cold ADD's seconds per step, from its "phases" debug lines (common/log/phases.h):
    the build's namespace (netns, lo, sysctls), links (bridge, router veth), guard (the
    bridge guard's sets), firewall (the wait for the NR's tables after those: zos-nft loads
    them beside the links, resource.cpp) and the ADD's attach. None
    for a zos-nr that logs no phases (older than the breakdown)."""
    got = {}
    for line in s.err.decode(errors="replace").splitlines():
        at = line.find(" phases ")
        if at < 0:
            continue
        words = line[at:].split(":", 1)[1].split()
        for name, ms in zip(words[0::3], words[1::3]):
            got[name] = got.get(name, 0.0) + float(ms) / 1000.0
    if not all(p in got for p in COLD_PHASES + ("apply",)):
        return None
    out = {p: got[p] for p in COLD_PHASES}
    out["apply other"] = got["apply"] - sum(out[p] for p in COLD_PHASES if p != "attach")
    out["process other"] = s.wall - got["apply"] - got["attach"]
    return out


def cold_breakdown(res, suffix="", what=""):
    """Median and mean per phase; the phases of each sample add up to its wall time, so the
    means add up to the mean total (the medians need not)."""
    ph = res.get("cold_phases" + suffix, [])
    if not ph:
        return
    zs = res["zos_cold" + suffix]
    z, r = stat(zs, "wall"), stat(res["ref_cold" + suffix], "wall")
    zm = statistics.mean(s.wall for s in zs)
    print("cold ADD%s breakdown over %d samples (ZOS_LOG_LEVEL=debug, common/log/phases.h):" % (what, len(ph)))
    print("| phase | zos p50 | zos mean | share of the mean |")
    print("|---|---|---|---|")
    for p in COLD_PHASES + COLD_REST:
        xs = [x[p] for x in ph]
        print("| %s | %.2f ms | %.2f ms | %.0f%% |" % (p, pct(xs, 50) * 1000, statistics.mean(xs) * 1000,
                                                      100 * statistics.mean(xs) / zm))
    print("| total | %.2f ms | %.2f ms | reference p50 %.2f ms (%.2fx) |" % (z * 1000, zm * 1000, r * 1000,
                                                                          z / r if r else float("nan")))
    print()


def report(res, args, nsenter_cost):
    rows = []

    def row(metric, field, zs, rs, target, p=50, zlabel=None):
        z, r = stat(zs, field, p), stat(rs, field, p)
        ratio = z / r if r else float("nan")
        ok = "" if target is None else ("PASS" if ratio <= target else "FAIL")
        rows.append((metric, fmt(z, field), fmt(r, field), "%.2fx" % ratio,
                     "-" if target is None else "<= %.1fx" % target, ok))

    Z, R, F = res.get("zos_add", []), res.get("ref_add", []), res.get("floor_add", [])
    ZD, RD, FD = res.get("zos_del", []), res.get("ref_del", []), res.get("floor_del", [])
    row("warm ADD wall p50 (vs ref)", "wall", Z, R, 0.5)
    row("warm ADD wall p90 (vs ref)", "wall", Z, R, None, 90)
    row("warm ADD CPU p50 (vs ref)", "cpu", Z, R, 0.3)
    row("warm ADD CPU p90 (vs ref)", "cpu", Z, R, None, 90)
    row("warm ADD peak RSS max (vs ref)", "rss", Z, R, 0.5, 100)
    D = res.get("duty_add", [])
    row("warm ADD wall p50 (vs floor)", "wall", Z, F, None)
    row("warm ADD CPU p50 (vs floor)", "cpu", Z, F, None)
    row("warm ADD wall p50 (vs floor + duties)", "wall", Z, D, None)
    row("warm ADD CPU p50 (vs floor + duties)", "cpu", Z, D, None)
    row("floor + duties ADD wall p50 (vs floor)", "wall", D, F, None)
    row("DEL wall p50 (vs floor)", "wall", ZD, FD, 1.1)
    row("DEL wall p90 (vs floor)", "wall", ZD, FD, None, 90)
    row("DEL CPU p50 (vs floor)", "cpu", ZD, FD, None)
    row("DEL wall p50 (vs ref)", "wall", ZD, RD, None)
    row("DEL CPU p50 (vs ref)", "cpu", ZD, RD, None)
    row("DEL peak RSS max (vs ref)", "rss", ZD, RD, None, 100)
    if res.get("zos_cold"):
        row("cold ADD wall p50 (vs ref, new bridge)", "wall", res["zos_cold"], res["ref_cold"], None)
        row("cold ADD CPU p50 (vs ref, new bridge)", "cpu", res["zos_cold"], res["ref_cold"], None)
        row("cold ADD peak RSS max (vs ref)", "rss", res["zos_cold"], res["ref_cold"], None, 100)
    if res.get("zos_cold_nrs"):
        k = args.cold_nrs
        row("cold ADD wall p50, %d other NRs (vs ref)" % k, "wall", res["zos_cold_nrs"], res["ref_cold_nrs"], None)
        row("cold ADD wall p50, %d other NRs (vs none)" % k, "wall", res["zos_cold_nrs"], res["zos_cold"], None)
        row("cold ADD CPU p50, %d other NRs (vs none)" % k, "cpu", res["zos_cold_nrs"], res["zos_cold"], None)
    fill = res.get("fill_add", [])
    if len(fill) >= 20:
        row("ADD #%d-%d vs #1-10 wall p50" % (len(fill) - 9, len(fill)), "wall", fill[-10:], fill[:10], 1.2)
        row("ADD #%d-%d vs #1-10 CPU p50" % (len(fill) - 9, len(fill)), "cpu", fill[-10:], fill[:10], None)
        fd = res.get("fill_del", [])  # in reverse order: fd[0] is container #250
        row("DEL #%d-%d vs #1-10 wall p50" % (len(fill) - 9, len(fill)), "wall", fd[:10], fd[-10:], None)
        ff = res.get("fill_floor_add", [])
        last = "#%d-%d" % (len(fill) - 9, len(fill))
        row("floor ADD %s vs #1-10 wall p50" % last, "wall", ff[-10:], ff[:10], None)
        row("fill ADD #1-10 wall p50 (vs floor)", "wall", fill[:10], ff[:10], None)
        row("fill ADD %s wall p50 (vs floor)" % last, "wall", fill[-10:], ff[-10:], None)
        row("fill ADD #1-10 CPU p50 (vs floor)", "cpu", fill[:10], ff[:10], None)
        row("fill ADD %s CPU p50 (vs floor)" % last, "cpu", fill[-10:], ff[-10:], None)

    print("\nzos-nr bench: N=%d warm samples, %d cold, fill %d; enter=%s; data in %s; spawn overhead "
          "(/bin/true the same way) wall %.2f ms, CPU %.2f ms, RSS %.1f MiB, included in every figure\n"
          % (args.n, args.cold, args.fill, args.enter, args.tmpdir or tempfile.gettempdir(), nsenter_cost[0] * 1000, nsenter_cost[1] * 1000,
             nsenter_cost[2] / 1024.0))
    print("| metric | zos | reference/floor | ratio | target | result |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    cold_breakdown(res)
    cold_breakdown(res, "_nrs", ", %d other NRs on the node," % args.cold_nrs)
    print("floor: bench/floor_add.c, one static libnl process (veth into the container + IPv6 off + master + up;"
          " container: addresses + up + default routes) / link del")
    print("floor + duties: the floor plus the rest of what zos-nr's warm ADD must do, each the cheapest way"
          " (bench/floor_add.c duty: 2 link lookups, 2 state files read, lease + record files, 3 guard elements"
          " in one nftables transaction, 3 container sysctls)")
    print("CPU = ru_utime+ru_stime of wait4 (process + waited children); RSS = ru_maxrss of wait4")
    fails = [r for r in rows if r[5] == "FAIL"]
    return 1 if fails else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=50, help="warm samples per plugin (default 50)")
    p.add_argument("--cold", type=int, default=3, help="cold ADD samples (default 3)")
    p.add_argument("--cold-nrs", type=int, default=0,
                   help="cold ADD samples again with this many other NRs on the node (default 0 = skip)")
    p.add_argument("--fill", type=int, default=250, help="containers in the fill test (default 250, 0 = skip)")
    p.add_argument("--quick", action="store_true", help="N=10, 2 cold, no fill (CI)")
    p.add_argument("--bin", default=os.path.join(ROOT, "build-bench", "bin"),
                   help="dir with zos-nr, zos-ipam, zos-nft (default build-bench/bin)")
    p.add_argument("--prefix", default="2a02:1802:5e:c00::/64", help="NR prefix (default 2a02:1802:5e:c00::/64)")
    p.add_argument("--alloc", type=int, default=0, help="allocation_nr of the bench network (default 0)")
    p.add_argument("--ipv6", default="ipv4", help="zos-ipam ipv6 mode (default ipv4)")
    p.add_argument("--enter", choices=("nsenter", "setns"), default="nsenter",
                   help="how plugins enter the node netns: exec nsenter --net (default) or setns() in the launcher")
    p.add_argument("--tmpdir", help="where the data dirs go (default $TMPDIR or /tmp); e.g. /dev/shm to see "
                   "the plugins without fsync cost")
    p.add_argument("--raw", help="write all samples as JSON to this file")
    p.add_argument("--pause", action="store_true", help=argparse.SUPPRESS)  # keep the node for manual profiling
    a = p.parse_args()
    if a.quick:
        a.n, a.cold, a.fill = 10, 2, 0
    if os.geteuid() != 0:
        die("run as root (netns, links)")
    if a.fill > 252:
        die("--fill at most 252 (the NR /24)")

    b = Bench(a)
    res = {}

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    rc = 1
    try:
        b.setup()
        ov = [b.run(["/bin/true"]) for _ in range(10)]
        nsenter_cost = (stat(ov, "wall"), stat(ov, "cpu"), stat(ov, "rss", 100))
        t0 = time.time()
        if a.cold:
            b.cold(res)
            print("  cold: %.1fs" % (time.time() - t0), file=sys.stderr)
        t1 = time.time()
        b.warm(res)
        print("  warm: %.1fs" % (time.time() - t1), file=sys.stderr)
        if a.fill:
            b.fill(res)
        if a.pause:
            input("node %s, NR %s: press Enter to clean up " % (b.node, b.nr_netns))
        rc = report(res, a, nsenter_cost)
        if a.raw:
            with open(a.raw, "w") as f:
                json.dump({k: v if k.startswith("cold_phases") else [[s.wall, s.cpu, s.rss] for s in v] for k, v in res.items()}, f)
    except KeyboardInterrupt:
        print("\nnr_bench: interrupted, cleaning up", file=sys.stderr)
        rc = 130
    except Exception as e:
        print("nr_bench: %s" % e, file=sys.stderr)
        rc = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        b.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
