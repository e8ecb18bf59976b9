#!/usr/bin/python3
"""WireGuard mesh benchmark of zos-nr.

1. Apply: an NR whose network has N = 1, 10, 100, 1000 WireGuard peers. For
   each N: the first apply (builds the NR and starts the WireGuard link), a
   re-apply of the unchanged version, a new version with the same peers, a new
   version with one peer changed (its endpoint moved), and `zos-nr delete`.
   Each: wall time, CPU (zos-nr and the zos-nft it waits for), the CPU the
   wireguard-go process spent meanwhile, and the WireGuard (UAPI or generic
   netlink) round trips zos-nr logs. One extra, untimed pass under strace
   counts zos-nr's own rtnetlink requests.
2. Throughput: two node namespaces joined by a veth "underlay", an NR of one
   network on each (each the other's WireGuard peer), a container on each
   attached by a CNI ADD of zos-nr; iperf3 from container A to container B
   through the tunnel, in turns with iperf3 between two namespaces joined by
   raw wireguard-go at the same MTU, plus variants of the NR path with one
   thing removed or changed (bench/wg_tput.py).

Runs as root with Debian's /usr/bin/python3. Everything lives in namespaces
it makes (zt-wb-<pid>-*, NRs on prefixes 2a02:1802:5e:fXX::/64); the peers of
part 1 exist only as WireGuard peers and routes inside the NR namespace.
Everything is removed at the end, also on failure, Ctrl-C or SIGTERM.

  sudo bench/wg_bench.py [--quick] [--bin build/bin] [--raw out.json] [--no-apply --profile]

See bench/README.md (section "WireGuard mesh").
"""

import argparse
import base64
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import wg_tput
from zostest import die, log

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
# Nibbles (prefix 2a02:1802:5e:fXX::/64): one per N for part 1, two for part 2.
APPLY_NIBBLE = {1: 0x0f11, 10: 0x0f12, 100: 0x0f13, 1000: 0x0f14}
NODE_A_NIBBLE, NODE_B_NIBBLE = 0x0f01, 0x0f02
UNDERLAY = ("192.168.77.1", "192.168.77.2")
RT_RE = re.compile(r"has (\d+) peer\(s\), (\d+) WireGuard round trip\(s\) \((\w+)\)")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def prefix_of(nibble):
    return "2a02:1802:5e:%x::/64" % nibble


def fake_prefix(i):
    # Remote NRs that exist only as peers: nibbles 0x1000.., so their /24s
    # (10.16.0.0/24 ...) never meet the local 10.15.x.0/24.
    return "2a02:1802:60:%x::/64" % (0x1000 + i)


def names_of(nibble, alloc=0):
    return {k: "%s-%04x-%d" % (k, nibble, alloc) for k in ("net", "br", "veth", "wg")}


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def proc_cpu(pid):
    """CPU time of a live process, seconds: the sum over its threads of the
    scheduler's on-CPU nanoseconds (/proc/PID/task/*/schedstat), finer than the
    10 ms ticks of /proc/PID/stat. None when it is gone."""
    total = 0
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return total / 1e9


