#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Real traffic for the namespace tests: servers that name themselves,
many short connections, and long-lived connections that check every byte.
Every loop is bounded in count and time."""

import argparse
import json
import socket
import socketserver
import sys
import threading
import time


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


class EchoHandler(socketserver.BaseRequestHandler):
    """TCP: first line back is the server's name, then echo everything."""

    def handle(self):
        self.request.sendall((self.server.name + "\n").encode())
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


class TCPServer(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True
    daemon_threads = True


def serve(args):
    """TCP echo and UDP 'who are you' on the same port, until killed."""
    tcp = TCPServer(("::", args.port), EchoHandler)
    tcp.name = args.name
    udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    udp.bind(("::", args.port))

    def udp_loop():
        while True:
            data, peer = udp.recvfrom(65536)
            udp.sendto(args.name.encode() + b" " + data, peer)

    threading.Thread(target=udp_loop, daemon=True).start()
    tcp.serve_forever()


def conns(args):
    """N short TCP connections; counts which server answered each."""
    counts, fails = {}, 0
    deadline = time.monotonic() + args.max_seconds
    for _ in range(args.n):
        if time.monotonic() > deadline:
            fails += 1
            break
        try:
            with socket.create_connection((args.vip, args.port),
                                          timeout=2) as s:
                s.settimeout(2)
                name = s.makefile().readline().strip()
            counts[name] = counts.get(name, 0) + 1
        except OSError:
            fails += 1
    print(json.dumps({"counts": counts, "fails": fails}))


def udp(args):
    """N datagrams, each from a new socket (new source port)."""
    counts, fails = {}, 0
    for i in range(args.n):
        with socket.socket(family_of(args.vip), socket.SOCK_DGRAM) as s:
            s.settimeout(1)
            try:
                s.sendto(b"ping %d" % i, (args.vip, args.port))
                data, _ = s.recvfrom(65536)
                name = data.split()[0].decode()
                counts[name] = counts.get(name, 0) + 1
            except OSError:
                fails += 1
    print(json.dumps({"counts": counts, "fails": fails}))


def longlived(args):
    """Holds N connections for the given seconds, sending a numbered line
    on each every interval and checking the echo. Prints the backend of
    each and any error; exits 1 on the first broken connection. Stops
    early when the stop file appears."""
    socks, names = [], []
    for _ in range(args.n):
        s = socket.create_connection((args.vip, args.port), timeout=2)
        s.settimeout(2)
        f = s.makefile("rb")
        names.append(f.readline().decode().strip())
        socks.append((s, f))
    print(json.dumps({"backends": names}), flush=True)
    if args.ready:
        open(args.ready, "w").close()
    deadline = time.monotonic() + args.seconds
    seq = 0
    while time.monotonic() < deadline:
        try:
            with open(args.stop):
                break
        except OSError:
            pass
        for i, (s, f) in enumerate(socks):
            line = b"%d %d %s\n" % (i, seq, b"x" * 100)
            try:
                s.sendall(line)
                back = f.readline()
            except OSError as e:
                print(json.dumps({"error": "conn %d seq %d: %s" %
                                  (i, seq, e)}), flush=True)
                return 1
            if back != line:
                print(json.dumps({"error": "conn %d seq %d: got %r" %
                                  (i, seq, back[:40])}), flush=True)
                return 1
        seq += 1
        time.sleep(args.interval)
    print(json.dumps({"ok": True, "rounds": seq}), flush=True)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("name")
    s.add_argument("port", type=int)
    s.set_defaults(fn=serve)
    c = sub.add_parser("conns")
    c.add_argument("vip")
    c.add_argument("port", type=int)
    c.add_argument("n", type=int)
    c.add_argument("--max-seconds", type=float, default=120)
    c.set_defaults(fn=conns)
    u = sub.add_parser("udp")
    u.add_argument("vip")
    u.add_argument("port", type=int)
    u.add_argument("n", type=int)
    u.set_defaults(fn=udp)
    ll = sub.add_parser("longlived")
    ll.add_argument("vip")
    ll.add_argument("port", type=int)
    ll.add_argument("n", type=int)
    ll.add_argument("seconds", type=float)
    ll.add_argument("--interval", type=float, default=0.02)
    ll.add_argument("--stop", default="/nonexistent")
    ll.add_argument("--ready")
    ll.set_defaults(fn=longlived)
    args = p.parse_args()
    return args.fn(args) or 0


if __name__ == "__main__":
    sys.exit(main())
