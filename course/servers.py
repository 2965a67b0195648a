"""Start a web server in the background from a notebook, and stop it again.

A notebook cell that calls ``app.run()`` blocks the kernel until the server stops, so
every notebook of the course starts its servers with these helpers instead:

* :func:`serve_app` runs a WSGI app (a Flask app) in a background *thread* of the kernel;
* :func:`serve_asgi` does the same for an ASGI app (a FastAPI app), with uvicorn;
* :func:`serve_command` runs a command (``gunicorn ...``, ``honcho start``) as a background
  *process*.

Both pick a free port on 127.0.0.1 themselves (two notebooks never fight over a port),
wait until the server answers, and return a :class:`BackgroundServer` whose ``url`` is the
address to call and whose ``stop()`` ends it. Servers still running when the kernel exits
are stopped then.

What is printed never contains the port: notebook outputs are compared in CI and a free
port differs from run to run. ``server.url`` holds the address; :func:`public_url` gives
the one to open in a browser (through jupyter-server-proxy on a JupyterHub or Binder).
"""

from __future__ import annotations

import atexit
import io
import logging
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

HOST = "127.0.0.1"
_running: list[BackgroundServer] = []


def free_port() -> int:
    """Ask the operating system for a TCP port on 127.0.0.1 that nobody is using."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def on_jupyterhub() -> bool:
    """True inside a JupyterHub single-user server (Binder is one)."""
    return "JUPYTERHUB_SERVICE_PREFIX" in os.environ


def public_url(port: int, path: str = "/") -> str:
    """The address a person opens in a browser to reach a server on ``port``.

    Locally that is the loopback address itself. On a JupyterHub (Binder included) the
    browser cannot reach the hub machine's loopback interface; jupyter-server-proxy
    forwards ``<hub prefix>/proxy/<port>/`` to it instead.
    """
    path = "/" + path.lstrip("/")
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix is not None:
        return f"{prefix.rstrip('/')}/proxy/{port}{path}"
    return f"http://{HOST}:{port}{path}"


class BackgroundServer:
    """A server running in the background on 127.0.0.1; use it as ``server.url``.

    Stop it with ``server.stop()``, or use it in a ``with`` block.
    """

    def __init__(self, name: str, port: int) -> None:
        self.name = name
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.running = True
        _running.append(self)

    @property
    def public_url(self) -> str:
        """The address to open in a browser (see :func:`public_url`)."""
        return public_url(self.port)

    def stop(self) -> None:
        """Stop the server and free its port. Stopping twice is harmless."""
        if self.running:
            self._shutdown()
            self.running = False
            if self in _running:
                _running.remove(self)

    def _shutdown(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def announce(self) -> None:
        """Say that the server is up, without printing its (changing) port."""
        print(f"{self.name} is running in the background; its address is in .url")
        if on_jupyterhub():
            print(f"Open it in your browser at {self.public_url}")

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.name!r} ({state})>"


class _QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without the access log.

    The development server writes one line per request, with a timestamp, to stderr;
    in a notebook that would land in the cell's output and change on every run.
    """

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class ThreadServer(BackgroundServer):
    """A WSGI app served by Werkzeug in a daemon thread of this process."""

    def __init__(self, app, name: str) -> None:
        self._server = make_server(HOST, 0, app, threaded=True, request_handler=_QuietRequestHandler)
        super().__init__(name, self._server.server_port)
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)
        self._thread.start()

    def _shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class AsgiThreadServer(BackgroundServer):
    """An ASGI app (a FastAPI app) served by uvicorn in a daemon thread of this process."""

    def __init__(self, app, name: str) -> None:
        import uvicorn

        # IPPROTO_TCP said explicitly: asyncio switches Nagle's algorithm off only on connections accepted
        # from a socket that says so, and without that every kept-alive request waits ~40 ms (twin/serve.py).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind((HOST, 0))
        # Its log (a traceback for a request that failed) goes to .log(), not into the notebook's output;
        # no access log, no lifespan events to wait for.
        self._log = io.StringIO()
        handler = logging.StreamHandler(self._log)
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
        for logger in ("uvicorn", "uvicorn.error"):
            logging.getLogger(logger).handlers = [handler]
            logging.getLogger(logger).propagate = False
        self._server = uvicorn.Server(config)
        self._sock = sock
        super().__init__(name, sock.getsockname()[1])
        # uvicorn listens to signals only in the main thread, so in this thread it leaves the kernel's alone.
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
        self._thread.start()

    def log(self) -> str:
        """What uvicorn logged so far (uvicorn's loggers are shared: every ASGI thread server's lines)."""
        return self._log.getvalue()

    def _shutdown(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._sock.close()


class ProcessServer(BackgroundServer):
    """A command running as a child process, in its own process group."""

    _final_log: str | None = None  # what it wrote, once stopped (its log file is then gone)

    def __init__(
        self,
        command: str | Sequence[str],
        name: str,
        port: int,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> None:
        args = shlex.split(command) if isinstance(command, str) else list(command)
        args = [find_program(args[0]), *(arg.format(port=port) for arg in args[1:])]
        child_env = {**os.environ, **(env or {}), "PORT": str(port)}
        # The server's own log goes to a file, not into the notebook; `server.log()` reads it.
        self._log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)  # noqa: SIM115
        self._process = subprocess.Popen(
            args,
            cwd=cwd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends workers too
            preexec_fn=_die_with_parent,
        )
        super().__init__(name, port)

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended, else None."""
        return self._process.poll()

    def log(self) -> str:
        """Everything the process has written to stdout and stderr so far (after a stop: all it wrote)."""
        if self._final_log is not None:
            return self._final_log
        return Path(self._log.name).read_text(errors="replace")

    #: How long a stop waits for the process to end on SIGTERM before it sends SIGKILL: gunicorn's own
    #: graceful_timeout. A quiet machine needs about a second; a busy one may need many, and a stop's exit
    #: status must not depend on the machine's load.
    STOP_TIMEOUT = 30

    def _shutdown(self, timeout: float = STOP_TIMEOUT) -> None:
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)  # what a platform sends on shutdown
            try:
                self._process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        self._log.close()
        # Kept in memory, so that a failing test can still show what the stopped process wrote.
        self._final_log = Path(self._log.name).read_text(errors="replace")
        Path(self._log.name).unlink(missing_ok=True)


def _die_with_parent() -> None:
    """In the child, before the command starts: on Linux, ask for SIGTERM if this Python dies.

    A kernel that is killed outright (not shut down) runs no clean-up code; without this its
    servers would keep running, and keep their ports, with nobody left to stop them.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def find_program(name: str) -> str:
    """``name`` as a path, looking first beside this Python (the virtual environment's own
    ``gunicorn`` or ``honcho``, even when the environment is not activated), then on PATH."""
    if os.sep in name:
        return name
    here = str(Path(sys.executable).parent)
    return shutil.which(name, path=os.pathsep.join([here, os.environ.get("PATH", "")])) or name


def wait_until_ready(server: BackgroundServer, path: str = "/", timeout: float = 60) -> None:
    """Poll ``server.url + path`` until it answers with any HTTP status.

    Raises RuntimeError (and stops the server) when it does not answer in time, or when
    a server process exits first; the message includes what the process printed.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if isinstance(server, ProcessServer) and server.returncode is not None:
            output = server.log()
            server.stop()
            raise RuntimeError(
                f"{server.name} exited with status {server.returncode} before it answered.\n"
                f"Its output:\n{output}"
            )
        try:
            with urllib.request.urlopen(server.url + path, timeout=2):
                return
        except urllib.error.HTTPError as answer:
            answer.close()  # it holds the response (3.14 warns when it is left to the garbage collector)
            return  # any HTTP answer, even 404, means the server is up
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    output = server.log() if isinstance(server, ProcessServer) else ""
    server.stop()
    raise RuntimeError(f"{server.name} did not answer within {timeout:g} s.\n{output}".rstrip())


def _replace_running(name: str) -> None:
    """Stop a server of the same name that is still running (a cell run a second time)."""
    for server in running_servers():
        if server.name == name:
            server.stop()
            print(f"(stopped the {name} started earlier, so that only one runs)")


def serve_app(app, name: str | None = None, announce: bool = True) -> ThreadServer:
    """Serve a WSGI app (such as a Flask app) in a background thread on a free port.

    A server of the same name that is still running is stopped first, so running the cell
    that starts a server twice leaves one server, not two.

    >>> server = serve_app(create_app(), name="hello_api")   # doctest: +SKIP
    >>> requests.get(server.url + "/greet").json()           # doctest: +SKIP
    >>> server.stop()                                        # doctest: +SKIP
    """
    name = name or getattr(app, "name", "app")
    _replace_running(name)
    server = ThreadServer(app, name)
    wait_until_ready(server)
    if announce:
        server.announce()
    return server


def serve_asgi(app, name: str, announce: bool = True) -> AsgiThreadServer:
    """Serve an ASGI app (such as a FastAPI app) with uvicorn in a background thread on a free port.

    The ASGI counterpart of :func:`serve_app`; a server of the same name still running is stopped first.
    """
    _replace_running(name)
    server = AsgiThreadServer(app, name)
    wait_until_ready(server)
    if announce:
        server.announce()
    return server


def serve_command(
    command: str | Sequence[str],
    name: str,
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    ready_path: str = "/",
    timeout: float = 60,
    announce: bool = True,
    wait: bool = True,
) -> ProcessServer:
    """Run a server command in the background on a free port and wait until it answers.

    The port is given to the command as the ``PORT`` environment variable (the way Heroku
    and most platforms do) and as ``{port}`` in the command, e.g.
    ``serve_command("gunicorn --bind 127.0.0.1:{port} 'app:create_app()'", name="app")``.
    A server of the same name that is still running is stopped first. ``wait=False`` returns as soon as
    the process has started, so that it gets ready while other work goes on; ``wait_until_ready(server,
    path)`` waits for it later.
    """
    _replace_running(name)
    server = ProcessServer(command, name, free_port(), env=env, cwd=cwd)
    if not wait:
        return server
    wait_until_ready(server, ready_path, timeout)
    if announce:
        server.announce()
    return server


def running_servers() -> list[BackgroundServer]:
    """The servers started by these helpers that are still running."""
    return list(_running)


def stop_all() -> int:
    """Stop every server these helpers started; returns how many were running."""
    servers = running_servers()
    for server in servers:
        server.stop()
    return len(servers)


atexit.register(stop_all)
