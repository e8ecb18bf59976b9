#!/usr/bin/python3
"""`zos-nr serve` against a real redis-server, with a zbus client written
here from the protocol description (python3-redis, python3-msgpack), not
from the server's code.

The server runs inside a node namespace zt-zb-<pid> (nsenter); redis-server
listens on a unix socket in a temp dir. NR prefixes are 2a02:1802:5e:cXX::/64
(names net-0cXX-0, br-0cXX-0). Everything made here is removed at the end,
also when a check fails.

usage: serve_test.py <path of zos-nr>     exit 0 passed, 1 failed, 77 skipped
       serve_test.py <path of zos-nr> --go-network <file>...
           applies and deletes networks encoded by Go (tests/zbus/go/zosnet.go,
           run by go_encoder_test.sh), sent as the bytes of the argument;
           netns zt-zg-<pid>, prefix 2a02:1802:5e:c40::/64
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

from zostest import Failed, check, netns_add, netns_del, run as run_in

try:
    import msgpack
    import redis
except ImportError as e:  # install-deps.sh installs them
    print(f"skipped: {e}")
    sys.exit(77)

QUEUE = "network.network@0.0.1"
OBJECT = {"Name": "network", "Version": "0.0.1"}
NODE_ID = "node1"


def prefix(n):
    return f"2a02:1802:5e:c{n:02x}::/64"


def names(n):
    return f"net-0c{n:02x}-0", f"br-0c{n:02x}-0"


def network(net_id, n, version):
    return {"network_id": net_id, "version": version, "allocation_nr": 0,
            "resources": [{"node_id": {"id": NODE_ID}, "prefix": prefix(n), "peers": []}]}


class World:
    """The temp dir, redis-server, the node netns and the server; close()
    removes all of it."""

    def __init__(self, zos_nr, tag="zb"):
        self.zos_nr = zos_nr
        self.tmp = tempfile.mkdtemp(prefix=f"zt-{tag}-")
        self.sock = os.path.join(self.tmp, "redis.sock")
        self.data = os.path.join(self.tmp, "data")
        self.node = f"zt-{tag}-{os.getpid()}"
        self.nibbles = set()
        self.redis_proc = None
        self.server = None
        self.server_log = os.path.join(self.tmp, "serve.log")
        self.log_file = os.path.join(self.tmp, "zos.log")  # ZOS_LOG_FILE
        netns_add(self.node)

    def sh(self, argv, ns=None, check_rc=True):
        return run_in(argv, ns=ns or self.node, check_rc=check_rc)

    def start_redis(self):
        self.redis_proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.sock, "--unixsocketperm", "700",
             "--save", "", "--appendonly", "no", "--dir", self.tmp],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                redis.Redis(unix_socket_path=self.sock).ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise Failed("redis-server did not come up")

    def stop_redis(self):
        if self.redis_proc and self.redis_proc.poll() is None:
            self.redis_proc.kill()
            self.redis_proc.wait()

    def start_server(self, workers=2):
        log = open(self.server_log, "a")
        env = dict(os.environ, ZOS_LOG_LEVEL="info", ZOS_LOG_FILE=self.log_file)
        self.server = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{self.node}", self.zos_nr, "serve", "--broker", f"unix://{self.sock}",
             "--node", NODE_ID, "--data-dir", self.data, "--workers", str(workers)],
            stdout=log, stderr=log, env=env)

    def close(self):
        if self.server and self.server.poll() is None:
            self.server.kill()
            self.server.wait()
        for n in sorted(self.nibbles):
            f = os.path.join(self.tmp, f"cleanup-{n}.json")
            with open(f, "w") as fh:
                json.dump(network(f"cleanup{n}", n, 1 << 40), fh)
            netns, _ = names(n)
            # The NR by the plugin itself, then whatever is still there.
            self.sh([self.zos_nr, "delete", f, "--node", NODE_ID, "--data-dir", os.path.join(self.tmp, "cleanup")],
                    check_rc=False)
            netns_del(netns)
        self.stop_redis()
        netns_del(self.node)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Client:
    """A zbus client: RPUSH a msgpack request on the queue, BLPOP the reply."""

    def __init__(self, sock):
        self.r = redis.Redis(unix_socket_path=sock)

    @staticmethod
    def request(method, args, reply_to=None, rid=None):
        rid = rid or str(uuid.uuid4())
        return rid, {"ID": rid, "Arguments": [msgpack.packb(a, use_bin_type=True) for a in args],
                     "Object": OBJECT, "ReplyTo": reply_to or rid, "Method": method}

    def send_raw(self, payload):
        self.r.rpush(QUEUE, payload)

    def reply(self, key, timeout=60):
        got = self.r.blpop([key], timeout=timeout)
        if got is None:
            raise Failed(f"no reply on {key} within {timeout}s")
        resp = msgpack.unpackb(got[1], raw=False)
        resp["Arguments"] = [msgpack.unpackb(a, raw=False) for a in resp["Arguments"]]
        return resp

    def call(self, method, *args):
        rid, req = self.request(method, list(args))
        self.send_raw(msgpack.packb(req, use_bin_type=True))
        resp = self.reply(rid)
        if resp["ID"] != rid:
            raise Failed(f"reply ID {resp['ID']} != request ID {rid}")
        return resp


def link_exists(w, name, ns=None):
    return w.sh(["ip", "link", "show", name], ns=ns, check_rc=False).returncode == 0


def run(w):
    w.start_redis()
    w.start_server(workers=2)
    c = Client(w.sock)
    w.nibbles.update({0, 1, 2})
    ns0, br0 = names(0)

    # ApplyNetResource -> (string, error)
    resp = c.call("ApplyNetResource", network("zbnet", 0, 1))
    check(resp["Error"] == "" and resp["Arguments"] == [ns0, None], f"ApplyNetResource answers [{ns0!r}, nil]: {resp}")
    check(os.path.exists(f"/run/netns/{ns0}") and w.sh(["true"], ns=ns0, check_rc=False).returncode == 0,
          f"the NR namespace {ns0} exists")
    check(link_exists(w, br0), f"bridge {br0} exists on the node")
    addrs = w.sh(["ip", "-j", "addr", "show"], ns=ns0).stdout
    check("10.12.0.1" in addrs, "the NR router has 10.12.0.1 in the NR")

    resp = c.call("Namespace", "zbnet")
    check(resp["Arguments"] == [ns0, None], f"Namespace answers {ns0}")

    # The daemon holds the log file once: `zos-nr serve` opened none before
    # its exec, and zos-nr-zbus one, O_CLOEXEC (else the exec leaks it).
    fds = [os.readlink(f"/proc/{w.server.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{w.server.pid}/fd")]
    check(fds.count(w.log_file) == 1, f"zos-nr-zbus has the log file open once: {sorted(fds)}")

    # A newer version is applied, an older one refused (the method's error).
    resp = c.call("ApplyNetResource", network("zbnet", 0, 2))
    check(resp["Arguments"] == [ns0, None], "version 2 applied")
    with open(os.path.join(w.data, "nr", "networks", "zbnet.json")) as fh:
        check(json.load(fh)["version"] == 2, "the stored version is 2")
    resp = c.call("ApplyNetResource", network("zbnet", 0, 1))
    check(resp["Error"] == "" and resp["Arguments"][0] == "" and "older" in resp["Arguments"][1]["Message"],
          f"version 1 is refused as a RemoteError: {resp['Arguments']}")

    # The reply list expires (zbus: 5 minutes).
    rid, req = c.request("Namespace", ["zbnet"], reply_to="zt-zb-ttl")
    c.send_raw(msgpack.packb(req, use_bin_type=True))
    for _ in range(200):
        if c.r.llen("zt-zb-ttl"):
            break
        time.sleep(0.05)
    ttl = c.r.ttl("zt-zb-ttl")
    check(0 < ttl <= 300, f"the reply list has an expiry ({ttl}s)")
    c.r.delete("zt-zb-ttl")

    # Malformed requests: error replies when a ReplyTo is readable, and the
    # next good request is served.
    c.send_raw(b"\xc1 not msgpack")
    check(c.call("Namespace", "zbnet")["Arguments"] == [ns0, None], "served after a payload that is not msgpack")
    c.send_raw(b"\xdd\xff\xff\xff\xff")
    check(c.call("Namespace", "zbnet")["Arguments"] == [ns0, None], "served after a 4-billion-element array claim")

    def error_of(req):
        c.send_raw(msgpack.packb(req, use_bin_type=True))
        resp = c.reply(req["ReplyTo"])
        check(resp["ID"] == req["ID"] and resp["Arguments"] == [] and resp["Error"], f"error reply: {resp['Error']}")
        return resp["Error"]

    _, req = c.request("Frobnicate", [])
    check("unknown method" in error_of(req), "unknown method")
    _, req = c.request("Namespace", [])
    check("number of arguments" in error_of(req), "wrong argument count")
    _, req = c.request("ApplyNetResource", [42])
    check("expecting a Network" in error_of(req), "wrong argument type")
    _, req = c.request("Namespace", ["zbnet"])
    req["Object"] = {"Name": "network", "Version": "9.9.9"}
    check("unknown object" in error_of(req), "unknown object version")
    # A method name that is not UTF-8 and holds a newline: the Error is
    # UTF-8 (this client's decoder, raw=False, takes nothing else) and the
    # log line that quotes it stays one line.
    _, req = c.request("x", [])
    req["Method"] = b"Frob\n2026-01-01T00:00:00.000 zos-nr-zbus[1] error: forged\xff"
    e = error_of(req)
    check("unknown method Frob\n2026" in e and "forged\ufffd of network@0.0.1" in e,
          f"unknown method quoting bytes that are not UTF-8: {e!r}")
    with open(w.server_log) as fh:
        log = fh.read()
    check("unknown method Frob\\x0a2026-01-01T00:00:00.000 zos-nr-zbus[1] error: forged\\xff" in log
          and not any(l.startswith("2026-01-01") for l in log.splitlines()), "the log line is one line")
    _, req = c.request("Namespace", ["zbnet"])
    req["Arguments"] = 7
    check("Arguments" in error_of(req), "Arguments that is not an array")
    _, req = c.request("ApplyNetResource", [])
    req["Arguments"] = [b"\xc1"]
    check("not valid msgpack" in error_of(req), "an argument that is not msgpack")
    check(c.call("Namespace", "zbnet")["Arguments"] == [ns0, None], "served after all of them")

    # ReplyTo keys that hold another Redis type (WRONGTYPE): each reply is
    # lost at once, said so in the log, and never retried like a broker
    # outage, so the next request (two workers) is not held up.
    for i in range(4):
        key = f"zt-zb-wrongtype-{i}"
        c.r.set(key, "a string, not a list")
        _, req = c.request("Namespace", ["zbnet"], reply_to=key)
        c.send_raw(msgpack.packb(req, use_bin_type=True))
    t0 = time.monotonic()
    check(c.call("Namespace", "zbnet")["Arguments"] == [ns0, None], "served after four WRONGTYPE ReplyTo keys")
    took = time.monotonic() - t0
    print(f"     (answered {took * 1000:.0f} ms after them)")
    check(took < 5, f"without waiting for them ({took:.1f}s)")
    # The answer above may come from the other worker before the one that
    # took the last WRONGTYPE request has written its log line: wait for it.
    deadline = time.monotonic() + 5
    while True:
        with open(w.server_log) as fh:
            lost = [l for l in fh if "lost: the broker refused it" in l and "WRONGTYPE" in l]
        if len(lost) >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    check(len(lost) == 4, f"each lost reply is logged as refused ({len(lost)})")
    for i in range(4):
        c.r.delete(f"zt-zb-wrongtype-{i}")

    # Two workers: requests for two networks at once.
    ids = []
    for net_id, n in (("zbnet1", 1), ("zbnet2", 2)):
        rid, req = c.request("ApplyNetResource", [network(net_id, n, 1)])
        c.send_raw(msgpack.packb(req, use_bin_type=True))
        ids.append((rid, n))
    for rid, n in ids:
        check(c.reply(rid)["Arguments"] == [names(n)[0], None], f"parallel apply of {names(n)[0]}")

    # The broker goes away and comes back: the server reconnects.
    w.stop_redis()
    time.sleep(1.0)
    w.start_redis()
    c = Client(w.sock)
    check(c.call("Namespace", "zbnet1")["Arguments"] == [names(1)[0], None], "served after redis-server restarted")
    with open(w.server_log) as fh:
        check("is back" in fh.read(), "the server logged the broker's return")

    # DeleteNetResource -> error
    for net_id, n in (("zbnet", 0), ("zbnet1", 1)):
        resp = c.call("DeleteNetResource", network(net_id, n, 2))
        check(resp["Error"] == "" and resp["Arguments"] == [None], f"DeleteNetResource {net_id} answers [nil]")
        netns, br = names(n)
        check(not os.path.exists(f"/run/netns/{netns}") and not link_exists(w, br), f"{netns} and {br} are gone")
    resp = c.call("Namespace", "zbnet")
    check(resp["Arguments"][0] == "" and "not applied" in resp["Arguments"][1]["Message"],
          "Namespace of a deleted network is an error")

    # SIGTERM while a request is in flight: it is answered, then exit 0.
    rid, req = c.request("DeleteNetResource", [network("zbnet2", 2, 1)])
    c.send_raw(msgpack.packb(req, use_bin_type=True))
    for _ in range(2000):
        if c.r.llen(QUEUE) == 0:
            break
        time.sleep(0.001)
    t0 = time.monotonic()
    w.server.send_signal(signal.SIGTERM)
    check(c.reply(rid)["Arguments"] == [None], "the request taken before SIGTERM is answered")
    rc = w.server.wait(timeout=30)
    took = time.monotonic() - t0
    check(rc == 0, f"zos-nr serve exits 0 on SIGTERM (got {rc})")
    check(took < 5, f"within a few seconds of SIGTERM ({took:.1f}s)")
    check(not os.path.exists(f"/run/netns/{names(2)[0]}"), "and its work is done")


def run_go(w, files):
    """The Go form: the argument is the bytes Go's msgpack wrote for the
    Network struct (network zg-go, this node's NR on c40, exit point)."""
    # The exit's uplink, eth0 in the node namespace (ipv4_conf.iface); a
    # veth pair, as the kernel may have no dummy driver.
    w.sh(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"])
    w.sh(["ip", "link", "set", "eth0p", "up"])
    w.sh(["ip", "addr", "add", "192.0.2.2/24", "dev", "eth0"])
    w.sh(["ip", "link", "set", "eth0", "up"])
    # The node's default route leaves by eth0: the link the node policy
    # lets an exit use by default (docs/security.md).
    w.sh(["ip", "route", "add", "default", "via", "192.0.2.1", "dev", "eth0"])
    w.start_redis()
    w.start_server(workers=1)
    c = Client(w.sock)
    w.nibbles.add(0x40)
    ns, br = names(0x40)

    def call_raw(method, arg):
        rid, req = c.request(method, [])
        req["Arguments"] = [arg]
        c.send_raw(msgpack.packb(req, use_bin_type=True))
        return c.reply(rid)

    for f in files:
        with open(f, "rb") as fh:
            arg = fh.read()
        name = os.path.basename(f)
        resp = call_raw("ApplyNetResource", arg)
        check(resp["Error"] == "" and resp["Arguments"] == [ns, None], f"{name}: ApplyNetResource answers [{ns!r}, nil]: {resp}")
        check(link_exists(w, br), f"{name}: bridge {br} exists on the node")
        addrs = w.sh(["ip", "-j", "addr", "show"], ns=ns).stdout
        check("2a02:1802:5e:c40::1" in addrs, f"{name}: the exit's Ipv6Conf.Addr is on the NR")
        check(c.call("Namespace", "zg-go")["Arguments"] == [ns, None], f"{name}: Namespace zg-go answers {ns}")
        with open(os.path.join(w.data, "nr", "networks", "zg-go.json")) as fh:
            stored = json.load(fh)
        stored = stored.get("network", stored)  # the applied record holds the object
        peers = stored["resources"][0]["peers"]
        check(stored["version"] == 3 and [p["prefix"] for p in peers] ==
              ["2a02:1802:5e:c41::/64", "2a02:1802:5e:c42::/64", "2a02:1802:5e:c43::/64", "2a02:1802:5e:c40::/64"],
              f"{name}: the stored object has version 3 and the four peers")
        wg = w.sh(["wg", "show", "all", "dump"], ns=ns, check_rc=False).stdout
        for key, endpoint in (("p41Xz8Qm5yUqW0kKq8r3m7H9bC6dE2fG1hJ4kL5mN6o=", "192.0.2.7:51820"),
                              ("q42Xz8Qm5yUqW0kKq8r3m7H9bC6dE2fG1hJ4kL5mN6o=", "[2001:db8::42]:51821")):
            check(any(key in line and endpoint in line for line in wg.splitlines()),
                  f"{name}: WireGuard peer {key[:6]}... at {endpoint}")
        resp = call_raw("DeleteNetResource", arg)
        check(resp["Error"] == "" and resp["Arguments"] == [None], f"{name}: DeleteNetResource answers [nil]: {resp}")
        check(not os.path.exists(f"/run/netns/{ns}") and not link_exists(w, br), f"{name}: {ns} and {br} are gone")
    w.server.send_signal(signal.SIGTERM)
    check(w.server.wait(timeout=30) == 0, "zos-nr serve exits 0 on SIGTERM")


def main():
    go_files = []
    if len(sys.argv) > 3 and sys.argv[2] == "--go-network":
        go_files = sys.argv[3:]
    elif len(sys.argv) != 2:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        print("skipped: needs root (namespaces)")
        return 77
    if not shutil.which("redis-server"):
        print("skipped: no redis-server (scripts/install-deps.sh)")
        return 77
    w = World(os.path.abspath(sys.argv[1]), tag="zg" if go_files else "zb")
    try:
        if go_files:
            run_go(w, go_files)
        else:
            run(w)
        print("PASSED")
        return 0
    except Exception:
        traceback.print_exc()
        try:
            with open(w.server_log) as fh:
                print("--- zos-nr serve log ---\n" + fh.read())
        except OSError:
            pass
        return 1
    finally:
        w.close()


if __name__ == "__main__":
    sys.exit(main())
