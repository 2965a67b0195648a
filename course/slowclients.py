"""Clients that send their request slowly, or part of it and then nothing: what a served app must survive.

Used by the suites against every form the course ships (gunicorn, the bundle under honcho, the image
under ``docker run``). Loopback only: never point this at somebody else's server.

    with SlowClients(port, stalled=30, trickling=20) as attack:
        ...  # /health must still answer at once
        attack.closed_by_server()  # how many of the stalled ones the server has hung up on
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import requests

HOST = "127.0.0.1"


class SlowClients:
    """``stalled`` sockets that send part of a request head and go silent, ``trickling`` ones that send
    a header line every ``interval`` seconds, never ending their head."""

    def __init__(self, port: int, stalled: int = 30, trickling: int = 20, interval: float = 2.0,
                 host: str = HOST) -> None:
        self.address, self.interval = (host, port), interval
        self.counts = (stalled, trickling)
        self.stalled: list[socket.socket] = []
        self.trickling: list[socket.socket] = []
        self.received: dict[socket.socket, bytes] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, name="trickling clients", daemon=True)

    def __enter__(self) -> SlowClients:
        stalled, trickling = self.counts
        for _ in range(stalled):
            sock = socket.create_connection(self.address, timeout=5)
            sock.sendall(b"POST /api/v1/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                         b"X-Half-A-Hea")
            self.stalled.append(sock)
        for _ in range(trickling):
            sock = socket.create_connection(self.address, timeout=5)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
            self.trickling.append(sock)
        self._thread.start()
        return self

    def _trickle(self) -> None:
        line = 0
        while not self._stop.wait(self.interval):
            line += 1
            for sock in self.trickling:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X-Line-%d: still sending\r\n" % line)

    def closed_by_server(self, sockets: list[socket.socket] | None = None) -> int:
        """How many of ``sockets`` (the stalled ones by default) the server has closed; what it sent them
        first (a 408 answer, say) is kept in ``answers``, by socket."""
        closed = 0
        for sock in self.stalled if sockets is None else sockets:
            sock.settimeout(0.05)
            try:
                while data := sock.recv(65536):
                    self.received[sock] = self.received.get(sock, b"") + data
                closed += 1  # b"": the server hung up
            except TimeoutError:
                pass  # still open
            except OSError:
                closed += 1  # reset by the server
        return closed

    @property
    def answers(self) -> list[bytes]:
        """What the server sent the slow clients before it hung up (in the order they connected)."""
        return [self.received[sock] for sock in self.stalled + self.trickling if sock in self.received]

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in self.stalled + self.trickling:
            sock.close()


def health_seconds(url: str, times: int = 5, pause: float = 0.5, timeout: float = 5) -> list[float]:
    """Ask ``url``/health ``times`` times, each on a new connection; how long each answer took (a failure:
    the time-out). A 200 with status ok is an answer; anything else counts as no answer (inf)."""
    seconds = []
    for _ in range(times):
        started = time.monotonic()
        try:
            answer = requests.get(url + "/health", headers={"Connection": "close"}, timeout=timeout)
            ok = answer.status_code == 200 and answer.json().get("status") == "ok"
        except requests.RequestException:
            ok = False
        seconds.append(time.monotonic() - started if ok else float("inf"))
        time.sleep(pause)
    return seconds
