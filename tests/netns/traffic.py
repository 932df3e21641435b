#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Real traffic for the namespace tests: servers that name themselves,
many short connections, and long-lived connections that check every byte.
Every loop is bounded in count and time."""

import argparse
import errno
import json
import os
import random
import selectors
import socket
import socketserver
import struct
import sys
import threading
import time


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def outcome_of(exc):
    """What a failed connection saw, in one word."""
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError,
                        BrokenPipeError)):
        return "reset"
    if isinstance(exc, TimeoutError):
        return "timeout"
    return "error"


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
    request_queue_size = 128    # listen backlog (the default 5 overflows)


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
    early when the stop file appears. With --each NAME..., N connections
    to each named backend (others are closed as they come).

    With --keep-going a broken connection is reported and dropped, the
    others go on: one line {"conn", "backend", "outcome", "t"} per broken
    connection as it breaks (outcome: reset, eof, timeout, mismatch,
    error; t: wall clock), and at the end the outcome of every
    connection ("ok" for the survivors)."""
    socks, names = [], []
    want = len(args.each) * args.n if args.each else args.n
    for _ in range(want * 50 if args.each else want):
        if len(socks) == want:
            break
        s = socket.create_connection((args.vip, args.port), timeout=2)
        s.settimeout(args.recv_timeout)
        f = s.makefile("rb")
        name = f.readline().decode().strip()
        if args.each and (name not in args.each or
                          names.count(name) == args.n):
            f.close()
            s.close()
            continue
        names.append(name)
        socks.append((s, f))
    print(json.dumps({"backends": names}), flush=True)
    if len(socks) < want:
        print(json.dumps({"error": "not %d on each of %s" %
                          (args.n, args.each)}), flush=True)
        return 1
    if args.ready:
        open(args.ready, "w").close()
    outcomes = ["ok"] * len(socks)
    deadline = time.monotonic() + args.seconds
    seq = 0
    while time.monotonic() < deadline:
        if os.path.exists(args.stop):
            break
        for i, (s, f) in enumerate(socks):
            if outcomes[i] != "ok":
                continue
            line = b"%d %d %s\n" % (i, seq, b"x" * 100)
            try:
                s.sendall(line)
                back = f.readline()
            except OSError as e:
                if not args.keep_going:
                    print(json.dumps({"error": "conn %d seq %d: %s" %
                                      (i, seq, e)}), flush=True)
                    return 1
                outcome, back = outcome_of(e), None
            if back is not None and back != line:
                if not args.keep_going:
                    print(json.dumps({"error": "conn %d seq %d: got %r" %
                                      (i, seq, back[:40])}), flush=True)
                    return 1
                outcome = "eof" if back == b"" else "mismatch"
            if back != line:
                outcomes[i] = outcome
                f.close()
                s.close()
                print(json.dumps({"conn": i, "backend": names[i],
                                  "outcome": outcome, "seq": seq,
                                  "t": time.time()}), flush=True)
        seq += 1
        time.sleep(args.interval)
    if args.keep_going:
        print(json.dumps({"rounds": seq, "outcomes": outcomes}), flush=True)
        return 0
    print(json.dumps({"ok": True, "rounds": seq}), flush=True)
    return 0


