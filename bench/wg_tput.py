"""Part 2 of wg_bench.py: throughput through the NR tunnel against raw
wireguard-go, side by side in one run.

Two worlds are built once and measured in turns (ABAB, the order rotated on
every repetition, so no path always runs first or after a given other one):

- raw: two namespaces joined by a veth underlay of their own, wireguard-go in
  each (the same binary and environment zos-nr gives it, the same MTU 1420),
  iperf3 from one namespace to the other's tunnel address: the issue's
  reference, nothing but wireguard-go and the TUN.
- nr: the product path, container -> bridge -> router veth -> NR ->
  wireguard-go -> underlay -> NR -> router veth -> bridge -> container, built
  by wg_bench (two node namespaces, an NR on each, a container each by CNI ADD).

Variants of the nr world each remove or change one thing, with ip / nft /
ethtool / sysctl inside the bench's namespaces only, and put it back before
the next run (the rulesets are restored from a snapshot and compared with it).
Each figure is paired with the raw run of the same repetition: the ratio of
a repetition is variant / raw, and the report gives the median of those.
"""

import os
import signal
import statistics
import subprocess
import sys
import time

RAW_UNDERLAY = ("192.168.78.1", "192.168.78.2")
RAW_TUN = ("10.99.0.1", "10.99.0.2")
RAW_PORTS = (51901, 51902)
WG_MTU = 1420  # wireguard-go's default, what the NRs get

# name -> what it measures. "raw" and "nr" always run; the others by default
# (not with --quick) or as --variants says.
VARIANTS = {
    "raw": "raw wireguard-go <-> wireguard-go, two netns, MTU 1420 (the reference)",
    "nr": "container -> container through the NRs, as built",
    "nr-noguard": "nr without the anti-spoofing/RA guards (bridge zos-guard table, NR guard chain)",
    "nr-nobrguard": "nr without the bridge zos-guard table only",
    "nr-nonrguard": "nr without the NR guard chain only (flushed)",
    "nr-nonft": "nr without any nftables in node and NR namespaces (so no conntrack either)",
    "nr-notrack": "nr with tunnel <-> router traffic not tracked (notrack before conntrack in the NRs)",
    "nr-nobrnf": "nr with bridge-nf-call-iptables/ip6tables = 0 in the node namespaces",
    "nr-gro": "nr with GRO on every veth end of the path (ethtool -K gro on)",
    "nrns-nonft": "NR namespace -> NR namespace over the tunnel, no nftables (no bridge, no container veth)",
}
# Kernel symbols by the hop they belong to (--profile).
CATEGORIES = (
    ("netfilter (nft, conntrack, br_netfilter)", ("nft_", "nf_", "__nf_", "ipv4_conntrack", "ipv6_conntrack",
                                                  "br_nf_", "hash_conntrack", "init_conntrack", "nf_ct_")),
    ("bridge", ("br_", "fdb_", "__br_")),
    ("veth", ("veth_",)),
    ("tun", ("tun_",)),
    ("IP forward / route", ("ip_forward", "ip6_forward", "fib_", "ip_route", "ip_rcv", "ip_finish", "ip_output",
                            "ip_sublist", "ip_list", "__ip_", "rt_dst", "dst_")),
    ("TCP", ("tcp_", "__tcp_", "inet_csk")),
    ("skb and device queues (per hop: netif_rx, backlog, xmit, alloc/free)",
     ("__netif_receive", "netif_", "process_backlog", "net_rx_action", "__dev_queue_xmit", "dev_hard_start_xmit",
      "validate_xmit", "napi_", "__napi", "skb_", "__skb", "kfree_skb", "consume_skb", "__alloc_skb", "kmem_cache_",
      "__kmalloc", "kmalloc", "kfree", "eth_type_trans", "__build_skb", "skb_release", "sk_skb", "dev_gro")),
)
OUR_COMMS = ("iperf3", "wireguard-go", "ksoftirqd")
USERSPACE = "userspace (wireguard-go's crypto, iperf3)"


def median(xs):
    return statistics.median(xs) if xs else float("nan")


