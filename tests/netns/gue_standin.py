#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A balancer stand-in for the second-chance test: reads the packets routed
into a TUN device and sends each to the first backend of a list, in GUE
with the list as private data (bpf/xlb_abi.h's wire format), from a UDP
socket. The lists come from a JSON file, {"4": [ADDR...], "6": [ADDR...]}
for inner IPv4 and IPv6, re-read when it changes; one address: GUE with no
private data. Runs until killed; every read waits at most 0.1 s."""

import argparse
import fcntl
import json
import os
import select
import socket
import struct

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
MAGIC = 0x78
SPORT = 0xC000 | 0x123


def gue(inner, cands):
    """The GUE header, and the list when there is more than one."""
    proto = 4 if inner[0] >> 4 == 4 else 41
    if len(cands) == 1:
        return struct.pack("!BBH", 0, proto, 0)
    fam = socket.AF_INET6 if ":" in cands[0] else socket.AF_INET
    priv = struct.pack("!BBBB", MAGIC, 0, len(cands),
                       6 if fam == socket.AF_INET6 else 4)
    priv += b"".join(socket.inet_pton(fam, a) for a in cands)
    return struct.pack("!BBH", len(priv) // 4, proto, 0) + priv


def main():
    p = argparse.ArgumentParser()
    p.add_argument("tun")
    p.add_argument("lists", help="JSON file of candidate lists")
    p.add_argument("--port", type=int, default=6080)
    args = p.parse_args()

    tun = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tun, TUNSETIFF,
                struct.pack("16sH", args.tun.encode(), IFF_TUN | IFF_NO_PI))
    socks = {}
    for fam in (socket.AF_INET, socket.AF_INET6):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", SPORT))
        socks[fam] = s
    lists, mtime = {}, None
    while True:
        st = os.stat(args.lists)
        if st.st_mtime_ns != mtime:
            with open(args.lists) as f:
                lists = json.load(f)
            mtime = st.st_mtime_ns
        r, _, _ = select.select([tun], [], [], 0.1)
        if not r:
            continue
        inner = os.read(tun, 65536)
        cands = lists.get("4" if inner[0] >> 4 == 4 else "6")
        if not cands:
            continue
        fam = socket.AF_INET6 if ":" in cands[0] else socket.AF_INET
        socks[fam].sendto(gue(inner, cands) + inner, (cands[0], args.port))


if __name__ == "__main__":
    main()
