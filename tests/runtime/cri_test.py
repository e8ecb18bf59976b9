#!/usr/bin/python3 -B
"""containerd 1.6's CRI plugin (the kubelet path) with zos-nr/zos-ipam, driven
by a small CRI v1 client (gRPC stubs compiled here from cri/api.proto).

A node netns zt-rt-<pid>-cri; a holder process in it owns a private mount
namespace whose /run is a fresh tmpfs, so /run/netns is a plain folder (what
CRI leaves on a real node); containerd runs there with its own root, state,
socket and config, restarted once. One conflist for two tenants: networksDir
+ podNamespaces (tenant-a -> t-cri-a) + podNamespaceAsNetwork (t-cri-b).
NR nibbles 0d40, 0d41 (10.13.64.0/24, 10.13.65.0/24).

Checks: Version, Status (NetworkReady); pods get both families in
PodSandboxStatus, the first IPv6 the one mirroring the IPv4; a container in a
pod pings its gateway and the second pod of its tenant, not the other
tenant's pod; hostPort is refused with a clear error; after a containerd
restart the pods are still there; Stop + Remove of every pod succeed (the
first too, with /run/netns a plain folder; one with its netns already gone),
leaving no netns, lease or host veth; what CRI sent (ADD, DEL on Stop and on
Remove, K8S_POD_NAMESPACE) as docs/runtimes.md says. Exit 77 = skipped.
"""

import os
import time

import rtlib as rt
import crilib

NA, NB = 0x40, 0x41