class Tput:
    def __init__(self, bench, names, variants):
        self.b = bench
        self.n = names  # from wg_bench: node/nr/ctr namespaces, links, pids, addresses
        self.variants = variants
        self.raw_pids = []
        self.snap = {}

    # ---- the raw world ------------------------------------------------------------------

    def build_raw(self, env):
        b = self.b
        ra, rb = b.tag + "-ra", b.tag + "-rb"
        self.n["raw_ns"] = (ra, rb)
        for ns in (ra, rb):
            b.add_netns(ns)
        tag = b.pid % 100000
        va, vb = "zt-wr%da" % tag, "zt-wr%db" % tag
        b.sh("ip", "link", "add", va, "netns", ra, "type", "veth", "peer", "name", vb, "netns", rb)
        links = ("zt-wg%da" % tag, "zt-wg%db" % tag)
        (pa, ka), (pb, kb) = b.keys[-3], b.keys[-4]  # the NRs have [-1], [-2]
        for i, (ns, v, wg) in enumerate(((ra, va, links[0]), (rb, vb, links[1]))):
            b.sh("ip", "-n", ns, "addr", "add", RAW_UNDERLAY[i] + "/24", "dev", v)
            b.sh("ip", "-n", ns, "link", "set", v, "up")
            old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            try:
                # The environment zos-nr gives it (common/wg/wg_uapi.cpp).
                p = subprocess.Popen(b.ns_exec(ns) + ["wireguard-go", wg], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                b.procs.append(p)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
            self.raw_pids.append(p.pid)
        for i, (ns, wg) in enumerate(((ra, links[0]), (rb, links[1]))):
            for _ in range(50):
                if b.sh("ip", "-n", ns, "link", "show", wg, ok=True).returncode == 0 and \
                        os.path.exists("/var/run/wireguard/%s.sock" % wg):
                    break
                time.sleep(0.1)
            key = os.path.join(b.tmp, wg + ".key")
            with open(key, "w") as f:
                f.write((pa, pb)[i] + "\n")
            os.chmod(key, 0o600)
            o = 1 - i
            b.sh(*b.ns_exec(ns), "wg", "set", wg, "private-key", key, "listen-port", str(RAW_PORTS[i]),
                 "peer", (kb, ka)[i], "endpoint", "%s:%d" % (RAW_UNDERLAY[o], RAW_PORTS[o]),
                 "allowed-ips", RAW_TUN[o] + "/32")
            b.sh("ip", "-n", ns, "addr", "add", RAW_TUN[i] + "/24", "dev", wg)
            b.sh("ip", "-n", ns, "link", "set", wg, "mtu", str(WG_MTU), "up")
        for _ in range(10):
            if b.sh(*b.ns_exec(ra), "ping", "-c", "1", "-W", "1", RAW_TUN[1], ok=True).returncode == 0:
                return
        raise RuntimeError("raw wireguard-go: %s not reachable from %s" % (RAW_TUN[1], ra))

    def stop_raw(self):
        for p in list(self.b.procs):
            if p.pid in self.raw_pids:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                self.b.procs.remove(p)

    # ---- variants of the nr world -------------------------------------------------------

    def nft_namespaces(self):
        return list(self.n["node_ns"]) + list(self.n["nr_ns"])

    def snapshot(self):
        for ns in self.nft_namespaces():
            self.snap[ns] = self.b.sh("ip", "netns", "exec", ns, "nft", "-s", "list", "ruleset").stdout

    def restore(self):
        for ns, text in self.snap.items():
            self.b.sh("ip", "netns", "exec", ns, "nft", "flush", "ruleset")
            self.b.sh("ip", "netns", "exec", ns, "nft", "-f", "-", inp=text)
            now = self.b.sh("ip", "netns", "exec", ns, "nft", "-s", "list", "ruleset").stdout
            if now != text:
                raise RuntimeError("the ruleset of %s did not come back as it was" % ns)

    def veth_ends(self):
        """(netns, link) of every veth end on the path: router veths, container veths."""
        out = []
        for node, nr, ctr, host_if in zip(self.n["node_ns"], self.n["nr_ns"], self.n["ctr_ns"], self.n["ctr_host_if"]):
            out += [(node, self.n["router_if"][node]), (nr, self.n["router_if"][node]), (node, host_if), (ctr, "eth0")]
        return out

    def enter(self, v):
        """Puts the nr world into variant v; returns the function that undoes it."""
        sh = self.b.sh
        if v in ("nr-nonft", "nrns-nonft"):
            for ns in self.nft_namespaces():
                sh("ip", "netns", "exec", ns, "nft", "flush", "ruleset")
            return self.restore
        if v in ("nr-noguard", "nr-nobrguard", "nr-nonrguard"):
            if v != "nr-nonrguard":
                for ns in self.n["node_ns"]:
                    sh("ip", "netns", "exec", ns, "nft", "delete", "table", "bridge", "zos-guard")
            if v != "nr-nobrguard":
                for ns in self.n["nr_ns"]:
                    sh("ip", "netns", "exec", ns, "nft", "flush", "chain", "inet", "zos-nr", "guard")
            return self.restore
        if v == "nr-notrack":
            for node, ns in zip(self.n["node_ns"], self.n["nr_ns"]):
                tenant = '{ "%s", "%s" }' % (self.n["router_if"][node], self.n["wg_if"][ns])
                sh("ip", "netns", "exec", ns, "nft", "-f", "-", inp=(
                    "add chain inet zos-nr untracked { type filter hook prerouting priority -250; }\n"
                    "add rule inet zos-nr untracked iifname %s fib daddr oifname %s notrack\n" % (tenant, tenant)))
            return self.restore
        if v == "nr-nobrnf":
            keys = ("net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables")
            old = {}
            for ns in self.n["node_ns"]:
                for k in keys:
                    old[(ns, k)] = sh("ip", "netns", "exec", ns, "sysctl", "-n", k).stdout.strip()
                    sh("ip", "netns", "exec", ns, "sysctl", "-qw", "%s=0" % k)

            def undo():
                for (ns, k), val in old.items():
                    sh("ip", "netns", "exec", ns, "sysctl", "-qw", "%s=%s" % (k, val))
            return undo
        if v == "nr-gro":
            def gro(on):
                for ns, link in self.veth_ends():
                    sh("ip", "netns", "exec", ns, "ethtool", "-K", link, "gro", on)
            if any("generic-receive-offload: on" in sh("ip", "netns", "exec", ns, "ethtool", "-k", link).stdout
                   for ns, link in self.veth_ends()):
                raise RuntimeError("GRO is on already on a veth of the path: nr-gro would measure nothing")
            gro("on")
            return lambda: gro("off")
        return lambda: None

    def path(self, v):
        """(client netns, server netns, destination, wireguard-go pids) of variant v."""
        if v == "raw":
            return self.n["raw_ns"][0], self.n["raw_ns"][1], RAW_TUN[1], self.raw_pids
        if v == "nrns-nonft":
            return self.n["nr_ns"][0], self.n["nr_ns"][1], self.n["router_v4_b"], self.n["wg_pids"]
        return self.n["ctr_ns"][0], self.n["ctr_ns"][1], self.n["ctr_v4_b"], self.n["wg_pids"]

    # ---- the run ------------------------------------------------------------------------

    def run(self, out):
        """Every nr variant runs right after a raw run, the order of the variants
        rotated each repetition: raw v1 raw v2 ... raw vk, then one last raw.
        A variant's ratio is to the mean of the raw runs on either side."""
        b = self.b
        self.snapshot()
        others = [v for v in self.variants if v != "raw"]
        out["variants"] = {v: [] for v in self.variants}
        seq = []
        for rep in range(b.a.tput_reps):
            k = rep % len(others)
            for v in others[k:] + others[:k]:
                seq += [("raw", rep), (v, rep)]
        seq.append(("raw", b.a.tput_reps - 1))
        out["order"] = [v for v, _ in seq]
        for i, (v, rep) in enumerate(seq):
            r = self.measure(v)
            r["rep"], r["seq"] = rep, i
            out["variants"][v].append(r)
            print("throughput %3d/%d %-11s %6.0f Mbit/s %6.0f ms CPU/GB (load %.2f)" % (
                i + 1, len(seq), v, r["mbps"], r["cpu_ms_per_gb"] or 0, r["load1_before"]),
                file=sys.stderr, flush=True)

    def measure(self, v):
        """One iperf3 run of variant v (tried twice: at this load a connection
        is now and then refused or reset)."""
        undo = self.enter(v)
        try:
            try:
                return self.attempt(v)
            except RuntimeError as e:
                print("throughput %s: %s; again" % (v, e), file=sys.stderr, flush=True)
                return self.attempt(v)
        finally:
            undo()

    def attempt(self, v):
        """iperf3 on v's path; with --profile under `perf record -a` (cpu-clock)
        and the share of our processes' samples (iperf3, wireguard-go,
        ksoftirqd) in each category of CATEGORIES."""
        b = self.b
        c, s, dst, pids = self.path(v)
        if not b.a.profile:
            return b.iperf(c, s, dst, pids)
        data = os.path.join(b.tmp, "perf.data")
        perf = subprocess.Popen(["perf", "record", "-q", "-a", "-e", "cpu-clock", "-F", "499", "-o", data,
                                 "--", "sleep", str(b.a.seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        b.procs.append(perf)
        try:
            r = b.iperf(c, s, dst, pids)
        finally:
            perf.wait()
            b.procs.remove(perf)
        r["share"] = self.shares(data)
        return r

    def shares(self, data):
        rep = self.b.sh("perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "comm,sym",
                        "--percent-limit", "0").stdout
        cats, total = {}, 0.0
        for line in rep.splitlines():
            f = line.split()
            if len(f) < 4 or not f[0].endswith("%") or not f[1].startswith(OUR_COMMS):
                continue
            pct, kind, sym = float(f[0][:-1]), f[2], f[3]
            total += pct
            name = USERSPACE if kind == "[.]" else next(
                (n for n, prefixes in CATEGORIES if sym.startswith(prefixes)), "other kernel (syscalls, copies, scheduler)")
            cats[name] = cats.get(name, 0.0) + pct
        return {k: x / total for k, x in cats.items()} if total else {}

    @staticmethod
    def report_profile(vs):
        """Per category, CPU per GB as a % of raw's total, with the userspace
        work (wireguard-go's crypto, iperf3: the same per GB in every
        variant) as the yardstick: a run's share of k x raw's userspace share
        / the run's userspace share. Median over the runs of each variant."""
        if not any("share" in x for x in vs.get("raw", [])):
            return []
        us_raw = median([x["share"].get(USERSPACE, 0) for x in vs["raw"] if x.get("share")])
        names = sorted(set(k for xs in vs.values() for x in xs for k in x.get("share", {})),
                       key=lambda k: (k == USERSPACE, k.startswith("other"), k))
        names.remove(USERSPACE)
        lines = ["", "Where the CPU goes (perf record -a, cpu-clock, every run): CPU per GB in each category, in %% of "
                 "raw's total, measured against the userspace work (wireguard-go's crypto and iperf3, the same per GB "
                 "in every variant: %.1f%% of raw's samples); median over runs" % (100 * us_raw), "",
                 "| category | " + " | ".join(vs) + " |", "|---|" + "---:|" * len(vs)]

        def cell(v, k):
            xs = [x["share"] for x in vs[v] if x.get("share") and x["share"].get(USERSPACE)]
            return median([sh.get(k, 0) * us_raw / sh[USERSPACE] for sh in xs])
        for k in names:
            lines.append("| %s | %s |" % (k, " | ".join("%.1f" % (100 * cell(v, k)) for v in vs)))
        lines.append("| total (userspace included) | %s |" % " | ".join(
            "%.1f" % (100 * us_raw / median([x["share"][USERSPACE] for x in vs[v] if x.get("share")])) for v in vs))
        return lines

    @staticmethod
    def report(tp, seconds):
        vs = tp.get("variants")
        if not vs or not vs.get("raw"):
            return []
        raw = {x["seq"]: x for x in vs["raw"]}

        def paired(x, key):
            """x[key] over the mean of the raw runs just before and after it."""
            around = [raw[i][key] for i in (x["seq"] - 1, x["seq"] + 1) if i in raw and raw[i][key]]
            return x[key] / (sum(around) / len(around)) if around and x[key] else None

        lines = ["Throughput through the tunnel against raw wireguard-go, iperf3 TCP %d s, %d runs of each "
                 "variant, each right after a raw run (container MTU %s, WireGuard MTU %s). Ratio = median "
                 "over runs of variant / mean of the raw runs on either side; CPU/GB = CPU of the two "
                 "iperf3, the two wireguard-go and ksoftirqd per GB received." % (
                     seconds, len(vs.get("nr", [])),
                     tp.get("container_mtu"), tp.get("wg_mtu")), "",
                 "| variant | what | Mbit/s (median) | min-max | Mbit/s ratio to raw | CPU ms/GB | CPU/GB ratio to raw "
                 "| retransmits (median) |",
                 "|---|---|---:|---:|---:|---:|---:|---:|"]
        for v, xs in vs.items():
            if not xs:
                continue
            m = [x["mbps"] for x in xs]
            if v == "raw":
                r_m = r_c = "1"
            else:
                r_m = "%.3f" % median([y for y in (paired(x, "mbps") for x in xs) if y])
                r_c = "%.3f" % median([y for y in (paired(x, "cpu_ms_per_gb") for x in xs) if y])
            lines.append("| %s | %s | %.0f | %.0f-%.0f | %sx | %.0f | %sx | %.0f |" % (
                v, VARIANTS[v], median(m), min(m), max(m), r_m,
                median([x["cpu_ms_per_gb"] for x in xs if x["cpu_ms_per_gb"]]), r_c,
                median([x["retransmits"] or 0 for x in xs])))
        loads = [x["load1_before"] for xs in vs.values() for x in xs]
        lines.append("")
        lines.append("load average (1 min) before the runs: min %.2f, median %.2f, max %.2f" % (
            min(loads), median(loads), max(loads)))
        return lines + Tput.report_profile(vs)
