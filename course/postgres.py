"""A throwaway PostgreSQL server on 127.0.0.1, for the tests and for chapter 07.

    server = start_postgres()                       # a second or two
    url = server.create_database("fraud")           # postgresql://fraud:<password>@127.0.0.1:<port>/fraud
    ...
    server.stop()                                   # the server and its files are gone

It runs the server programs of an installed PostgreSQL (Debian's and Ubuntu's `postgresql` package puts
them in /usr/lib/postgresql/<version>/bin; elsewhere `initdb` on PATH; or the folder in $POSTGRES_BIN) in
a new temporary folder: its own data, its own socket, a free port, a random password. It never touches a
PostgreSQL already running on the machine. Durability is switched off (fsync=off): the data is thrown
away anyway, and the server starts and writes faster.

PostgreSQL refuses to run as root; as root (in a container, in CI) the server runs as the `postgres`
user that the package creates. The server stops with the Python process that started it, even when that
process is killed.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course.servers import HOST, free_port

USER = "fraud"  # the server's superuser, who owns the databases made by create_database


class PostgresNotFound(RuntimeError):
    """No PostgreSQL server programs were found on this machine; the message says how to get them."""


def find_bindir() -> Path | None:
    """The folder of PostgreSQL's `initdb` and `postgres` programs, or None.

    $POSTGRES_BIN wins when set (a folder that does not hold them means: none here); then the newest
    /usr/lib/postgresql/<version>/bin (Debian, Ubuntu); then the folder of an `initdb` on PATH.
    """
    def has_programs(folder: Path) -> bool:
        return all((folder / name).is_file() for name in ("initdb", "postgres"))

    if os.environ.get("POSTGRES_BIN"):
        folder = Path(os.environ["POSTGRES_BIN"])
        return folder if has_programs(folder) else None

    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name))

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    return next((folder for folder in candidates if has_programs(folder)), None)


class PostgresServer:
    """A PostgreSQL server started by :func:`start_postgres`."""

    def __init__(self, bindir: Path, folder: Path, port: int, password: str, run_as: dict) -> None:
        self.bindir, self.folder, self.port, self.password = bindir, folder, port, password
        self.host = HOST
        self._log = folder / "server.log"
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [str(bindir / "postgres"), "-D", str(folder / "data"), "-p", str(port), "-k", str(folder),
                 "-c", f"listen_addresses={HOST}", "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "shared_buffers=32MB"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_stop_with_parent, **run_as,
            )
        atexit.register(self.stop)

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        """The DATABASE_URL of ``database`` on this server (with another password if given)."""
        return f"postgresql://{USER}:{password or self.password}@{self.host}:{self.port}/{database}"

    def log(self) -> str:
        """What the server has written to its log so far."""
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    def connect(self, database: str = "postgres"):
        """A psycopg connection to ``database``, in autocommit mode (each statement commits at once)."""
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5)

    def create_database(self, name: str) -> str:
        """Create an empty database (dropping one of that name first); returns its DATABASE_URL."""
        from psycopg import sql

        with self.connect() as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def wait_until_ready(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise RuntimeError(f"PostgreSQL exited with status {self._process.returncode}:\n{self.log()}")
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL refused connections for {timeout:g} s:\n{self.log()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (a fast shutdown: open sessions end) and delete its files. Twice is harmless."""
        if self.running:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
        atexit.unregister(self.stop)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<PostgresServer on {self.host} ({'running' if self.running else 'stopped'})>"


# Loaded here, not in the child: there, already the `postgres` user, Python may not be allowed to read its modules.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _stop_with_parent() -> None:
    """In the server's process, before it starts: on Linux, ask for SIGINT (PostgreSQL's fast shutdown)
    if the Python that started it dies, so that no server is left running with nobody to stop it."""
    if _LIBC is not None:
        PR_SET_PDEATHSIG = 1
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGINT)


def start_postgres(timeout: float = 60) -> PostgresServer:
    """Start a new, empty PostgreSQL server on a free port of 127.0.0.1 and wait until it accepts connections.

    Raises PostgresNotFound when no PostgreSQL is installed, RuntimeError (with the server's log) when
    it does not start.
    """
    bindir = find_bindir()
    if bindir is None:
        where = f" in POSTGRES_BIN={os.environ['POSTGRES_BIN']}" if os.environ.get("POSTGRES_BIN") else ""
        raise PostgresNotFound(
            f"no PostgreSQL server found{where} (install Debian's or Ubuntu's postgresql package, "
            "or set POSTGRES_BIN to the folder of initdb and postgres)"
        )
    run_as: dict = {}
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the package's `postgres` user
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root, PostgreSQL needs a `postgres` user to run as; none exists") from None
        run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    folder = Path(tempfile.mkdtemp(prefix="course-postgres-"))
    try:
        if run_as:
            os.chown(folder, run_as["user"], run_as["group"])
        password = secrets.token_urlsafe(16)
        password_file = folder / "password"
        password_file.write_text(password + "\n")
        if run_as:
            os.chown(password_file, run_as["user"], run_as["group"])
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(folder / "data"), "-U", USER, f"--pwfile={password_file}",
             "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True, timeout=120, **run_as,
        )
        password_file.unlink()
        server = PostgresServer(bindir, folder, free_port(), password, run_as)
    except subprocess.CalledProcessError as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed (status {error.returncode}):\n{error.stdout}{error.stderr}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        server.wait_until_ready(timeout)
    except BaseException:
        server.stop()
        raise
    return server
