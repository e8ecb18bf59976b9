"""Helpers for the runtime tests (containerd, podman) and bench/runtimes_bench.py.

Everything runs inside node network namespaces made here (zt-rt-<pid>-<tag>):
the runtime is started with `nsenter --net=/run/netns/<node>`, so every link
the plugins make lands in that namespace and the machine's own is untouched.
NR prefixes are 2a02:1802:5e:dXX::/64 (nibble 0dXX, NR IPv4 10.13.XX.0/24).

Cleanup: a `Cleanup` stack (LIFO) that runs on normal exit, on an exception and
on SIGTERM/SIGINT (turned into SystemExit), so a failing or killed test removes
its namespaces, processes, mounts and temp dirs.

Plugins under test come from $ZOS_PLUGIN_DIR (default: <repo>/build/bin), the
reference plugins from /usr/lib/cni.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from zostest import Cleanup, log  # noqa: F401 (rt.Cleanup, rt.log for the scripts)

# realpath: bench/ imports this file through a symlink.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
PLUGIN_DIR = os.environ.get("ZOS_PLUGIN_DIR") or os.path.join(ROOT, "build", "bin")
REF_DIR = "/usr/lib/cni"
ZOS_PLUGINS = ("zos-nr", "zos-ipam", "zos-nft")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IMAGE = "docker.io/library/zt-busybox:latest"


class Skip(Exception):
    """The environment cannot run this test (not root, missing package)."""


def require_root_and(*tools):
    if os.geteuid() != 0:
        raise Skip("needs root")
    for t in tools:
        if shutil.which(t, path=PATH) is None:
            raise Skip(f"{t} is not installed (scripts/install-deps.sh installs it)")
    for p in ZOS_PLUGINS:
        if not os.access(os.path.join(PLUGIN_DIR, p), os.X_OK):
            raise Skip(f"{p} not found in {PLUGIN_DIR} (build it or set ZOS_PLUGIN_DIR)")


def main(test):
    """Runs test(cleanup) with cleanup on every exit path; exit 77 = skipped."""
    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    c = Cleanup()
    rc = 0
    try:
        test(c)
        log("PASS")
    except Skip as e:
        log(f"SKIP: {e}")
        rc = 77
    except AssertionError as e:
        log(f"FAIL: {e}")
        rc = 1
    finally:
        c.run()
    sys.exit(rc)


def run(argv, check=True, env=None, input=None, timeout=120, quiet=False):
    """Runs argv; returns CompletedProcess (text). check=True raises AssertionError with the output."""
    e = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8"}
    if env:
        e.update(env)
    r = subprocess.run(argv, env=e, input=input, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
    if not quiet and os.environ.get("ZOS_RT_VERBOSE"):
        log(f"$ {' '.join(argv)} -> {r.returncode}")
    return r


def sh(cmd, check=True, **kw):
    return run(["/bin/sh", "-c", cmd], check=check, **kw)


def procs_mentioning(needle):
    """Pids (not ours) whose command line contains `needle` (str)."""
    out, me = [], os.getpid()
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != me:
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read()
            except OSError:
                continue
            if needle.encode() in cmd:
                out.append(int(pid))
    return out


def end_procs_mentioning(needle, grace=10.0):
    """Waits up to `grace` s for the processes that name `needle` (our temp dir,
    our socket: conmon, `podman container cleanup`, shims) to exit, then
    SIGKILLs the rest, by pid."""
    deadline = time.monotonic() + grace
    while procs_mentioning(needle) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in procs_mentioning(needle):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def retry(fn, tries=5, delay=0.5):
    for i in range(tries):
        if fn():
            return True
        time.sleep(delay)
    return False


# ---- address plan (nibble 0dXX) -------------------------------------------

def prefix(n):
    return f"2a02:1802:5e:d{n:02x}::/64"


def subnet4(n):
    return f"10.13.{n}.0/24"


def router4(n):
    return f"10.13.{n}.1"


def nr_netns(n, alloc=0):
    return f"net-0d{n:02x}-{alloc}"


# ---- namespaces --------------------------------------------------------------

class Node:
    """A node network namespace zt-rt-<pid>-<tag>, removed by cleanup."""

    def __init__(self, cleanup, tag):
        self.name = f"zt-rt-{os.getpid()}-{tag}"
        self.path = f"/run/netns/{self.name}"
        run(["ip", "netns", "del", self.name], check=False)
        run(["ip", "netns", "add", self.name])
        cleanup.add(run, ["ip", "netns", "del", self.name], check=False)
        run(["ip", "-n", self.name, "link", "set", "lo", "up"])

    def enter(self):
        return ["nsenter", f"--net={self.path}"]

    def ip(self, *args, check=True):
        return run(["ip", "-n", self.name, *args], check=check)

    def host_veths(self):
        out = self.ip("-o", "link", "show").stdout
        return [l.split(":")[1].strip().split("@")[0] for l in out.splitlines()
                if l.split(":")[1].strip().startswith("zv")]


def forget_nr(cleanup, node, network_file, node_id, data_dir, nibbles):
    """Registers removal of the NR(s): zos-nr delete, then the netns by force."""
    for n in nibbles:
        run(["ip", "netns", "del", nr_netns(n)], check=False)  # leftover of a crashed run

    def drop():
        r = run(node.enter() + [os.path.join(PLUGIN_DIR, "zos-nr"), "delete", network_file, "--node", node_id,
                                "--data-dir", data_dir], check=False)
        if r.returncode != 0:
            log(f"cleanup: zos-nr delete: {r.stderr.strip()}")
        for n in nibbles:
            run(["ip", "netns", "del", nr_netns(n)], check=False)
    cleanup.add(drop)


def tempdir(cleanup, tag):
    d = tempfile.mkdtemp(prefix=f"zt-rt-{tag}-")
    cleanup.add(shutil.rmtree, d, ignore_errors=True)
    return d


def leases(data_dir):
    """IPv4 lease files of zos-ipam under <dataDir>/ipam (names that are IPv4s)."""
    out = []
    for dirpath, _dirs, files in os.walk(os.path.join(data_dir, "ipam")):
        for f in files:
            if f.count(".") == 3 and f.replace(".", "").isdigit():
                out.append(os.path.join(dirpath, f))
    return out


# ---- network objects and conflists -------------------------------------------

def wg_keypair():
    priv = run(["wg", "genkey"]).stdout.strip()
    pub = run(["wg", "pubkey"], input=priv + "\n").stdout.strip()
    return priv, pub


def network_object(network_id, resources, version=1):
    """resources: [{node_id, n, [ip, port, priv, pub]}]: every resource is a peer of every resource."""
    peers = []
    for r in resources:
        if "ip" in r:
            peers.append({"type": 0, "prefix": prefix(r["n"]),
                          "connection": {"ip": r["ip"], "port": r["port"], "key": r["pub"]}})
    res = []
    for r in resources:
        mine = []
        for p, r2 in zip(peers, [x for x in resources if "ip" in x]):
            q = json.loads(json.dumps(p))
            if r2 is r:
                q["connection"]["private_key"] = r["priv"]
            mine.append(q)
        res.append({"node_id": {"id": r["node_id"]}, "prefix": prefix(r["n"]), "peers": mine})
    return {"network_id": network_id, "version": version, "allocation_nr": 0, "resources": res}


def zos_conflist(name, node_id, network_file, data_dir, version="1.0.0"):
    return {"cniVersion": version, "name": name, "plugins": [{
        "type": "zos-nr", "nodeId": node_id, "networkFile": network_file, "dataDir": data_dir,
        "ipam": {"type": "zos-ipam", "ipv6": "both"}}]}


def bridge_conflist(name, bridge, subnet, data_dir, version="1.0.0"):
    gw = subnet.rsplit(".", 1)[0] + ".1"
    return {"cniVersion": version, "name": name, "plugins": [{
        "type": "bridge", "bridge": bridge, "isGateway": True, "ipMasq": False, "hairpinMode": False,
        "ipam": {"type": "host-local", "dataDir": data_dir, "ranges": [[{"subnet": subnet, "gateway": gw}]],
                 "routes": [{"dst": "0.0.0.0/0"}]}}]}


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
    return path


# ---- plugin directory (+ optional capture wrapper) ---------------------------

WRAPPER = """#!/bin/sh
# Logs what the runtime sends (env + stdin) and what the plugin answers, then
# exits with the plugin's status.
d={logdir}; n=$(date +%s%N)-$$
env | grep -E '^CNI_' | sort > "$d/$n.env"
cat > "$d/$n.in"
{real} < "$d/$n.in" > "$d/$n.out"
rc=$?
echo $rc > "$d/$n.rc"
cat "$d/$n.out"
exit $rc
"""


def plugin_dir(cleanup, tag, capture_dir=None):
    """A CNI bin dir: our plugins (copies) + the reference ones (symlinks); with
    capture_dir, zos-nr is a logging wrapper around the real one.

    Copies, not symlinks: ctr runs with the test's own dir mounted on /opt, so a
    link to an installed /opt/cni/bin/zos-nr would point back into this dir."""
    d = tempdir(cleanup, tag + "-bin")
    for p in ZOS_PLUGINS:
        shutil.copy2(os.path.join(PLUGIN_DIR, p), os.path.join(d, p))
    for p in sorted(os.listdir(REF_DIR)):
        if p in ZOS_PLUGINS:  # an installed copy of ours: the build's wins
            continue
        os.symlink(os.path.join(REF_DIR, p), os.path.join(d, p))
    if capture_dir:
        w = os.path.join(d, "zos-nr")
        os.rename(w, w + ".real")  # beside zos-nft, which it looks for there
        with open(w, "w") as f:
            f.write(WRAPPER.format(logdir=capture_dir, real=w + ".real"))
        os.chmod(w, 0o755)
    return d


def captured(capture_dir):
    """The calls the wrapper logged, in order: [{env, stdin, rc, stdout}]."""
    calls = []
    for f in sorted(os.listdir(capture_dir), key=lambda x: int(x.split("-")[0]) if x[0].isdigit() else 0):
        if not f.endswith(".env"):
            continue
        base = os.path.join(capture_dir, f[:-4])
        env = dict(l.split("=", 1) for l in open(base + ".env").read().splitlines() if "=" in l)
        stdin = open(base + ".in").read()
        rc = open(base + ".rc").read().strip() if os.path.exists(base + ".rc") else "?"
        out = open(base + ".out").read() if os.path.exists(base + ".out") else ""
        try:
            stdin = json.loads(stdin)
        except ValueError:
            pass
        calls.append({"env": env, "stdin": stdin, "rc": rc, "stdout": out})
    return calls


class OneNode:
    """The usual set-up: a node netns, a temp dir, a one-resource network
    object (node1, nibble n) in a file, its NR removed at the end, the zos
    conflist `zosnet`, and a plugin dir whose zos-nr logs every call into
    `cap` (see captured())."""

    def __init__(self, cleanup, tag, n):
        self.node = Node(cleanup, tag)
        self.d = tempdir(cleanup, tag + "-test")
        self.cap = os.path.join(self.d, "capture")
        os.makedirs(self.cap)
        self.data = os.path.join(self.d, "data")
        self.net_file = write_json(os.path.join(self.d, f"t-{tag}.json"),
                                   network_object(f"t-{tag}", [{"node_id": "node1", "n": n}]))
        forget_nr(cleanup, self.node, self.net_file, "node1", self.data, [n])
        self.bins = plugin_dir(cleanup, tag, capture_dir=self.cap)
        self.conflist = zos_conflist("zosnet", "node1", self.net_file, self.data)
