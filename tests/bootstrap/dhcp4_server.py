#!/usr/bin/env python3
"""A tiny DHCPv4 server for the zos-bootstrap tests, for the lies dnsmasq
will not tell: a lease time of 0 and a server that answers a number of
times and then goes silent (renewals fail). Offers one address.

  dhcp4_server.py --iface srv --server 10.99.1.1 --offer 10.99.1.50
                  [--mask 255.255.255.0] [--router 10.99.1.1] [--lease 0]
                  [--answers N]

Prints "ready" once it listens and "ack N" for every ACK it sends.
Standard library only; runs inside the test's peer namespace.
"""
import argparse
import socket
import struct
import sys

MAGIC = b"\x63\x82\x53\x63"


def options(data):
    out, i = {}, 0
    while i < len(data):
        code = data[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        if i + 1 >= len(data):
            break
        n = data[i + 1]
        out[code] = data[i + 2:i + 2 + n]
        i += 2 + n
    return out


def opt(code, value):
    return bytes([code, len(value)]) + value


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iface", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--offer", required=True)
    p.add_argument("--mask", default="255.255.255.0")
    p.add_argument("--router")
    p.add_argument("--lease", type=int, default=3600)
    p.add_argument("--answers", type=int, default=-1, help="ACKs to send before going silent; -1: no limit")
    a = p.parse_args()

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.iface.encode())
    s.bind(("", 67))
    print("ready", flush=True)
    acks = 0
    while True:
        pkt, _ = s.recvfrom(2048)
        if len(pkt) < 240 or pkt[0] != 1 or pkt[236:240] != MAGIC:
            continue
        o = options(pkt[240:])
        kind = o.get(53, b"\x00")[0]
        if kind not in (1, 3):  # DISCOVER, REQUEST
            continue
        if kind == 3 and a.answers >= 0 and acks >= a.answers:
            continue  # gone silent: renewals and rebinds fail
        if kind == 1 and a.answers >= 0 and acks >= a.answers:
            continue
        reply = bytearray(240)
        reply[0:4] = b"\x02\x01\x06\x00"
        reply[4:8] = pkt[4:8]  # xid
        reply[10:12] = pkt[10:12]  # flags
        reply[16:20] = socket.inet_aton(a.offer)
        reply[20:24] = socket.inet_aton(a.server)
        reply[28:44] = pkt[28:44]  # chaddr
        reply[236:240] = MAGIC
        body = opt(53, bytes([2 if kind == 1 else 5]))
        body += opt(54, socket.inet_aton(a.server))
        body += opt(51, struct.pack("!I", a.lease))
        body += opt(1, socket.inet_aton(a.mask))
        if a.router:
            body += opt(3, socket.inet_aton(a.router))
        reply += body + b"\xff"
        s.sendto(bytes(reply), ("255.255.255.255", 68))
        if kind == 3:
            acks += 1
            print("ack", acks, flush=True)


if __name__ == "__main__":
    sys.exit(main())