def stream(args):
    """New TCP connections at a steady rate (non-blocking, at most
    --max-inflight at once), each reading the server's name and closing.
    One JSON line per connection as it ends: [start, end, outcome], wall
    clock seconds; outcome is the name, or refused, reset, eof, timeout,
    error. Runs for the given seconds or until the stop file appears,
    then waits for the connections in flight."""
    sel = selectors.DefaultSelector()
    period = 1.0 / args.rate
    start = time.monotonic()
    deadline = start + args.seconds
    next_start = start
    next_stop_check = start
    stopping = False
    inflight = {}   # socket -> [wall start, monotonic start, bytes read]

    def done(s, outcome):
        t0 = inflight.pop(s)[0]
        sel.unregister(s)
        s.close()
        print(json.dumps([round(t0, 6), round(time.time(), 6), outcome]),
              flush=True)

    while not stopping or inflight:
        now = time.monotonic()
        if now >= next_stop_check:
            next_stop_check = now + 0.05
            if now >= deadline or os.path.exists(args.stop):
                stopping = True
        if now - next_start > 1:
            next_start = now    # after a stall: no burst
        while (not stopping and now >= next_start and
               len(inflight) < args.max_inflight):
            next_start += period
            s = socket.socket(family_of(args.vip), socket.SOCK_STREAM)
            s.setblocking(False)
            inflight[s] = [time.time(), now, b""]
            sel.register(s, selectors.EVENT_READ)
            err = s.connect_ex((args.vip, args.port))
            if err not in (0, errno.EINPROGRESS):
                done(s, "refused" if err == errno.ECONNREFUSED else "error")
        wait = max(0.0, min(next_start - now, 0.01))
        for key, _ in sel.select(wait):
            s = key.fileobj
            try:
                data = s.recv(256)
            except OSError as e:
                done(s, outcome_of(e))
                continue
            if not data:
                done(s, "eof")
                continue
            inflight[s][2] += data
            if b"\n" in inflight[s][2]:
                done(s, inflight[s][2].split(b"\n")[0].decode().strip())
        now = time.monotonic()
        for s, (_, t0, _) in list(inflight.items()):
            if now - t0 > args.timeout:
                done(s, "timeout")
    return 0


def tcp_syn(src, dst, sport, dport, seq):
    """A bare TCP SYN header (no options) with its checksum."""
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02,
                      65535, 0, 0)
    data = (socket.inet_aton(src) + socket.inet_aton(dst) +
            struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(hdr)) + hdr)
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return hdr[:16] + struct.pack("!H", ~total & 0xffff) + hdr[18:]


def syns(args):
    """Bare SYNs at a steady rate from a raw socket (IPv4): a dense stream
    of new flows for the failover benchmark that costs the backends no
    connection (the client's own stack resets their SYN-ACKs, having no
    socket for them). The source rotates over the given addresses and
    ports 1024-65535, so no 4-tuple repeats (and none hits a flow entry
    an earlier one left) within 64512 x addresses SYNs. Prints the
    number sent and the send errors."""
    raws = []
    for src in args.src:
        r = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                          socket.IPPROTO_TCP)
        r.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        r.bind((src, 0))
        raws.append(r)
    sent = errs = 0
    start = time.monotonic()
    deadline = start + args.seconds
    i = args.first
    while time.monotonic() < deadline and not os.path.exists(args.stop):
        due = int((time.monotonic() - start) * args.rate)
        while sent + errs < due:
            k = i % len(raws)
            port = 1024 + (i // len(raws)) % 64512
            i += 1
            syn = tcp_syn(args.src[k], args.vip, port, args.port,
                          random.getrandbits(32))
            try:
                raws[k].sendto(syn, (args.vip, 0))
                sent += 1
            except OSError:
                errs += 1
        time.sleep(0.0002)
    for r in raws:
        r.close()
    print(json.dumps({"sent": sent, "errors": errs, "next": i}), flush=True)
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
    ll.add_argument("--recv-timeout", type=float, default=2)
    ll.add_argument("--keep-going", action="store_true")
    ll.add_argument("--each", nargs="+", metavar="NAME")
    ll.set_defaults(fn=longlived)
    st = sub.add_parser("stream")
    st.add_argument("vip")
    st.add_argument("port", type=int)
    st.add_argument("rate", type=float, help="connections per second")
    st.add_argument("seconds", type=float)
    st.add_argument("--timeout", type=float, default=1.5)
    st.add_argument("--max-inflight", type=int, default=200)
    st.add_argument("--stop", default="/nonexistent")
    st.set_defaults(fn=stream)
    sy = sub.add_parser("syns")
    sy.add_argument("vip")
    sy.add_argument("port", type=int)
    sy.add_argument("rate", type=float, help="SYNs per second")
    sy.add_argument("seconds", type=float)
    sy.add_argument("--src", nargs="+", required=True)
    sy.add_argument("--first", type=int, default=0,
                    help="start the rotation here (continue a previous run)")
    sy.add_argument("--stop", default="/nonexistent")
    sy.set_defaults(fn=syns)
    args = p.parse_args()
    return args.fn(args) or 0


if __name__ == "__main__":
    sys.exit(main())
