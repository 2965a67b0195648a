"""gunicorn's threaded worker, made safe against slow clients; its own errors answered as the API's JSON.

gunicorn.conf.py names it: ``worker_class = "fraud_app.serving.BufferedThreadWorker"``.

**Why.** gunicorn's gthread worker hands a connection to one of its threads as soon as the first bytes
arrive, and the thread then reads the rest of the request head and body with blocking reads, without a
deadline. A client that sends half its headers and goes silent, or trickles a header line every two
seconds, holds a thread for as long as it likes: thirty such sockets hold every thread of two 8-thread
workers, and ``/health`` stops answering. gunicorn's documentation says to put a buffering proxy
(nginx) in front; a platform's router does that (Heroku's reads the whole head and a first part of
the body before it forwards the request), but the bundle under honcho and the image under
``docker run`` have nothing in front of them.

**What this worker does.** Before any thread sees a request, the worker's own event loop (the one
gthread already runs to accept connections and wait on kept-alive ones) reads it without blocking:
the head, then the body (``Content-Length`` or chunked) up to the app's body limit. Only a complete
request goes to a thread, so a thread never waits on a client. A request that has not fully arrived
``GUNICORN_READ_TIMEOUT`` seconds (default 10) after its first byte was awaited gets a 408 and its
connection is closed. A body over the app's limit is not buffered: the request goes to the app at
once (which answers 413 without reading it) and the connection is closed afterwards. In a thread
each socket read or write also has that deadline, so a client that does not read its answer cannot
hold a thread either.

**Errors gunicorn answers itself** (a request line over ``limit_request_line``: 414; a malformed
header: 400; headers too large: 431) get the API's JSON shape ``{"error": {"code", "message",
"details"}}`` and the app's security headers instead of gunicorn's HTML page. gunicorn decides the
status, logs the request and writes the access line as before (:meth:`BufferedThreadWorker.handle_error`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import selectors
import socket
import time
import uuid
from functools import partial

from gunicorn import http
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import TConn, ThreadWorker

from fraud_app.security import CSP

READ_TIMEOUT_DEFAULT = 10.0
HEAD_LIMIT = 64 * 1024  # bytes of request head (line and headers) held before the request is refused with 431
STOP_LINGER = 2.0  # seconds a stopping worker still waits for requests it has begun to read
BODY_LIMIT_DEFAULT = 1024 * 1024  # when the app names none (fraud_app.config's MAX_CONTENT_LENGTH does)

# The short message of each status gunicorn can answer by itself (the details carry gunicorn's own words).
MESSAGES = {
    400: "the request is not valid HTTP/1.1: it could not be read",
    403: "the request is forbidden",
    408: "the request did not arrive in time: the connection is closed",
    414: "the request line (method, path and query) is too long",
    417: "the only expectation understood is 100-continue",
    431: "the request's headers are too large",
    500: "the server could not handle the request",
    501: "this transfer coding is not supported",
}
CODES = {414: "uri_too_long", 500: "internal_error"}  # the rest: the reason phrase, e.g. bad_request


def read_timeout() -> float:
    """GUNICORN_READ_TIMEOUT (gunicorn.conf.py has checked it at start-up)."""
    return float(os.environ.get("GUNICORN_READ_TIMEOUT") or READ_TIMEOUT_DEFAULT)


def error_response(status: int, reason: str, details=None) -> bytes:
    """A complete HTTP/1.1 answer with the API's JSON error and the app's security headers; it closes."""
    error = {"code": CODES.get(status, reason.lower().replace(" ", "_").replace("-", "_")),
             "message": MESSAGES.get(status, reason)}
    if details is not None:
        error["details"] = details
    body = json.dumps({"error": error}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\n"
            "Connection: close\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            f"Content-Security-Policy: {CSP}\r\n"
            "Referrer-Policy: no-referrer\r\n"
            f"X-Request-ID: {uuid.uuid4().hex}\r\n"
            "\r\n")
    return head.encode("latin-1") + body


class _Captured:
    """Stands in for the client's socket while gunicorn writes its HTML error page, to learn the status."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.data += data


class _DeadlineSocket(socket.socket):
    """A socket whose deadline (a time-out on each read and write) ends like a client that hung up.

    gunicorn logs a timed-out read with a traceback ("Socket error processing request"); a reset
    connection it notes at debug level, which is what a client too slow to be served is.
    """

    def recv(self, *args):
        try:
            return super().recv(*args)
        except TimeoutError:
            raise ConnectionResetError(errno.ECONNRESET, "the client was too slow") from None

    def sendall(self, *args):
        try:
            return super().sendall(*args)
        except TimeoutError:
            raise ConnectionResetError(errno.ECONNRESET, "the client was too slow") from None

    def send(self, *args):
        try:
            return super().send(*args)
        except TimeoutError:
            raise ConnectionResetError(errno.ECONNRESET, "the client was too slow") from None