def test(c):
    rt.require_root_and("containerd", "runc", "ctr", "unshare", "nsenter")
    pb, pbg = crilib.stubs(c)
    import grpc

    node = rt.Node(c, "cri")
    d = rt.tempdir(c, "cri")
    cap = os.path.join(d, "capture")
    os.makedirs(cap)
    data = os.path.join(d, "data")
    nets = os.path.join(d, "networks")
    os.makedirs(nets)
    files = {}
    for nid, n in (("t-cri-a", NA), ("t-cri-b", NB)):
        files[nid] = rt.write_json(os.path.join(nets, nid + ".json"),
                                   rt.network_object(nid, [{"node_id": "node1", "n": n}]))
    bins = rt.plugin_dir(c, "cri", capture_dir=cap)
    os.makedirs(os.path.join(d, "net.d"))
    rt.write_json(os.path.join(d, "net.d", "10-zos.conflist"), {
        "cniVersion": "1.0.0", "name": "zos", "plugins": [{
            "type": "zos-nr", "nodeId": "node1", "networksDir": nets, "dataDir": data,
            "podNamespaces": {"tenant-a": "t-cri-a"}, "podNamespaceAsNetwork": True,
            "capabilities": {"portMappings": True, "ipRanges": True},
            "ipam": {"type": "zos-ipam", "ipv6": "both"}}]})
    holder, ctrd = crilib.start(c, node, d, bins, {"": os.path.join(d, "net.d")})

    def drop_nrs():  # the NR netns live in the holder's mount ns
        for nid in files:
            rt.run(holder.enter() + [os.path.join(bins, "zos-nr"), "delete", files[nid], "--node", "node1",
                                     "--data-dir", data], check=False)
    c.add(drop_nrs)

    chan = grpc.insecure_channel("unix://" + ctrd.sock)
    cri = pbg.RuntimeServiceStub(chan)
    try:
        v = cri.Version(pb.VersionRequest(version="v1"), timeout=30)
    except grpc.RpcError as e:
        if "too many open files" in open(ctrd.logf.name).read():
            raise rt.Skip("the CRI plugin could not get an inotify instance (fs.inotify.max_user_instances "
                          "exhausted on this machine)")
        raise AssertionError(f"CRI Version: {e.details()}\n" + "\n".join(
            l for l in open(ctrd.logf.name).read().splitlines() if "cri" in l.lower())[-3000:])
    assert v.runtime_name == "containerd" and v.runtime_api_version.startswith("v1"), v
    conds = {x.type: x.status for x in cri.Status(pb.StatusRequest(), timeout=30).status.conditions}
    assert conds.get("RuntimeReady") and conds.get("NetworkReady"), conds

    pods = {}

    def sandbox_config(name, ns, ports=()):
        return pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid=f"uid-{name}", namespace=ns), hostname=name,
            port_mappings=[pb.PortMapping(container_port=cp, host_port=hp) for cp, hp in ports])

    def stop_all():
        for pid in list(pods.values()):
            try:
                cri.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pid), timeout=60)
                cri.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pid), timeout=60)
            except grpc.RpcError as e:
                rt.log(f"cleanup: pod {pid}: {e.details()}")
    c.add(stop_all)

    def run_pod(name, ns):
        pods[name] = cri.RunPodSandbox(pb.RunPodSandboxRequest(config=sandbox_config(name, ns)),
                                       timeout=120).pod_sandbox_id

    def ips(name):
        st = cri.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pods[name]), timeout=30).status
        assert st.state == pb.SANDBOX_READY, st
        return [st.network.ip] + [x.ip for x in st.network.additional_ips]

    t0 = time.monotonic()
    run_pod("p1", "tenant-a")
    rt.log(f"first pod ready in {1000 * (time.monotonic() - t0):.0f} ms (builds the NR)")
    run_pod("p2", "tenant-a")
    run_pod("p3", "t-cri-b")
    ip = {n: ips(n) for n in pods}
    for n, net in (("p1", NA), ("p2", NA), ("p3", NB)):
        v4 = [a for a in ip[n] if ":" not in a]
        v6 = [a for a in ip[n] if ":" in a]
        assert len(v4) == 1 and v4[0].startswith(f"10.13.{net}."), ip[n]
        assert len(v6) == 2 and all(a.startswith(f"2a02:1802:5e:d{net:02x}:") for a in v6), ip[n]
        # kubelet keeps the first IPv6: the one mirroring the IPv4.
        o = [int(x) for x in v4[0].split(".")]
        assert v6[0] == f"2a02:1802:5e:d{net:02x}::{o[0] * 256 + o[1]:x}:{o[2] * 256 + o[3]:x}", ip[n]
    assert len(holder.netns_files()) == 3, holder.netns_files()

    # A container in p1: reaches its gateway and p2 (v4, v6), not p3 (another tenant).
    cfg = pb.ContainerConfig(metadata=pb.ContainerMetadata(name="c1"), image=pb.ImageSpec(image=rt.IMAGE),
                             command=["/bin/sleep", "3600"])
    cid = cri.CreateContainer(pb.CreateContainerRequest(pod_sandbox_id=pods["p1"], config=cfg,
                                                        sandbox_config=sandbox_config("p1", "tenant-a")),
                              timeout=120).container_id
    cri.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=60)

    def sh_in(cmd):
        return cri.ExecSync(pb.ExecSyncRequest(container_id=cid, cmd=["/bin/sh", "-c", cmd], timeout=20), timeout=40)

    r = sh_in(f"ping -c1 -W3 {rt.router4(NA)} && ping -c1 -W3 {ip['p2'][0]} && ping6 -c1 -W3 {ip['p2'][1]}")
    assert r.exit_code == 0, f"container could not reach the gateway / p2: {r.stdout} {r.stderr}"
    r = sh_in(f"ping -c1 -W2 {ip['p3'][0]}")
    assert r.exit_code != 0, "a pod of tenant-a reached the pod of t-cri-b"

    # hostPort: refused, saying why; nothing left of the attempt.
    try:
        cri.RunPodSandbox(pb.RunPodSandboxRequest(config=sandbox_config("hp", "tenant-a", [(80, 8080)])), timeout=120)
        raise AssertionError("a pod with a hostPort was accepted")
    except grpc.RpcError as e:
        assert "hostPort is not supported" in e.details(), e.details()
    assert rt.retry(lambda: len(holder.netns_files()) == 3), holder.netns_files()

    # containerd restart: the pods and the container are still there.
    ctrd.stop()
    ctrd.start()
    chan = grpc.insecure_channel("unix://" + ctrd.sock)
    cri = pbg.RuntimeServiceStub(chan)

    def recovered():  # CRI answers "server is not initialized yet" while it reloads its state
        try:
            return ips("p1") == ip["p1"]
        except grpc.RpcError:
            return False
    assert rt.retry(recovered, tries=60), "p1 is not back, with its addresses, after a containerd restart"
    assert sh_in(f"ping -c1 -W3 {rt.router4(NA)}").exit_code == 0, "p1 lost its network across a restart"

    # p2's netns goes before its Stop (CRI then sends DEL without a netns).
    before = set(holder.netns_files())
    cri.StopContainer(pb.StopContainerRequest(container_id=cid, timeout=0), timeout=60)
    cri.RemoveContainer(pb.RemoveContainerRequest(container_id=cid), timeout=60)
    for name in ("p1", "p2", "p3"):
        if name == "p2":
            netns = [x["env"]["CNI_NETNS"] for x in rt.captured(cap) if x["env"].get("CNI_COMMAND") == "ADD"
                     and "K8S_POD_NAME=p2;" in x["env"].get("CNI_ARGS", "") + ";"]
            rt.run(holder.enter() + ["ip", "netns", "del", os.path.basename(netns[0])])
        cri.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pods[name]), timeout=60)
        cri.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pods.pop(name)), timeout=60)
    assert holder.netns_files() == [], f"netns left after Stop + Remove: {holder.netns_files()} (had {before})"
    assert rt.leases(data) == [], rt.leases(data)
    assert node.host_veths() == [], node.host_veths()

    # What CRI sent.
    calls = rt.captured(cap)
    verbs = [x["env"].get("CNI_COMMAND") for x in calls]
    assert set(verbs) <= {"ADD", "DEL"}, verbs
    assert verbs.count("ADD") == 4, verbs  # p1, p2, p3, the refused hostPort pod
    for x in calls:
        assert "K8S_POD_NAMESPACE=" in x["env"].get("CNI_ARGS", ""), x["env"]
        if x["env"]["CNI_COMMAND"] == "ADD":
            assert x["env"]["CNI_NETNS"].startswith("/var/run/netns/cni-"), x["env"]
    rt.log(f"CRI sent: {verbs}")


if __name__ == "__main__":
    rt.main(test)
