#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Steady new connections for the weights test, and shares from their log.

  weights_load.py load VIP PORT LOG [--rate R] [--duration S] [--stop FILE]
      opens R new HTTP connections a second (each a new flow: a new source
      port) until S seconds passed or FILE exists, and appends one line per
      connection to LOG: "START_TIME NAME" (the body's first line, the
      backend's name) or "START_TIME !OUTCOME".
  weights_load.py shares LOG FROM TO
      prints JSON {"counts": {NAME: n}, "fails": n, "total": n} for the
      connections started between the wall-clock times FROM and TO.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time


def one(vip, port, timeout):
    """One connection: GET /, returns the body's first line."""
    with socket.create_connection((vip, port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(b"GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n")
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise ValueError("bad answer")
    return body.decode(errors="replace").split("\n")[0].strip() or "?"


def load(args):
    lock = threading.Lock()
    slots = threading.BoundedSemaphore(128)     # connections in flight
    out = open(args.log, "a", encoding="ascii")

    def worker(start):
        try:
            name = one(args.vip, args.port, args.timeout)
        except TimeoutError:
            name = "!timeout"
        except (ConnectionRefusedError, ConnectionResetError):
            name = "!reset"
        except (OSError, ValueError):
            name = "!error"
        finally:
            slots.release()
        with lock:
            out.write("%.3f %s\n" % (start, name))
            out.flush()

    t0 = time.monotonic()
    n = 0
    while True:
        now = time.monotonic()
        if now - t0 >= args.duration or (args.stop and
                                         os.path.exists(args.stop)):
            break
        due = t0 + n / args.rate
        if due > now:
            time.sleep(min(due - now, 0.05))
            continue
        if not slots.acquire(timeout=1):
            continue
        threading.Thread(target=worker, args=(time.time(),),
                         daemon=True).start()
        n += 1
    # let the last connections finish (each is bounded by its timeout)
    for _ in range(128):
        slots.acquire(timeout=args.timeout + 1)
    out.close()


def shares(args):
    counts, fails, total = {}, 0, 0
    with open(args.log, encoding="ascii") as f:
        for line in f:
            parts = line.split()
            if len(parts) != 2:
                continue
            t = float(parts[0])
            if not args.t_from <= t < args.t_to:
                continue
            total += 1
            if parts[1].startswith("!"):
                fails += 1
            else:
                counts[parts[1]] = counts.get(parts[1], 0) + 1
    json.dump({"counts": counts, "fails": fails, "total": total},
              sys.stdout, sort_keys=True)
    print()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("load")
    p.add_argument("vip")
    p.add_argument("port", type=int)
    p.add_argument("log")
    p.add_argument("--rate", type=float, default=100)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--stop")
    p.add_argument("--timeout", type=float, default=3)
    p.set_defaults(func=load)
    p = sub.add_parser("shares")
    p.add_argument("log")
    p.add_argument("t_from", type=float)
    p.add_argument("t_to", type=float)
    p.set_defaults(func=shares)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