class _Scan:
    """How far an incoming request has been read: its head, then its body (sized or chunked)."""

    def __init__(self) -> None:
        self.body_start = None  # where the body begins in the buffer, once the head is complete
        self.length = None  # Content-Length
        self.chunked = False
        self.expect_continue = False
        self.chunk_at = 0  # chunked: where the next chunk-size line starts, from body_start
        self.decoded = 0  # chunked: body bytes so far


class BufferedConn(TConn):
    """A gthread connection that carries the bytes read so far and a deadline."""

    def __init__(self, cfg, sock, client, server) -> None:
        super().__init__(cfg, sock, client, server)
        self.inbox = bytearray()
        self.scan = _Scan()
        self.deadline = 0.0
        self.ready = False  # the whole request is in the parser's buffer: a thread may serve it
        self.cut = False  # the body was not read whole: close the connection after the answer
        self.refusal = None  # an error to answer instead of parsing (the head is too large)

    def init(self) -> None:
        super().init()
        # gthread has just made the socket blocking: give each read and write in the thread a deadline.
        self.sock.settimeout(read_timeout())


class BufferedThreadWorker(ThreadWorker):
    """gthread, with each request read whole by the event loop before a thread serves it (module docstring)."""

    def init_process(self) -> None:
        self.reading: dict[BufferedConn, None] = {}  # in order of deadline (the same time-out for all)
        self.timeout_seconds = read_timeout()
        self.body_limit = BODY_LIMIT_DEFAULT
        self.stopping_since = None
        super().init_process()  # loads the app (load_wsgi below), then runs the event loop

    def load_wsgi(self) -> None:
        super().load_wsgi()
        limit = getattr(self.wsgi, "config", {}).get("MAX_CONTENT_LENGTH")
        self.body_limit = limit or BODY_LIMIT_DEFAULT

    # --- connections in, requests read by the event loop -----------------------------------------------

    def accept(self, listener) -> None:
        if self.cfg.is_ssl:  # TLS ends at the platform's proxy; gunicorn's own TLS keeps gthread's path
            return super().accept(listener)
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        client = _DeadlineSocket(client.family, client.type, client.proto, fileno=client.detach())
        conn = BufferedConn(self.cfg, client, address, listener.getsockname())
        conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)  # reads nothing until asked
        self.enqueue_req(conn)

    def enqueue_req(self, conn) -> None:
        """A thread gets a connection only once its request is whole; until then the event loop reads it."""
        if not isinstance(conn, BufferedConn) or conn.ready:
            return super().enqueue_req(conn)
        # A new connection, or a kept-alive one whose next request begins: bytes the parser read ahead
        # of the last request are the start of this one.
        conn.inbox = bytearray(conn.parser.unreader.take_buffered())
        conn.scan = _Scan()
        conn.deadline = time.monotonic() + self.timeout_seconds
        conn.sock.setblocking(False)
        if conn.inbox and self._whole(conn):
            return self._hand_over(conn)
        self.reading[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def on_client_socket_readable(self, conn, client) -> None:
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self.enqueue_req(conn)

    def _on_readable(self, conn: BufferedConn, client) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client hung up before its request was whole
            self._forget(conn)
            self.nr_conns -= 1
            conn.close()
            return
        conn.inbox += data
        if self._whole(conn):
            self._forget(conn)
            self._hand_over(conn)

    def _forget(self, conn: BufferedConn) -> None:
        self.reading.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def _hand_over(self, conn: BufferedConn) -> None:
        conn.parser.unreader.unread(bytes(conn.inbox))
        conn.inbox = bytearray()
        conn.data_ready = True  # gthread's wait for a first byte is over
        conn.ready = True
        self.enqueue_req(conn)

    def murder_pending(self) -> None:
        """Each turn of the event loop: close the connections whose request has not arrived in time.

        A stopping worker gives them STOP_LINGER seconds more at most: a request on its way is still served.
        """
        super().murder_pending()
        now = time.monotonic()
        if not self.alive:
            self.stopping_since = self.stopping_since or now
            for conn in self.reading:  # the same cap for all keeps them in order of deadline
                conn.deadline = min(conn.deadline, self.stopping_since + STOP_LINGER)
        while self.reading:
            conn = next(iter(self.reading))
            if conn.deadline > now:
                break
            self._forget(conn)
            self.nr_conns -= 1
            with contextlib.suppress(OSError):
                conn.sock.send(error_response(408, "Request Timeout"))  # non-blocking: best effort
            conn.close()

    # --- is the request whole? ---------------------------------------------------------------------------

    def _whole(self, conn: BufferedConn) -> bool:
        """True when a thread can serve the request without waiting on the client (or must refuse it)."""
        data, scan = conn.inbox, conn.scan
        if scan.body_start is None:
            end = data.find(b"\r\n\r\n")
            line_end = data.find(b"\r\n")
            line_length = line_end if line_end >= 0 else len(data)
            if self.cfg.limit_request_line > 0 and line_length > self.cfg.limit_request_line:
                conn.refusal = LimitRequestLine(line_length, self.cfg.limit_request_line)
                return True
            if (end < 0 and len(data) > HEAD_LIMIT) or end > HEAD_LIMIT:
                conn.refusal = LimitRequestHeaders(f"the request head is over {HEAD_LIMIT} bytes")
                return True
            if end < 0:
                return False
            scan.body_start = end + 4
            for line in bytes(data[line_end + 2:end]).split(b"\r\n"):
                name, _, value = line.partition(b":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == b"content-length":
                    if not value.isdigit():
                        return True  # gunicorn's parser refuses it (400)
                    scan.length = int(value)
                elif name == b"transfer-encoding":
                    scan.chunked = scan.chunked or b"chunked" in value
                elif name == b"expect" and value == b"100-continue":
                    scan.expect_continue = True
            if scan.expect_continue and not data.startswith(b"HTTP/1.0", line_end - 8):
                # The client waits for this before it sends the body (gunicorn may send a second one
                # later: a client reads any number of 1xx answers before the real one).
                with contextlib.suppress(OSError):
                    conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = len(data) - scan.body_start
        if scan.chunked:
            return self._chunks_whole(conn, body)
        if scan.length is None:
            return True  # no body
        if scan.length > self.body_limit:
            conn.cut = True  # the app answers 413 without reading it
            return True
        return body >= scan.length

    def _chunks_whole(self, conn: BufferedConn, body: int) -> bool:
        data, scan = conn.inbox, conn.scan
        while True:
            at = scan.body_start + scan.chunk_at
            line_end = data.find(b"\r\n", at)
            if line_end < 0:
                return len(data) - at > 1024  # an endless chunk-size line: gunicorn's parser refuses it
            size_text = bytes(data[at:line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                return True  # gunicorn's parser refuses it (400)
            if size == 0:  # the last chunk; then trailer lines, up to an empty line
                return data.find(b"\r\n\r\n", line_end) >= 0 or len(data) - line_end > HEAD_LIMIT
            scan.decoded += size
            if scan.decoded > self.body_limit or body > 2 * self.body_limit + HEAD_LIMIT:
                conn.cut = True  # over the limit: the app reads up to it and answers 413
                return True
            following = line_end + 2 + size + 2
            if following > len(data):
                scan.decoded -= size  # counted again when the whole chunk is here
                return False
            scan.chunk_at = following - scan.body_start

    # --- in a thread ------------------------------------------------------------------------------------

    def handle(self, conn):
        try:
            if getattr(conn, "refusal", None) is not None:
                self.handle_error(None, conn.sock, conn.client, conn.refusal)
                return False
            return super().handle(conn)
        finally:
            if isinstance(conn, BufferedConn):
                conn.ready = False  # the next request on this connection is read by the event loop again

    def _keepalive_after(self, conn, keepalive):
        if getattr(conn, "cut", False):
            return False  # part of the body is still on its way: close rather than wait for it
        return super()._keepalive_after(conn, keepalive)

    def handle_error(self, req, client, addr, exc) -> None:
        """gunicorn's decision (status, log line, access line), written as the API's JSON error."""
        captured = _Captured()
        super().handle_error(req, captured, addr, exc)
        status_line = captured.data.split(b"\r\n", 1)[0].decode("latin-1")  # "HTTP/1.1 414 URI Too Long"
        _, status, reason = status_line.split(" ", 2)
        details = None if status.startswith("5") else [{"problem": str(exc)[:200]}]
        try:
            client.setblocking(False)
            client.sendall(error_response(int(status), reason, details))
        except (OSError, ValueError):
            self.log.debug("Failed to send error message.")
