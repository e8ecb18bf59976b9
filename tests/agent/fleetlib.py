"""A fleet on one machine for zos-agent's tests and benchmark: a real
three-member etcd cluster, three simulated nodes (network namespaces) with
an agent each, node1 the exit with a public namespace and an "Internet".

  switch netns: sw0 (underlay, 192.168.251.0/24), mg0 (management,
                192.168.249.254/24: the etcd members listen there, peers on
                127.0.0.1)
  node1-pub:    up0 192.168.251.1 | inet0 203.0.113.2 -- Internet 203.0.113.1, 2001:db8:ff::1
  node2, node3: up0 192.168.251.2 / .3
  every node:   mg0 192.168.249.<k> (its agent's way to etcd)

Everything lives under one temp dir; processes are ended by pid and
namespaces removed in close(), also when a check failed.
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from zostest import Failed, check, netns_add, netns_del, run  # noqa: F401 (Failed, check for the scripts)

PREFIX = "/zos"
NODES = ("node1", "node2", "node3")
ETCD_HOST = "192.168.249.254"


def prefix(nib):
    return f"2a02:1802:5e:{nib:x}::/64"


def nr_netns(nib):
    return f"net-{nib:04x}-0"


def network(net_id, version, members, exit_node="node1", keys=None, exit_conf=True, mesh=True):
    """members: [(node_id, nibble, endpoint, port)]. No private key anywhere
    unless `keys` (node -> (private, public)) is given; `mesh` False: no
    peers, so no WireGuard link."""
    res = []
    for node, nib, _, _ in members:
        peers = []
        for pnode, pnib, pip, pport in members if mesh else []:
            conn = {"ip": pip, "port": pport, "key": keys[pnode][1] if keys else ""}
            if keys and pnode == node:
                conn["private_key"] = keys[node][0]
            peers.append({"type": 0, "prefix": prefix(pnib), "connection": conn})
        r = {"node_id": {"id": node, "reachability_v4": "public"}, "prefix": prefix(nib), "peers": peers}
        if node == exit_node:
            r["exit_point"] = True
        res.append(r)
    net = {"network_id": net_id, "version": version, "allocation_nr": 0, "resources": res}
    if exit_node and exit_conf:
        net["exit_point"] = {
            "ipv4_conf": {"cidr": "203.0.113.10/24", "gateway": "203.0.113.1", "iface": "inet0", "enable_nat": True},
            "ipv6_conf": {"addr": "2001:db8:ff::10/64", "gateway": "2001:db8:ff::1", "iface": "inet0"}}
    return net


def members_of(index, nodes=NODES):
    """The members of the index-th test network: one NR per node, nibbles
    0xf000 + 3*index + k, WireGuard ports 30000 + 3*index + k."""
    out = []
    for k, node in enumerate(nodes):
        kk = NODES.index(node)
        out.append((node, 0xf000 + 3 * index + kk, f"192.168.251.{kk + 1}", 30000 + 3 * index + kk))
    return out


class Fleet:
    def __init__(self, bindir, tag="fl"):
        self.bin = bindir
        self.tmp = tempfile.mkdtemp(prefix=f"zt-{tag}-")
        self.tag = f"zt{tag}{os.getpid() % 10000}"
        self.sw = f"{self.tag}-sw"
        self.inet = f"{self.tag}-inet"
        self.pub1 = f"{self.tag}-pub1"
        self.nodes = {n: f"{self.tag}-{n}" for n in NODES}
        self.extra_ns = []
        self.etcd = {}    # member name -> Popen
        self.agents = {}  # node -> Popen
        self.containers = []
        base = 23000 + (os.getpid() % 500) * 6
        self.members = [(f"m{i}", base + 2 * i, base + 2 * i + 1) for i in range(3)]  # name, client, peer
        self.cuts = set()

    # --- the world -----------------------------------------------------
    def build(self):
        for ns in [self.sw, self.inet, self.pub1] + list(self.nodes.values()):
            netns_add(ns)
            self.extra_ns.append(ns)
        sw = self.sw
        for br in ("sw0", "mg0"):
            run(["ip", "link", "add", br, "type", "bridge"], ns=sw)
            run(["ip", "link", "set", br, "up"], ns=sw)
        run(["ip", "addr", "add", f"{ETCD_HOST}/24", "dev", "mg0"], ns=sw)
        for k, node in enumerate(NODES, start=1):
            under = self.pub1 if node == "node1" else self.nodes[node]
            for br, name, peer_ns, addr in (("sw0", f"u{k}", under, f"192.168.251.{k}/24"),
                                            ("mg0", f"m{k}", self.nodes[node], f"192.168.249.{k}/24")):
                dev = "up0" if br == "sw0" else "mg0"
                run(["ip", "link", "add", name, "type", "veth", "peer", "name", dev, "netns", peer_ns], ns=sw)
                run(["ip", "link", "set", name, "master", br, "up"], ns=sw)
                run(["ip", "addr", "add", addr, "dev", dev], ns=peer_ns)
                run(["ip", "link", "set", dev, "up"], ns=peer_ns)
        for node in ("node2", "node3"):
            run(["ip", "route", "add", "default", "via", "192.168.251.1"], ns=self.nodes[node])
        run(["ip", "link", "add", "wan0", "type", "veth", "peer", "name", "inet0", "netns", self.pub1], ns=self.inet)
        run(["ip", "addr", "add", "203.0.113.1/24", "dev", "wan0"], ns=self.inet)
        run(["ip", "addr", "add", "2001:db8:ff::1/64", "dev", "wan0", "nodad"], ns=self.inet)
        run(["ip", "link", "set", "wan0", "up"], ns=self.inet)
        run(["ip", "route", "add", "2a02:1802:5e::/48", "via", "2001:db8:ff::10"], ns=self.inet)
        run(["ip", "addr", "add", "203.0.113.2/24", "dev", "inet0"], ns=self.pub1)
        run(["ip", "link", "set", "inet0", "up"], ns=self.pub1)
        run(["ip", "route", "add", "default", "via", "203.0.113.1"], ns=self.pub1)

    # --- etcd ----------------------------------------------------------
    def client_urls(self, live_only=False):
        return [f"http://{ETCD_HOST}:{c}" for name, c, _ in self.members
                if not live_only or (name in self.etcd and self.etcd[name].poll() is None)]

    def start_etcd(self, name=None):
        cluster = ",".join(f"{n}=http://127.0.0.1:{p}" for n, _, p in self.members)
        for n, c, p in self.members:
            if name and n != name:
                continue
            log = open(os.path.join(self.tmp, f"etcd-{n}.log"), "a")
            self.etcd[n] = subprocess.Popen(
                ["nsenter", f"--net=/run/netns/{self.sw}", "etcd", "--name", n,
                 "--data-dir", os.path.join(self.tmp, f"etcd-{n}"),
                 "--listen-client-urls", f"http://{ETCD_HOST}:{c}", "--advertise-client-urls", f"http://{ETCD_HOST}:{c}",
                 "--listen-peer-urls", f"http://127.0.0.1:{p}", "--initial-advertise-peer-urls", f"http://127.0.0.1:{p}",
                 "--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", self.tag,
                 "--heartbeat-interval", "50", "--election-timeout", "500", "--snapshot-count", "100000"],
                stdout=log, stderr=log)
        for _ in range(200):
            r = self.etcdctl(["endpoint", "health", "--cluster"], check_rc=False)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise Failed("the etcd cluster did not become healthy")

    def kill_etcd(self, name):
        p = self.etcd[name]
        p.kill()
        p.wait()

    def etcdctl(self, args, check_rc=True, stdin=None):
        env = dict(os.environ, ETCDCTL_API="3")
        return run(["etcdctl", "--endpoints", ",".join(self.client_urls(live_only=True)), "--dial-timeout", "2s"] + args,
                   ns=self.sw, check_rc=check_rc, env=env, input=stdin)

    def put(self, key, value):
        if not isinstance(value, str):
            value = json.dumps(value)
        self.retry(["put", PREFIX + key], value)

    def delete(self, key):
        self.retry(["del", PREFIX + key])

    def retry(self, args, stdin=None):
        """A write, tried again while the cluster elects a new leader."""
        for _ in range(30):
            if self.etcdctl(args, check_rc=False, stdin=stdin).returncode == 0:
                return
            time.sleep(0.5)
        self.etcdctl(args, stdin=stdin)

    def get_all(self):
        """Every key and value under the prefix."""
        r = self.etcdctl(["get", PREFIX + "/", "--prefix", "-w", "json"])
        kvs = json.loads(r.stdout).get("kvs", [])
        return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", "")).decode() for kv in kvs}

    def status(self, node, net_id):
        r = self.etcdctl(["get", f"{PREFIX}/nodes/{node}/status/{net_id}", "--print-value-only"])
        return json.loads(r.stdout) if r.stdout.strip() else None

    # --- agents --------------------------------------------------------
    def node_dir(self, node, what):
        return os.path.join(self.tmp, node, what)

    def start_agent(self, node, extra=(), env=None):
        """extra: more flags (a later --etcd replaces the cluster's); env:
        more environment (ZOS_FAULT)."""
        log = open(os.path.join(self.tmp, f"agent-{node}.log"), "a")
        argv = ["nsenter", f"--net=/run/netns/{self.nodes[node]}", os.path.join(self.bin, "zos-agent"),
                "--etcd", ",".join(self.client_urls()), "--node", node,
                "--data-dir", self.node_dir(node, "data"), "--networks-dir", self.node_dir(node, "networks"),
                "--key-dir", self.node_dir(node, "keys"), "--ttl", "6", "--status-interval", "2"]
        if node == "node1":
            argv += ["--public-namespace", self.pub1]
        self.agents[node] = subprocess.Popen(argv + list(extra), stdout=log, stderr=log,
                                             env=dict(os.environ, **(env or {})))

    def stop_agent(self, node, sig=signal.SIGTERM):
        p = self.agents.get(node)
        if p and p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode if p else None

    def cut(self, node):
        """The node loses its way to etcd, nothing else: what etcd sends is
        dropped, what the node sends is answered by a TCP reset."""
        ns = self.nodes[node]
        run(["nft", "add table inet ztcut; "
             "add chain inet ztcut out { type filter hook output priority 0; }; "
             "add chain inet ztcut in { type filter hook input priority 0; }; "
             f"add rule inet ztcut in ip saddr {ETCD_HOST} meta l4proto tcp drop; "
             f"add rule inet ztcut out ip daddr {ETCD_HOST} meta l4proto tcp reject with tcp reset"], ns=ns)
        self.cuts.add(node)

    def reconnect(self, node):
        run(["nft", "delete table inet ztcut"], ns=self.nodes[node])
        self.cuts.discard(node)

    def converge(self, net_id, version, nodes=NODES, timeout=60):
        """Waits until every node reports `version` applied, no error, no
        problems, no peer waiting for a key; the statuses."""
        end = time.time() + timeout
        last = {}
        while time.time() < end:
            ok = True
            for n in nodes:
                s = self.status(n, net_id)
                last[n] = s
                if not s or s.get("applied") != version or s.get("error") or s.get("problems") or s.get("waiting_for_keys"):
                    ok = False
            if ok:
                return last
            time.sleep(0.2)
        raise Failed(f"{net_id} version {version} did not converge on {nodes}: {json.dumps(last)}")

    # --- containers ----------------------------------------------------
    def conf(self, node):
        c = {"cniVersion": "1.0.0", "name": "zosfleet", "type": "zos-nr", "nodeId": node,
             "networksDir": self.node_dir(node, "networks"), "dataDir": self.node_dir(node, "data"),
             "wgKeyDir": self.node_dir(node, "keys"), "ipam": {"type": "zos-ipam", "ipv6": "ipv4"}}
        if node == "node1":
            c["publicNamespace"] = self.pub1
        return c

    def add_container(self, node, net_id, cid):
        cns = f"{self.tag}-{cid}"
        self.containers.append((node, net_id, cid, cns))
        netns_add(cns)
        env = dict(os.environ, CNI_COMMAND="ADD", CNI_CONTAINERID=cid, CNI_NETNS=f"/run/netns/{cns}",
                   CNI_IFNAME="eth0", CNI_PATH=self.bin, CNI_ARGS=f"ZOS_NETWORK={net_id}")
        r = run([os.path.join(self.bin, "zos-nr")], ns=self.nodes[node], check_rc=False, env=env,
                input=json.dumps(self.conf(node)), timeout=60)
        if r.returncode != 0:
            raise Failed(f"CNI ADD of {cid} on {node} failed: {r.stdout} {r.stderr}")
        res = json.loads(r.stdout)
        v4 = next(i["address"].split("/")[0] for i in res["ips"] if ":" not in i["address"])
        v6 = next(i["address"].split("/")[0] for i in res["ips"] if ":" in i["address"])
        return cns, v4, v6

    def ping(self, cns, addr, tries=20):
        for _ in range(tries):
            if run(["ping", "-n", "-q", "-c", "1", "-W", "1", addr], ns=cns, check_rc=False).returncode == 0:
                return True
        return False

    # --- the end -------------------------------------------------------
    def logs(self):
        out = ""
        for f in sorted(os.listdir(self.tmp)):
            if f.startswith("agent-") and f.endswith(".log"):
                with open(os.path.join(self.tmp, f)) as fh:
                    out += f"--- {f} (last lines) ---\n" + "".join(fh.readlines()[-40:])
        return out

    def close(self):
        for node in list(self.agents):
            self.stop_agent(node, signal.SIGKILL)
        for n in list(self.etcd):
            if self.etcd[n].poll() is None:
                self.kill_etcd(n)
        for node, net_id, cid, cns in self.containers:
            env = dict(os.environ, CNI_COMMAND="DEL", CNI_CONTAINERID=cid, CNI_NETNS=f"/run/netns/{cns}",
                       CNI_IFNAME="eth0", CNI_PATH=self.bin, CNI_ARGS=f"ZOS_NETWORK={net_id}")
            run([os.path.join(self.bin, "zos-nr")], ns=self.nodes[node], check_rc=False, env=env,
                input=json.dumps(self.conf(node)))
            netns_del(cns)
        # Every NR the agents left, by the plugin itself (stops wireguard-go).
        for node, ns in self.nodes.items():
            state = self.node_dir(node, "data") + "/nr/networks"
            for f in os.listdir(state) if os.path.isdir(state) else []:
                with open(os.path.join(state, f)) as fh:
                    obj = json.load(fh).get("network")
                tmpf = os.path.join(self.tmp, "cleanup.json")
                with open(tmpf, "w") as fh:
                    json.dump(obj, fh)
                argv = [os.path.join(self.bin, "zos-nr"), "delete", tmpf, "--node", node,
                        "--data-dir", self.node_dir(node, "data"), "--key-dir", self.node_dir(node, "keys")]
                if node == "node1":
                    argv += ["--public-namespace", self.pub1]
                run(argv, ns=ns, check_rc=False)
        # wireguard-go processes an apply that failed half way left behind:
        # by their recorded pid, when that pid still runs wireguard-go.
        for node in NODES:
            wgdir = self.node_dir(node, "data") + "/wg"
            for name in os.listdir(wgdir) if os.path.isdir(wgdir) else []:
                if not name.endswith(".pid"):
                    continue
                try:
                    with open(os.path.join(wgdir, name)) as fh:
                        pid = int(fh.read().split()[0])
                    with open(f"/proc/{pid}/cmdline") as fh:
                        if "wireguard-go" in fh.read():
                            os.kill(pid, signal.SIGTERM)
                except (OSError, ValueError, IndexError):
                    pass
        for ns in os.listdir("/run/netns"):
            if ns.startswith("net-f"):
                netns_del(ns)
        for ns in self.extra_ns:
            netns_del(ns)
        shutil.rmtree(self.tmp, ignore_errors=True)


def make_certs(d):
    """A CA, a server certificate for the etcd host and a client certificate
    (openssl); no extendedKeyUsage, so etcd's gateway may also present the
    server's as a client."""
    def sh(*a):
        run(["openssl"] + list(a))
    sh("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
       "-subj", "/CN=zt-ca", "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem")
    for name, san in (("server", f"IP:{ETCD_HOST},IP:127.0.0.1"), ("node2", None), ("other", None)):
        # A node's certificate has no CommonName: etcd 3.4's gateway refuses
        # one with a CN when auth is on (the RBAC user comes from --user).
        subj = f"/CN={name}" if name == "server" else f"/O=zos/OU={name}"
        sh("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", subj,
           "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.csr")
        ext = f"{d}/{name}.ext"
        with open(ext, "w") as fh:
            fh.write(f"subjectAltName={san}\n" if san else "basicConstraints=CA:FALSE\n")
        # "other" signs itself: a certificate etcd's CA never issued.
        ca = ["-CA", f"{d}/ca.pem", "-CAkey", f"{d}/ca.key", "-CAcreateserial"] if name != "other" else \
            ["-signkey", f"{d}/other.key"]
        sh("x509", "-req", "-in", f"{d}/{name}.csr", *ca, "-days", "2",
           "-extfile", ext, "-out", f"{d}/{name}.pem")
