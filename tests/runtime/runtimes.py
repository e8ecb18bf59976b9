"""The runtimes under test and their image: a busybox rootfs / OCI archive
built offline from busybox-static, containerd (+ ctr) and podman, each with
every path of its own and run inside a node netns (see rtlib.py)."""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import time

from rtlib import IMAGE, PATH, end_procs_mentioning, retry, run, tempdir, write_json


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


def oci_archive(path, layer, name=IMAGE, cmd=("/bin/sh",)):
    """An OCI image archive (oci-layout, index.json, blobs) holding one layer."""
    def blob(data):
        return "sha256:" + hashlib.sha256(data).hexdigest()
    gz = gzip.compress(layer, mtime=0)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": list(cmd), "Env": ["PATH=/bin"]},
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

def containerd_config(d, cri=False):
    """containerd's config.toml: every path under d; snapshotters this machine
    cannot serve stay off, and so does CRI unless asked for (ctr needs none)."""
    off = ([] if cri else ["io.containerd.grpc.v1.cri"]) + [
        "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
        "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
        "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
    return f"""version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = {json.dumps(off)}
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
        self.fifo = os.path.join(self.d, "fifo")
        self.ids = []
        with open(os.path.join(self.d, "config.toml"), "w") as f:
            f.write(containerd_config(self.d))
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
        end_procs_mentioning(self.sock, grace=3)
        # A killed shim leaves its socket: /run/containerd/s/sha256(<address>/<ns>/<id>).
        for cid in self.ids:
            h = hashlib.sha256(os.path.join(self.sock, "default", cid).encode()).hexdigest()
            try:
                os.unlink(os.path.join("/run/containerd/s", h))
            except OSError:
                pass
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

    def run_argv(self, cid, *cmd, rm=True, detach=False):
        """argv of `ctr run --cni` (fifos in our dir, not /run/containerd/fifo)."""
        self.ids.append(cid)
        a = ["run", "--cni", "--runc-root", self.runc_root, "--fifo-dir", self.fifo]
        if rm:
            a.append("--rm")
        if detach:
            a.append("-d")
        return self.ctr_cni_argv(*a, IMAGE, cid, *cmd)

    def run_cmd(self, cid, *cmd, rm=True, detach=False, check=True):
        return run(self.run_argv(cid, *cmd, rm=rm, detach=detach), check=check)

    def exec(self, cid, *cmd, check=True):
        return self.ctr("tasks", "exec", "--fifo-dir", self.fifo, "--exec-id", f"x{time.monotonic_ns()}", cid, *cmd,
                        check=check)


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
        # conmon runs `podman container cleanup` when a container exits: let
        # those finish (they write into our dirs), end what is left.
        end_procs_mentioning(self.d)
        for line in reversed(open("/proc/self/mounts").read().splitlines()):
            mp = line.split()[1]
            if mp.startswith(self.d):
                run(["umount", "-l", mp], check=False)

