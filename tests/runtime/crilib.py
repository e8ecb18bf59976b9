"""containerd's CRI plugin for the tests and bench/runtimes_bench.py: a CRI v1
client (stubs compiled at run time from cri/api.proto, the published field
numbers of k8s.io/cri-api), a mount namespace whose /run is fresh (so
/run/netns is a plain folder, as CRI leaves it on a real node), and a
containerd with the CRI plugin, its own root/state/socket/config, running
there inside a node netns. See rtlib.py for the conventions."""

import os
import subprocess
import sys

import rtlib as rt
import runtimes

PAUSE = "docker.io/library/zt-pause:latest"

CRI_CONFIG = """[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  # Pods may not get an oom_score_adj below containerd's own here (no CAP_SYS_RESOURCE).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{bins}"
    conf_dir = "{conf_dir}"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
"""
# Another handler (RunPodSandboxRequest.runtime_handler) with its own CNI conf dir.
RUNTIME = """    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{name}]
      runtime_type = "io.containerd.runc.v2"
      cni_conf_dir = "{conf_dir}"
      cni_max_conf_num = 1
"""


def stubs(c):
    """api_pb2 / api_pb2_grpc compiled from cri/api.proto into a temp dir."""
    try:
        import grpc  # noqa: F401
        from grpc_tools import protoc
    except ImportError:
        raise rt.Skip("python3-grpcio / python3-grpc-tools are not installed (scripts/install-deps.sh)")
    out = rt.tempdir(c, "cri-gen")
    src = os.path.join(os.path.dirname(os.path.realpath(__file__)), "cri")  # also through bench/'s symlink
    if protoc.main(["protoc", f"-I{src}", f"--python_out={out}", f"--grpc_python_out={out}", "api.proto"]) != 0:
        raise AssertionError("protoc could not compile cri/api.proto")
    sys.path.insert(0, out)
    import api_pb2
    import api_pb2_grpc
    return api_pb2, api_pb2_grpc


class Holder:
    """A process in the node netns owning a private mount ns with a fresh /run."""

    def __init__(self, c, node):
        script = "mount -t tmpfs zt-cri-run /run && mkdir /run/netns && echo ready && exec sleep 100000"
        self.p = subprocess.Popen(node.enter() + ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                                  stdout=subprocess.PIPE, text=True, env={"PATH": rt.PATH}, start_new_session=True)
        c.add(self.stop)
        if self.p.stdout.readline().strip() != "ready":
            raise AssertionError("the mount namespace holder did not start")

    def enter(self):
        return ["nsenter", f"--mount=/proc/{self.p.pid}/ns/mnt", f"--net=/proc/{self.p.pid}/ns/net"]

    def netns_files(self):
        return sorted(f for f in os.listdir(f"/proc/{self.p.pid}/root/run/netns") if f.startswith("cni-"))

    def stop(self):
        self.p.kill()
        self.p.wait()


class Containerd:
    def __init__(self, c, holder, d):
        self.holder, self.d = holder, d
        self.sock = os.path.join(d, "c.sock")
        self.logf = open(os.path.join(d, "containerd.log"), "a")
        self.proc = None
        c.add(self.cleanup)

    def start(self):
        self.proc = subprocess.Popen(self.holder.enter() + ["containerd", "--config", os.path.join(self.d, "config.toml")],
                                     stdout=self.logf, stderr=subprocess.STDOUT, env={"PATH": rt.PATH},
                                     start_new_session=True)
        if not rt.retry(lambda: self.ctr("version", check=False).returncode == 0, tries=80, delay=0.25):
            raise AssertionError("containerd did not come up:\n" + open(self.logf.name).read()[-3000:])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def ctr(self, *args, check=True):
        return rt.run(["ctr", "--address", self.sock, "-n", "k8s.io", *args], check=check)

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.stop()
        rt.end_procs_mentioning(self.sock, grace=3)  # shims
        if os.environ.get("ZOS_RT_VERBOSE"):
            rt.log(open(self.logf.name).read()[-6000:])
        self.logf.close()


def start(c, node, d, bins, conf_dirs):
    """containerd with CRI in a Holder of `node`; conf_dirs: {runtime handler:
    CNI conf dir}, "" being the default handler. Images: PAUSE (the sandbox)
    and rt.IMAGE (busybox), both in containerd's k8s.io namespace."""
    extra = "".join(RUNTIME.format(name=h, conf_dir=cd) for h, cd in conf_dirs.items() if h)
    with open(os.path.join(d, "config.toml"), "w") as f:
        f.write(runtimes.containerd_config(d, cri=True) + CRI_CONFIG.format(d=d, bins=bins, pause=PAUSE,
                                                                             conf_dir=conf_dirs[""]) + extra)
    holder = Holder(c, node)
    ctrd = Containerd(c, holder, d)
    ctrd.start()
    layer = runtimes.rootfs_tar()
    ctrd.ctr("images", "import", runtimes.oci_archive(os.path.join(d, "pause.tar"), layer, PAUSE, ("/bin/sleep", "86400")))
    ctrd.ctr("images", "import", runtimes.oci_archive(os.path.join(d, "busybox.tar"), layer))
    return holder, ctrd
