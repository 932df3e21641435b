#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Threaded HTTP server that answers every request (/ and /healthz alike)
with its NAME, after the delay in milliseconds written in DELAY_FILE
(re-read per request; missing, empty or unreadable: no delay).
Usage: delay_server.py NAME PORT [DELAY_FILE]. Runs until killed."""

import http.server
import socket
import sys
import time


def delay_ms(path):
    if not path:
        return 0.0
    try:
        with open(path, encoding="ascii") as f:
            return max(0.0, float(f.read().strip() or 0))
    except (OSError, ValueError):
        return 0.0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive for the health checker

    def do_GET(self):
        ms = delay_ms(self.server.delay_file)
        if ms:
            time.sleep(min(ms, 10000) / 1000)
        body = (self.server.name + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 256    # listen backlog (the default 5 overflows)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: delay_server.py NAME PORT [DELAY_FILE]")
    srv = Server(("0.0.0.0", int(sys.argv[2])), Handler)
    srv.name = sys.argv[1]
    srv.delay_file = sys.argv[3] if len(sys.argv) == 4 else None
    # Hand the GIL over often: with the default 5 ms a health check waits
    # behind the connection threads, and its latency (what the weights
    # follow) becomes noise of the server's making.
    sys.setswitchinterval(0.0005)
    srv.serve_forever()


if __name__ == "__main__":
    main()