def comm_of(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def machine_busy():
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


class Interrupted(Exception):
    pass


def on_signal(signum, _frame):
    raise Interrupted("signal %d" % signum)


class Bench:
    def __init__(self, a):
        self.a = a
        self.pid = os.getpid()
        self.tag = "zt-wb-%d" % self.pid
        self.bin = os.path.abspath(a.bin)
        for b in ("zos-nr", "zos-ipam", "zos-nft"):
            if not os.access(os.path.join(self.bin, b), os.X_OK):
                die("%s/%s missing: run scripts/build.sh --plugins (or pass --bin)" % (self.bin, b))
        for tool in ("nsenter", "ip", "wg", "wireguard-go", "iperf3", "strace", "nft", "ethtool", "sysctl"):
            if not shutil.which(tool, path=PATH):
                die("%s not found: run scripts/install-deps.sh" % tool)
        self.nr_bin = os.path.join(self.bin, "zos-nr")
        self.tmp = tempfile.mkdtemp(prefix="zos-wg-bench-")
        self.netns = []        # namespaces we made (node, container), removed at the end
        self.nrs = []          # (node netns, network file, node id, data dir) to `zos-nr delete`
        self.nr_names = []     # NR namespaces, removed by force when delete failed
        self.wg_pids = {}      # wireguard-go pids seen (link -> pid), checked at the end
        self.procs = []        # iperf3 servers, raw wireguard-go (Popen)
        self.ksoftirqd = [int(d) for d in os.listdir("/proc") if d.isdigit() and comm_of(int(d)).startswith("ksoftirqd/")]
        self.keys = []         # (private b64, public b64)
        self.results = {"apply": {}, "throughput": {}}

    # ---- plumbing ---------------------------------------------------------------------------

    def sh(self, *argv, ok=False, inp=None):
        r = subprocess.run(list(argv), capture_output=True, text=True, input=inp, env={"PATH": PATH})
        if r.returncode and not ok:
            raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), r.returncode, r.stderr.strip()[-500:]))
        return r

    def ns_exec(self, ns):
        return ["nsenter", "--net=/run/netns/" + ns]

    def add_netns(self, name):
        self.sh("ip", "netns", "del", name, ok=True)
        self.sh("ip", "netns", "add", name)
        self.netns.append(name)
        self.sh("ip", "-n", name, "link", "set", "lo", "up")

    def gen_keys(self, n):
        """n key pairs: a random clamped private key, its public key from `wg pubkey`."""
        while len(self.keys) < n:
            raw = bytearray(os.urandom(32))
            raw[0] &= 248
            raw[31] = (raw[31] & 127) | 64
            priv = base64.b64encode(bytes(raw)).decode()
            pub = self.sh("wg", "pubkey", inp=priv + "\n").stdout.strip()
            self.keys.append((priv, pub))

    def zos_nr(self, node, args, data_dir, trace=None):
        """Runs `zos-nr <args>` in `node`: (stderr, wall s, CPU s). With `trace`, under strace."""
        argv = self.ns_exec(node)
        if trace:
            # Without -f: zos-nr's own requests only (single-threaded), not
            # those of zos-nft or of the wireguard-go it starts.
            argv += ["strace", "-qq", "-e", "trace=socket,sendmsg,sendto,connect,clone,clone3,vfork,fork", "-o", trace]
        argv += [self.nr_bin] + args + ["--data-dir", data_dir]
        env = {"PATH": PATH, "ZOS_LOG_LEVEL": "info"}
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run(argv, capture_output=True, text=True, env=env)
        t1 = time.perf_counter()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode:
            raise RuntimeError("zos-nr %s failed (exit %d): %s" % (" ".join(args), r.returncode,
                                                                  (r.stdout + r.stderr).strip()[-800:]))
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        return r.stderr, t1 - t0, cpu

    def wg_pid(self, data_dir, link):
        try:
            with open(os.path.join(data_dir, "wg", link + ".pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        self.wg_pids[link] = pid
        return pid

    def write_json(self, path, obj):
        with open(path + ".tmp", "w") as f:
            json.dump(obj, f)
        os.rename(path + ".tmp", path)

    # ---- part 1: apply ----------------------------------------------------------------------

    def apply_network(self, n, nibble, version, moved):
        """The network object: our NR with n peers; peer 0's endpoint port is 51820 + moved."""
        own_priv, own_pub = self.keys[-1]
        peers = [{"type": 0, "prefix": prefix_of(nibble),
                  "connection": {"ip": "192.0.2.1", "port": 51820, "key": own_pub, "private_key": own_priv}}]
        for i in range(n):
            port = 51820 + (moved if i == 0 else 0)
            peers.append({"type": 0, "prefix": fake_prefix(i),
                          "connection": {"ip": "198.51.100.%d" % (1 + i % 250), "port": port,
                                         "key": self.keys[i][1]}})
        return {"network_id": "wb-%d" % n, "version": version, "allocation_nr": 0,
                "resources": [{"node_id": {"id": "bench"}, "prefix": prefix_of(nibble), "peers": peers}]}

    def op(self, node, netfile, data_dir, link, verb, trace=None):
        pid = self.wg_pid(data_dir, link)
        c0 = proc_cpu(pid) if pid else None
        err, wall, cpu = self.zos_nr(node, [verb, netfile, "--node", "bench"], data_dir, trace)
        pid2 = self.wg_pid(data_dir, link) if verb == "apply" else pid
        wg_cpu = None
        if pid2:
            c1 = proc_cpu(pid2)
            if c1 is not None:
                wg_cpu = c1 - (c0 if (c0 is not None and pid2 == pid) else 0.0)
        m = None
        for m in RT_RE.finditer(err):
            pass
        return {"wall": wall, "cpu": cpu, "wg_cpu": wg_cpu,
                "peers": int(m.group(1)) if m else None, "rt": int(m.group(2)) if m else None,
                "backend": m.group(3) if m else None}

    @staticmethod
    def count_trace(path):
        """Requests in an strace log of zos-nr: sendmsg/sendto on its NETLINK_ROUTE
        and NETLINK_GENERIC sockets (each waits for an ack or a dump: a round
        trip) and connections to a UAPI socket. The protocol of each fd comes
        from its socket() call (strace cannot name sockets made in another netns)."""
        proto = {}
        n = {"rtnl": 0, "genl": 0, "uapi_connects": 0, "procs": 0}
        sock = re.compile(r"^socket\(AF_NETLINK, [^,]+, (NETLINK_\w+)\) = (\d+)")
        send = re.compile(r"^(?:sendmsg|sendto)\((\d+)")
        with open(path) as f:
            for line in f:
                m = sock.match(line)
                if m:
                    proto[m.group(2)] = m.group(1)
                    continue
                m = send.match(line)
                if m:
                    p = proto.get(m.group(1))
                    if p == "NETLINK_ROUTE":
                        n["rtnl"] += 1
                    elif p == "NETLINK_GENERIC":
                        n["genl"] += 1
                elif line.startswith("connect(") and "/wireguard/" in line:
                    n["uapi_connects"] += 1
                elif re.match(r"^(clone3?|vfork|fork)\(", line) and "CLONE_THREAD" not in line:
                    n["procs"] += 1  # processes only: a cold build loads its tables on a thread
        return n

    def bench_apply(self):
        node = self.tag + "-an"
        self.add_netns(node)
        ops = ("create", "reapply", "newver", "change1", "delete")
        for n in self.a.peers:
            nibble = APPLY_NIBBLE[n]
            nm = names_of(nibble)
            if os.path.exists("/run/netns/" + nm["net"]):
                raise RuntimeError("/run/netns/%s exists already (another run?)" % nm["net"])
            data = os.path.join(self.tmp, "apply-%d" % n)
            netfile = os.path.join(self.tmp, "wb-%d.json" % n)
            self.nrs.append((node, netfile, "bench", data))
            self.nr_names.append(nm["net"])
            reps = self.a.reps
            samples = {k: [] for k in ops}
            version = 0
            for rep in range(reps + 1):  # the last pass is untimed, under strace
                traced = rep == reps
                tr = {k: os.path.join(self.tmp, "trace-%d-%s" % (n, k)) for k in ops} if traced else {}
                version += 1
                self.write_json(netfile, self.apply_network(n, nibble, version, 0))
                s = {"create": self.op(node, netfile, data, nm["wg"], "apply", tr.get("create"))}
                s["reapply"] = self.op(node, netfile, data, nm["wg"], "apply", tr.get("reapply"))
                version += 1
                self.write_json(netfile, self.apply_network(n, nibble, version, 0))
                s["newver"] = self.op(node, netfile, data, nm["wg"], "apply", tr.get("newver"))
                version += 1
                self.write_json(netfile, self.apply_network(n, nibble, version, 1))
                s["change1"] = self.op(node, netfile, data, nm["wg"], "apply", tr.get("change1"))
                if rep == 0:
                    self.verify_apply(n, nm, data)
                pid = self.wg_pids.get(nm["wg"])
                s["delete"] = self.op(node, netfile, data, nm["wg"], "delete", tr.get("delete"))
                if pid and self.alive(pid):
                    raise RuntimeError("wireguard-go %d of %s survived zos-nr delete" % (pid, nm["wg"]))
                if traced:
                    for k in ops:
                        samples[k + "_trace"] = self.count_trace(tr[k])
                        samples[k + "_trace"]["rt_log"] = s[k]["rt"]
                else:
                    for k in ops:
                        samples[k].append(s[k])
            self.results["apply"][n] = samples
            log("apply N=%d: %s" % (n, ", ".join("%s %.0f ms" % (k, 1000 * median([x["wall"] for x in samples[k]]))
                                                   for k in ops)))

    def verify_apply(self, n, nm, data):
        """The NR really holds n peers and 2n routes through the link (so the figures are not of a no-op)."""
        dump = self.sh("wg", "show", nm["wg"], "peers").stdout.split()
        if len(dump) != n:
            raise RuntimeError("%s has %d peers, expected %d" % (nm["wg"], len(dump), n))
        r4 = self.sh("ip", "-n", nm["net"], "-4", "route", "show", "dev", nm["wg"]).stdout
        r6 = self.sh("ip", "-n", nm["net"], "-6", "route", "show", "dev", nm["wg"]).stdout
        got = r4.count(" via ") + r6.count(" via ")
        if got != 2 * n:
            raise RuntimeError("%s routes %d prefixes via %s, expected %d" % (nm["net"], got, nm["wg"], 2 * n))
        ep = self.sh("wg", "show", nm["wg"], "endpoints").stdout
        if "198.51.100.1:51821" not in ep:
            raise RuntimeError("the changed endpoint of peer 0 is not on %s" % nm["wg"])

    @staticmethod
    def alive(pid):
        """True while pid runs; a zombie (dead, not yet reaped by init) is not alive."""
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False

    def emit(self, out_dir):
        """Writes the network objects of part 1 for the kernel-backend run in a
        qemu guest (bench/wg_kernel_bench.sh): wb-N-v1.json (first apply and
        re-apply), wb-N-v2.json (same peers), wb-N-v3.json (peer 0 moved)."""
        os.makedirs(out_dir, exist_ok=True)
        for n in self.a.peers:
            for v, moved in ((1, 0), (2, 0), (3, 1)):
                self.write_json(os.path.join(out_dir, "wb-%d-v%d.json" % (n, v)),
                                self.apply_network(n, APPLY_NIBBLE[n], v, moved))

    # ---- part 2: throughput -----------------------------------------------------------------

    def bench_throughput(self):
        na, nb = self.tag + "-na", self.tag + "-nb"
        ca, cb = self.tag + "-ca", self.tag + "-cb"
        for ns in (na, nb, ca, cb):
            self.add_netns(ns)
        va, vb = "zt-wb%da" % (self.pid % 100000), "zt-wb%db" % (self.pid % 100000)
        self.sh("ip", "link", "add", va, "netns", na, "type", "veth", "peer", "name", vb, "netns", nb)
        for ns, v, addr in ((na, va, UNDERLAY[0]), (nb, vb, UNDERLAY[1])):
            self.sh("ip", "-n", ns, "addr", "add", addr + "/24", "dev", v)
            self.sh("ip", "-n", ns, "link", "set", v, "up")

        (pa, ka), (pb, kb) = self.keys[-1], self.keys[-2]

        def peer(nibble, ip, port, priv, pub, own):
            c = {"ip": ip, "port": port, "key": pub}
            if own:
                c["private_key"] = priv
            return {"type": 0, "prefix": prefix_of(nibble), "connection": c}

        def entry(nibble, node_id, own_a):
            return {"node_id": {"id": node_id}, "prefix": prefix_of(nibble),
                    "peers": [peer(NODE_A_NIBBLE, UNDERLAY[0], 51801, pa, ka, own_a),
                              peer(NODE_B_NIBBLE, UNDERLAY[1], 51802, pb, kb, not own_a)]}

        net = {"network_id": "wb-tput", "version": 1, "allocation_nr": 0,
               "resources": [entry(NODE_A_NIBBLE, "nodeA", True), entry(NODE_B_NIBBLE, "nodeB", False)]}
        results = {}
        for ns_node, ns_ctr, node_id, nibble in ((na, ca, "nodeA", NODE_A_NIBBLE), (nb, cb, "nodeB", NODE_B_NIBBLE)):
            nm = names_of(nibble)
            if os.path.exists("/run/netns/" + nm["net"]):
                raise RuntimeError("/run/netns/%s exists already (another run?)" % nm["net"])
            data = os.path.join(self.tmp, "tput-" + node_id)
            netfile = os.path.join(self.tmp, "wb-tput-%s.json" % node_id)
            self.write_json(netfile, net)
            self.nrs.append((ns_node, netfile, node_id, data))
            self.nr_names.append(nm["net"])
            conf = {"cniVersion": "1.0.0", "name": "wbnet", "type": "zos-nr", "nodeId": node_id,
                    "networkFile": netfile, "dataDir": data, "ipam": {"type": "zos-ipam", "ipv6": "both"}}
            if self.a.mtu:
                conf["mtu"] = self.a.mtu
            env = {"PATH": PATH, "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "wb-" + node_id,
                   "CNI_NETNS": "/run/netns/" + ns_ctr, "CNI_IFNAME": "eth0",
                   "CNI_PATH": self.bin}
            r = subprocess.run(self.ns_exec(ns_node) + [self.nr_bin], input=json.dumps(conf),
                               capture_output=True, text=True, env=env)
            if r.returncode:
                raise RuntimeError("CNI ADD on %s failed: %s %s" % (node_id, r.stdout, r.stderr))
            res = json.loads(r.stdout)
            ip4 = next(i["address"].split("/")[0] for i in res["ips"] if ":" not in i["address"])
            host_if = next(i["name"] for i in res["interfaces"] if i["name"] not in (nm["br"], "eth0"))
            results[node_id] = {"ip4": ip4, "wg": nm["wg"], "pid": self.wg_pid(data, nm["wg"]), "host_if": host_if}
        dst = results["nodeB"]["ip4"]
        # First packets wait for the handshake.
        for _ in range(10):
            if self.sh(*self.ns_exec(ca), "ping", "-c", "1", "-W", "1", dst, ok=True).returncode == 0:
                break
        else:
            raise RuntimeError("container B (%s) is not reachable from container A through WireGuard" % dst)
        mtu = self.sh("ip", "-n", ca, "-o", "link", "show", "eth0").stdout.split(" mtu ")[1].split()[0]
        nra, nrb = names_of(NODE_A_NIBBLE)["net"], names_of(NODE_B_NIBBLE)["net"]
        wgmtu = self.sh("ip", "-n", nra, "-o", "link", "show", results["nodeA"]["wg"]).stdout.split(" mtu ")[1].split()[0]
        vb = names_of(NODE_B_NIBBLE)["veth"]
        router_b = self.sh("ip", "-n", nrb, "-4", "-o", "addr", "show", "dev", vb).stdout.split(" inet ")[1].split("/")[0]
        out = self.results["throughput"]
        out["container_mtu"], out["wg_mtu"] = int(mtu), int(wgmtu)
        t = wg_tput.Tput(self, {
            "node_ns": (na, nb), "nr_ns": (nra, nrb), "ctr_ns": (ca, cb),
            "ctr_host_if": (results["nodeA"]["host_if"], results["nodeB"]["host_if"]),
            "router_if": {na: names_of(NODE_A_NIBBLE)["veth"], nb: vb},
            "wg_if": {nra: results["nodeA"]["wg"], nrb: results["nodeB"]["wg"]},
            "ctr_v4_b": dst, "router_v4_b": router_b,
            "wg_pids": [results["nodeA"]["pid"], results["nodeB"]["pid"]]}, self.a.variants)
        try:
            t.build_raw({"PATH": PATH, "WG_PROCESS_FOREGROUND": "1", "LOG_LEVEL": "error"})
            t.run(out)
        finally:
            t.stop_raw()

    def iperf(self, client_ns, server_ns, dst, wg_pids):
        # SIGINT/SIGTERM held while the server starts: an exception raised
        # inside Popen would leave it running, unknown to cleanup().
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            srv = subprocess.Popen(self.ns_exec(server_ns) + ["iperf3", "-s", "-1", "-p", "5201"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={"PATH": PATH})
            self.procs.append(srv)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        try:
            for _ in range(50):
                if ":5201 " in self.sh(*self.ns_exec(server_ns), "ss", "-Hltn").stdout:
                    break
                time.sleep(0.1)
            wg0 = [proc_cpu(p) for p in wg_pids]
            soft0 = [proc_cpu(p) for p in self.ksoftirqd]
            m0 = machine_busy()
            load = os.getloadavg()[0]
            r = self.sh(*self.ns_exec(client_ns), "iperf3", "-c", dst, "-p", "5201", "-t", str(self.a.seconds), "-J")
            m1 = machine_busy()
            wg1 = [proc_cpu(p) for p in wg_pids]
            soft1 = [proc_cpu(p) for p in self.ksoftirqd]
            j = json.loads(r.stdout)
            if "error" in j or "sum_received" not in j.get("end", {}):
                raise RuntimeError("iperf3 %s -> %s: %s" % (client_ns, dst, j.get("error", "no result")))
            secs = j["end"]["sum_received"]["seconds"]
            cpu = j["end"].get("cpu_utilization_percent", {})
            # Without IRQ time accounting (this kernel) the softirq work of a
            # veth or TUN send is charged to the sending task or ksoftirqd:
            # these are all the CPU the path costs.
            busy = sum(b - a for a, b in zip(wg0 + soft0, wg1 + soft1) if a is not None and b is not None)
            busy += (cpu.get("host_total", 0) + cpu.get("remote_total", 0)) / 100 * secs
            gbytes = j["end"]["sum_received"]["bytes"] / 1e9
            return {
                "cpu_ms_per_gb": 1000 * busy / gbytes if gbytes else None,
                "mbps": j["end"]["sum_received"]["bits_per_second"] / 1e6,
                "retransmits": j["end"]["sum_sent"].get("retransmits"),
                "seconds": secs,
                "machine_busy_pct": 100.0 * (m1[0] - m0[0]) / max(1, m1[1] - m0[1]),
                "wg_cores": [((b - a) / secs if a is not None and b is not None else None) for a, b in zip(wg0, wg1)],
                "iperf_client_cpu_pct": cpu.get("host_total"),
                "iperf_server_cpu_pct": cpu.get("remote_total"),
                "load1_before": load,
            }
        finally:
            try:
                srv.wait(timeout=5)
            except subprocess.TimeoutExpired:
                srv.kill()
                srv.wait()
            self.procs.remove(srv)

    # ---- cleanup ----------------------------------------------------------------------------

    def cleanup(self):
        problems = []
        for p in self.procs:
            p.kill()
            p.wait()
        for node, netfile, node_id, data in self.nrs:
            if not os.path.exists(netfile) or not os.path.exists("/run/netns/" + node):
                continue
            r = subprocess.run(self.ns_exec(node) + [self.nr_bin, "delete", netfile, "--node", node_id,
                                                     "--data-dir", data],
                               capture_output=True, text=True, env={"PATH": PATH})
            if r.returncode:
                problems.append("zos-nr delete %s: %s" % (netfile, r.stderr.strip()))
        for name in self.nr_names:
            if os.path.exists("/run/netns/" + name):
                problems.append("NR namespace %s was left: removed by force" % name)
                self.sh("ip", "netns", "del", name, ok=True)
        # wireguard-go serving one of our links (names from our nibbles) that
        # no pid file recorded, e.g. when zos-nr was stopped mid-create; only
        # one living in a namespace of this run (another run on the machine
        # uses the same link names).
        ours = set(names_of(x)["wg"] for x in list(APPLY_NIBBLE.values()) + [NODE_A_NIBBLE, NODE_B_NIBBLE])
        our_ns = set()
        for ns in self.netns:
            try:
                our_ns.add(os.stat("/run/netns/" + ns).st_ino)
            except OSError:
                pass
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    argv = f.read().split(b"\0")
                if os.stat("/proc/%s/ns/net" % d).st_ino not in our_ns:
                    continue
            except OSError:
                continue
            if argv and argv[0].endswith(b"wireguard-go"):
                for a in argv[1:]:
                    if a.decode(errors="replace") in ours:
                        self.wg_pids.setdefault(a.decode() + " (no pid file)", int(d))
        for link, pid in self.wg_pids.items():
            if self.alive(pid):
                try:
                    with open("/proc/%d/cmdline" % pid, "rb") as f:
                        ours = b"wireguard-go" in f.read()
                except OSError:
                    ours = False
                if ours:
                    problems.append("wireguard-go %d (%s) was left: killed" % (pid, link))
                    os.kill(pid, signal.SIGTERM)
        for ns in reversed(self.netns):
            self.sh("ip", "netns", "del", ns, ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        for p in problems:
            log("cleanup: " + p)
        return not problems

    # ---- report -----------------------------------------------------------------------------

    def report(self):
        lines = []
        ap = self.results["apply"]
        if ap:
            be = next((s["create"][0]["backend"] for s in ap.values() if s["create"] and s["create"][0]["backend"]),
                      "?")
            lines.append("Apply (%s backend: %s), median of %s; wall / CPU of zos-nr (+ zos-nft) / "
                         "CPU of wireguard-go; WireGuard round trips from the log, rtnetlink requests "
                         "from strace" % (be, "wireguard-go over UAPI" if be == "userspace" else "generic netlink",
                                          "/".join(str(len(s["create"])) for s in ap.values())))
            lines.append("")
            lines.append("| peers | operation | wall ms | CPU ms | wireguard-go CPU ms | WG round trips | rtnetlink requests "
                         "| processes started |")
            lines.append("|---:|---|---:|---:|---:|---:|---:|---:|")
            label = {"create": "first apply (creates the NR)", "reapply": "re-apply, same version",
                     "newver": "new version, same peers", "change1": "new version, 1 peer changed",
                     "delete": "delete"}
            for n, s in ap.items():
                for k in ("create", "reapply", "newver", "change1", "delete"):
                    xs = s[k]
                    wgc = [x["wg_cpu"] for x in xs if x["wg_cpu"] is not None]
                    tr = s.get(k + "_trace", {})
                    rt = xs[0]["rt"] if xs and xs[0]["rt"] is not None else "-"
                    lines.append("| %d | %s | %.1f | %.1f | %s | %s | %s | %s |" % (
                        n, label[k], 1000 * median([x["wall"] for x in xs]), 1000 * median([x["cpu"] for x in xs]),
                        ("%.1f" % (1000 * median(wgc))) if wgc and k != "delete" else "-", rt,
                        tr.get("rtnl", "-"), tr.get("procs", "-")))
            lines.append("")
        lines += wg_tput.Tput.report(self.results["throughput"], self.a.seconds)
        return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"), help="where zos-nr, zos-ipam, zos-nft are")
    ap.add_argument("--quick", action="store_true", help="1 repetition, iperf3 5 s, one throughput run")
    ap.add_argument("--peers", default="1,10,100,1000", help="peer counts (of 1,10,100,1000)")
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions of the apply cycle")
    ap.add_argument("--seconds", type=int, default=10, help="iperf3 duration")
    ap.add_argument("--tput-reps", type=int, default=5, help="repetitions of the throughput variants")
    ap.add_argument("--variants", help="throughput variants, comma-separated (raw and nr always; default all, "
                    "only those two with --quick): " + ", ".join(wg_tput.VARIANTS))
    ap.add_argument("--profile", action="store_true", help="every throughput run under perf record -a: CPU per hop")
    ap.add_argument("--mtu", type=int, default=0, help="mtu in the zos-nr config of the throughput part (0: default)")
    ap.add_argument("--no-apply", action="store_true")
    ap.add_argument("--no-throughput", action="store_true")
    ap.add_argument("--raw", help="write the raw samples as JSON here")
    ap.add_argument("--emit", metavar="DIR", help="only write the network objects of the apply part to DIR")
    a = ap.parse_args()
    if os.geteuid() != 0:
        die("needs root (namespaces, links)")
    try:
        a.peers = [int(x) for x in a.peers.split(",")]
    except ValueError:
        die("--peers takes a comma-separated list of 1, 10, 100, 1000")
    if any(n not in APPLY_NIBBLE for n in a.peers):
        die("--peers takes values among 1, 10, 100, 1000")
    if a.variants is None:
        a.variants = "" if a.quick else ",".join(wg_tput.VARIANTS)
    a.variants = ["raw", "nr"] + [v for v in a.variants.split(",") if v not in ("raw", "nr", "")]
    if any(v not in wg_tput.VARIANTS for v in a.variants):
        die("--variants takes values among " + ", ".join(wg_tput.VARIANTS))
    if a.quick:
        a.reps, a.seconds, a.tput_reps = 1, 5, 1
    b = Bench(a)
    if a.emit:
        try:
            b.gen_keys(max(a.peers) + 2)
            b.emit(a.emit)
        finally:
            shutil.rmtree(b.tmp, ignore_errors=True)
        return
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ok = False
    try:
        b.gen_keys(4 if a.no_apply else max(a.peers) + 4)  # + 2 for the NRs, 2 for raw wireguard-go
        if not a.no_apply:
            b.bench_apply()
        if not a.no_throughput:
            b.bench_throughput()
        ok = True
    except (Exception, Interrupted) as e:
        log("wg_bench: failed: %s" % e)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        clean = b.cleanup()
    print(b.report())
    print("cores: %d, load average now: %s" % (os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg())))
    if a.raw:
        with open(a.raw, "w") as f:
            json.dump(b.results, f, indent=1, default=str)
    sys.exit(0 if ok and clean else 1)


if __name__ == "__main__":
    main()
