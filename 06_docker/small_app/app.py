"""A small web app for exercise 4 of chapter 06: answers GET /health with {"status": "ok"}.

Python's standard library only. It listens on HOST:PORT (127.0.0.1:8000 unless the environment says
otherwise); a HOST with a colon, such as ``::``, is an IPv6 address, which on Linux also accepts IPv4.
"""

import json
import os
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        found = self.path == "/health"
        body = json.dumps({"status": "ok"} if found else {"error": "not found"}).encode()
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ":" in os.environ.get("HOST", "") else socket.AF_INET


if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1").strip("[]")
    port = int(os.environ.get("PORT", "8000"))
    # As process 1 of a container, Python ignores SIGTERM unless told otherwise: docker stop would wait 10 s.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on {host}:{port}", flush=True)
    Server((host, port), Handler).serve_forever()
