#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A grpc.health.v1.Health server for the health-check tests.

Only Debian's python3-grpcio is needed: the service is a generic handler
and the two protobuf messages are encoded by hand.

    grpc_health_server.py PORT [--tls CERT KEY] [SERVICE=STATUS ...]

PORT 0 picks an ephemeral port. STATUS is SERVING, NOT_SERVING, UNKNOWN,
SERVICE_UNKNOWN or a number; the service "" (written "=SERVING") is the
server as a whole. A service not in the map fails with NOT_FOUND, as the
standard health server does. Prints "PORT <n>" once serving; then reads
lines "SERVICE=STATUS" (set) or "-SERVICE" (forget) from stdin, answering
"OK" to each, and exits when stdin closes or after 60 s.
"""

import sys
import threading
from concurrent import futures

import grpc

STATUS = {"UNKNOWN": 0, "SERVING": 1, "NOT_SERVING": 2, "SERVICE_UNKNOWN": 3}


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def parse_request(buf):
    """HealthCheckRequest: field 1, string service."""
    service, i = "", 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        wire = key & 7
        if wire == 0:
            _, i = read_varint(buf, i)
        elif wire == 2:
            n, i = read_varint(buf, i)
            if key >> 3 == 1:
                service = buf[i:i + n].decode()
            i += n
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError("bad wire type")
    return service


def encode_response(status):
    """HealthCheckResponse: field 1, enum status (0 is left out)."""
    return b"\x08" + varint(status) if status else b""


def parse_status(s):
    return STATUS[s] if s in STATUS else int(s)


def main():
    args = sys.argv[1:]
    port = int(args.pop(0))
    tls = None
    if args and args[0] == "--tls":
        tls = (args[1], args[2])
        args = args[3:]
    statuses = {}
    lock = threading.Lock()
    for a in args:
        name, _, st = a.partition("=")
        statuses[name] = parse_status(st)

    def check(request, context):
        service = parse_request(request)
        with lock:
            st = statuses.get(service)
        if st is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return encode_response(st)

    handler = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health",
        {
            "Check": grpc.unary_unary_rpc_method_handler(
                check,
                request_deserializer=lambda b: b,
                response_serializer=lambda b: b,
            )
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    addr = "127.0.0.1:%d" % port
    if tls:
        with open(tls[0], "rb") as f:
            cert = f.read()
        with open(tls[1], "rb") as f:
            key = f.read()
        creds = grpc.ssl_server_credentials([(key, cert)])
        port = server.add_secure_port(addr, creds)
    else:
        port = server.add_insecure_port(addr)
    if not port:
        sys.exit("cannot listen on " + addr)
    server.start()
    print("PORT %d" % port, flush=True)

    def commands():
        for line in sys.stdin:
            line = line.strip()
            with lock:
                if line.startswith("-"):
                    statuses.pop(line[1:], None)
                elif line:
                    name, _, st = line.partition("=")
                    statuses[name] = parse_status(st)
            print("OK", flush=True)
        server.stop(0)

    threading.Thread(target=commands, daemon=True).start()
    server.wait_for_termination(timeout=60)
    server.stop(0)


if __name__ == "__main__":
    main()
