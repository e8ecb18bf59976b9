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

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN_DIR = os.environ.get("ZOS_PLUGIN_DIR") or os.path.join(ROOT, "build", "bin")
REF_DIR = "/usr/lib/cni"
ZOS_PLUGINS = ("zos-nr", "zos-ipam", "zos-nft")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IMAGE = "docker.io/library/zt-busybox:latest"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


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


class Cleanup:
    def __init__(self):
        self.steps = []

    def add(self, fn, *a, **kw):
        self.steps.append((fn, a, kw))

    def run(self):
        # Signals during cleanup must not stop it half-way.
        old = signal.signal(signal.SIGTERM, signal.SIG_IGN), signal.signal(signal.SIGINT, signal.SIG_IGN)
        while self.steps:
            fn, a, kw = self.steps.pop()
            try:
                fn(*a, **kw)
            except Exception as e:  # keep going: report, then the next step
                log(f"cleanup: {getattr(fn, '__name__', fn)}: {e}")
        signal.signal(signal.SIGTERM, old[0])
        signal.signal(signal.SIGINT, old[1])


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


def plugin_dir(cleanup, tag, capture_dir=None, with_bridge=True):
    """A CNI bin dir: our plugins + the reference ones (symlinks); with capture_dir,
    zos-nr is a logging wrapper around the real one."""
    d = tempdir(cleanup, tag + "-bin")
    for p in ZOS_PLUGINS:
        os.symlink(os.path.join(PLUGIN_DIR, p), os.path.join(d, p))
    for p in sorted(os.listdir(REF_DIR)):
        os.symlink(os.path.join(REF_DIR, p), os.path.join(d, p))
    if capture_dir:
        os.unlink(os.path.join(d, "zos-nr"))
        w = os.path.join(d, "zos-nr")
        with open(w, "w") as f:
            f.write(WRAPPER.format(logdir=capture_dir, real=os.path.join(PLUGIN_DIR, "zos-nr")))
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


# ---- the busybox image --------------------------------------------------------

BUSYBOX = "/bin/busybox"
APPLETS = ["sh", "ping", "ping6", "ip", "ifconfig", "route", "true", "sleep", "cat", "ls", "echo", "hostname",
           "wget", "nc", "sysctl"]


def rootfs_tar():
    """A rootfs layer (uncompressed tar bytes): /bin/busybox, applet symlinks, empty system dirs."""
    bb = BUSYBOX if os.path.exists(BUSYBOX) else "/usr/bin/busybox"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        def add_dir(name):
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 0
            t.addfile(ti)
        for dname in ["bin", "dev", "etc", "proc", "sys", "tmp", "root", "run", "var"]:
            add_dir(dname)
        data = open(bb, "rb").read()
        ti = tarfile.TarInfo("bin/busybox")
        ti.size, ti.mode, ti.mtime = len(data), 0o755, 0
        t.addfile(ti, io.BytesIO(data))
        for a in APPLETS:
            ti = tarfile.TarInfo(f"bin/{a}")
            ti.type, ti.linkname, ti.mode, ti.mtime = tarfile.SYMTYPE, "busybox", 0o777, 0
            t.addfile(ti)
        for fname, text in [("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"), ("etc/group", "root:x:0:\n")]:
            b = text.encode()
            ti = tarfile.TarInfo(fname)
            ti.size, ti.mode, ti.mtime = len(b), 0o644, 0
            t.addfile(ti, io.BytesIO(b))
    return buf.getvalue()


def oci_archive(path, layer, name=IMAGE):
    """An OCI image archive (oci-layout, index.json, blobs) holding one layer."""
    def blob(data):
        return "sha256:" + hashlib.sha256(data).hexdigest()
    gz = gzip.compress(layer, mtime=0)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [blob(layer)]},
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(config),
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob(gz),
                    "size": len(gz)}],
    }).encode()
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(manifest),
                       "size": len(manifest), "platform": {"architecture": "amd64", "os": "linux"},
                       "annotations": {"io.containerd.image.name": name,
                                       "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}}],
    }).encode()
    with tarfile.open(path, "w") as t:
        def add(n, data):
            ti = tarfile.TarInfo(n)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 0
            t.addfile(ti, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for d in (config, manifest, gz):
            add("blobs/sha256/" + blob(d)[7:], d)
    return path


# ---- containerd ---------------------------------------------------------------

CONTAINERD_CONFIG = """version = 2
root = "{d}/root"
state = "{d}/state"
# No CRI (ctr needs none); snapshotters this machine cannot serve stay off.
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{d}/c.sock"
[ttrpc]
  address = "{d}/c.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
"""


def run_dir_cleanup(cleanup, path):
    """containerd's shim sockets and ctr's fifos go under /run/containerd whatever
    the config says: remove the (empty) dirs at the end when we made them."""
    if os.path.exists(path):
        return

    def drop():
        for sub in ("fifo", "s", "runc/default", "runc", ""):
            try:
                os.rmdir(os.path.join(path, sub))
            except OSError:
                pass
    cleanup.add(drop)


class Containerd:
    """containerd started inside `node` with its own root/state/socket; ctr runs in
    a private mount namespace where /etc/cni/net.d and /opt/cni/bin are ours."""

    def __init__(self, cleanup, node, conflist, bin_dir):
        self.node = node
        self.d = tempdir(cleanup, "ctrd")
        run_dir_cleanup(cleanup, "/run/containerd")
        self.netd = os.path.join(self.d, "net.d")
        os.makedirs(self.netd)
        self.set_conflist(conflist)
        self.opt = os.path.join(self.d, "optroot")
        os.makedirs(os.path.join(self.opt, "cni"))
        os.symlink(bin_dir, os.path.join(self.opt, "cni", "bin"))
        self.runc_root = os.path.join(self.d, "runc")
        with open(os.path.join(self.d, "config.toml"), "w") as f:
            f.write(CONTAINERD_CONFIG.format(d=self.d))
        self.sock = os.path.join(self.d, "c.sock")
        self.logf = open(os.path.join(self.d, "containerd.log"), "w")
        self.proc = subprocess.Popen(node.enter() + ["containerd", "--config", os.path.join(self.d, "config.toml")],
                                     stdout=self.logf, stderr=subprocess.STDOUT, env={"PATH": PATH},
                                     start_new_session=True)
        cleanup.add(self.stop)
        if not retry(lambda: self.ctr("version", check=False).returncode == 0, tries=60, delay=0.25):
            raise AssertionError("containerd did not come up:\n" + open(self.logf.name).read()[-3000:])

    def set_conflist(self, conflist):
        for f in os.listdir(self.netd):
            os.unlink(os.path.join(self.netd, f))
        write_json(os.path.join(self.netd, "10-test.conflist"), conflist)

    def stop(self):
        # Containers first (their tasks, snapshots, CNI DEL is the test's job), then the daemon.
        for c in self.ctr("containers", "list", "-q", check=False).stdout.split():
            self.ctr("tasks", "kill", "-s", "KILL", c, check=False)
            time.sleep(0.2)
            self.ctr("tasks", "delete", "-f", c, check=False)
            self.ctr("containers", "delete", c, check=False)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        # Shims outlive a killed daemon: end ours (their cmdline names our socket).
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
                except OSError:
                    continue
                if b"containerd-shim" in cmd[0] and self.sock.encode() in b" ".join(cmd):
                    os.kill(int(pid), signal.SIGKILL)
        # Snapshot mounts left by a crash.
        for line in reversed(open("/proc/self/mounts").read().splitlines()):
            mp = line.split()[1]
            if mp.startswith(self.d):
                run(["umount", "-l", mp], check=False)
        self.logf.close()

    def ctr(self, *args, check=True, timeout=120):
        return run(["ctr", "--address", self.sock, *args], check=check, timeout=timeout)

    def ctr_cni_argv(self, *args):
        """argv of ctr in the node netns and a private mount ns with our CNI dirs
        bound. Only the mount holding the bind targets is made private, so named
        netns that the plugin mounts under /run/netns (a shared mount) still
        reach the machine's mount namespace."""
        script = ('set -e; for p in /etc/cni/net.d /opt; do mount --make-private "$(findmnt -n -o TARGET -T $p)"; done; '
                  f'mount --bind {self.netd} /etc/cni/net.d; mount --bind {self.opt} /opt; exec ctr --address {self.sock} "$@"')
        return self.node.enter() + ["unshare", "-m", "--propagation", "unchanged", "sh", "-c", script, "ctr", *args]

    def ctr_cni(self, *args, check=True, timeout=120):
        return run(self.ctr_cni_argv(*args), check=check, timeout=timeout)

    def import_image(self, archive):
        self.ctr("images", "import", archive)

    def run_cmd(self, cid, *cmd, rm=True, detach=False, check=True):
        a = ["run", "--cni", "--runc-root", self.runc_root]
        if rm:
            a.append("--rm")
        if detach:
            a.append("-d")
        return self.ctr_cni(*a, IMAGE, cid, *cmd, check=check)


# ---- podman -------------------------------------------------------------------

CONTAINERS_CONF = """[containers]
# podman's defaults (nofile 1048576, nproc 4194304) are above this machine's
# hard limits: runc then fails with "error setting rlimit".
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[network]
network_backend = "cni"
cni_plugin_dirs = ["{bins}"]
network_config_dir = "{d}/net.d"
[engine]
# crun fails on this machine's cgroup layout; runc works.
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{d}/events.log"
tmp_dir = "{d}/tmp"
static_dir = "{d}/storage/libpod"
volume_path = "{d}/storage/volumes"
# File locks under tmp_dir instead of the machine-wide /dev/shm/libpod_lock.
lock_type = "file"
"""

STORAGE_CONF = """[storage]
driver = "vfs"
graphroot = "{d}/storage"
runroot = "{d}/run"
"""


class Podman:
    """podman with the CNI backend and every path of its own (containers.conf,
    storage.conf, CNI config dir, run root), run inside `node`'s netns."""

    def __init__(self, cleanup, node, bin_dir, d=None):
        self.node = node
        self.d = d or tempdir(cleanup, "podman")
        for sub in ("net.d", "tmp", "storage", "run"):
            os.makedirs(os.path.join(self.d, sub), exist_ok=True)
        self.netd = os.path.join(self.d, "net.d")
        with open(os.path.join(self.d, "containers.conf"), "w") as f:
            f.write(CONTAINERS_CONF.format(d=self.d, bins=bin_dir))
        with open(os.path.join(self.d, "storage.conf"), "w") as f:
            f.write(STORAGE_CONF.format(d=self.d))
        self.env = {"CONTAINERS_CONF": os.path.join(self.d, "containers.conf"),
                    "CONTAINERS_STORAGE_CONF": os.path.join(self.d, "storage.conf"),
                    "CONTAINERS_REGISTRIES_CONF": os.path.join(self.d, "registries.conf")}
        with open(self.env["CONTAINERS_REGISTRIES_CONF"], "w") as f:
            f.write("unqualified-search-registries = []\n")
        # Rootful podman keeps a blob-info cache in /var/lib/containers/cache
        # whatever storage.conf says: remove it when it was not there before.
        if not os.path.exists("/var/lib/containers"):
            cleanup.add(shutil.rmtree, "/var/lib/containers", ignore_errors=True)
        cleanup.add(self.stop)

    def add_network(self, name, conflist):
        write_json(os.path.join(self.netd, f"{name}.conflist"), conflist)

    def __call__(self, *args, check=True, timeout=120):
        return run(self.node.enter() + ["podman", *args], env=self.env, check=check, timeout=timeout)

    def import_rootfs(self, tar_path, name=IMAGE):
        self("import", tar_path, name)

    def stop(self):
        # Every container (podman tears its network down: CNI DEL), then the storage mounts.
        self("rm", "-a", "-f", "-t", "0", check=False, timeout=120)
        for line in reversed(open("/proc/self/mounts").read().splitlines()):
            mp = line.split()[1]
            if mp.startswith(self.d):
                run(["umount", "-l", mp], check=False)


def podman_conflist(conflist):
    """The conflist as podman needs it: the plugin declares the `ips` and `mac`
    capabilities, so `podman network reload` can ask for the same addresses
    again (runtimeConfig.ips) instead of getting new ones."""
    out = json.loads(json.dumps(conflist))
    out["plugins"][0]["capabilities"] = {"ips": True, "mac": True}
    return out
