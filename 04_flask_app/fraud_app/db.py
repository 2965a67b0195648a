"""Stored predictions, in SQLite or in PostgreSQL, through SQLAlchemy Core.

Which database:

| DATABASE_URL | the database |
|---|---|
| unset | the SQLite file DATABASE (FRAUD_DATABASE, default instance/predictions.sqlite3): nothing to install |
| sqlite:///path/to/file.sqlite3 | that SQLite file (four slashes for an absolute path) |
| postgresql://USER:PASSWORD@HOST:PORT/NAME | that PostgreSQL database, through the psycopg 3 driver |
| postgres://... | the same: Heroku's spelling, which SQLAlchemy itself no longer accepts |

SQLite suits a laptop and one machine; a deployed app needs a database server, because a platform's
disk is wiped at every restart and is not shared between machines (chapter 07).

The table is defined once, below, in Python. SQLAlchemy writes from it the CREATE TABLE that each
database understands (``schema_sql`` shows both) and builds the queries, so a column is named in one
place. ``init_app`` runs at start-up: it connects, and migrates the schema to this code's (Alembic). A bad
DATABASE_URL, a server that does not answer, a wrong password or a schema that cannot be migrated
(Alembic, fraud_app.migrate) stop the app there, with a
:class:`DatabaseError` that names the problem, never at the first request.

Several processes share the database: gunicorn loads the app once in its master process, then forks
the workers. A connection must never be used by two processes, so the master closes its connections
after start-up, and each worker opens its own (``_after_fork_in_child``). PostgreSQL connections are
kept in a pool, one pool per process. A SQLite connection is opened for each transaction and closed after
it, as cheap as opening a file; the file is in WAL mode, where readers never wait for the writer, and a
writer that finds another one busy waits up to BUSY_TIMEOUT_SECONDS instead of failing.

Deadlines (PostgreSQL). A database that stops answering without closing its connections (a server paused,
a host gone, a network cut) must not hold the request threads that wait on it, or the whole service stops
answering, /health included, although it never touches the database. So every wait has a deadline,
DB_TIMEOUT (FRAUD_DB_TIMEOUT_SECONDS, default 3 s), and a request that meets one answers 503 (fraud_app.errors):

| what waits | the deadline |
|---|---|
| a new connection | ``connect_timeout`` (psycopg) |
| a free connection of the pool | ``pool_timeout`` (SQLAlchemy) |
| each round trip of a statement (the pre-ping too) | :class:`DeadlineConnection`: the connection is closed |
| a statement the server runs too long (a lock) | ``statement_timeout`` (the server cancels it) |
| a peer that is gone (no packet comes back) | TCP keepalives and ``tcp_user_timeout`` (the kernel) |

Only the first three hold against a server that is *paused* (its kernel still acknowledges every packet,
so TCP sees nothing wrong, and a paused server cancels nothing): the client's own clock is what counts.
The worst case is two deadlines: a pooled connection that does not answer its pre-ping, then a new one
that cannot connect. Once the server answers again, the next request connects afresh: nothing to restart.
Migrations (start-up, the release phase) run without these deadlines: a second dyno waits for the
first's migration lock as long as it takes.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sqlite3
import tempfile
import weakref
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

from fraud_app import migrate
from fraud_app.config import DEFAULTS

BUSY_TIMEOUT_SECONDS = 10  # SQLite: how long a writer waits for another
CONNECT_TIMEOUT_SECONDS = 10  # PostgreSQL: how long to wait for the server at start-up (unless the URL says)
#: PostgreSQL's TCP keepalives: probe an idle connection after 30 s, every 10 s, give up after 3 unanswered;
#: tcp_user_timeout: give up on a connection whose sent data is not acknowledged for 10 s
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
              "tcp_user_timeout": 10_000}
MAX_ID = 2**31 - 1  # ids are INTEGER: 32 bits in PostgreSQL


class DatabaseError(Exception):
    """The configured database cannot be used; the message names it (password hidden) and says why."""


class UTCTimestamp(sa.types.TypeDecorator):
    """A moment, as a Python datetime in UTC.

    PostgreSQL stores it as TIMESTAMP WITH TIME ZONE. SQLite has no date type: it stores the ISO 8601
    text that the API shows (``2026-05-20T09:30:00.123Z``), which sorts in time order.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(sa.Text() if dialect.name == "sqlite" else sa.DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        return iso(value) if value is not None and dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return datetime.fromisoformat(value) if isinstance(value, str) else value


metadata = sa.MetaData()

#: Stored predictions: one row per scored transaction that a client chose to keep.
predictions = sa.Table(
    "predictions",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),  # given by the database, never reused
    sa.Column("inputs", sa.JSON, nullable=False),  # the validated transaction
    sa.Column("fraud_probability", sa.Float, nullable=False),
    sa.Column("is_fraud", sa.Boolean, nullable=False),  # the model's decision at `threshold`
    sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("model_version", sa.Text, nullable=False),
    sa.Column("label", sa.Boolean, nullable=True),  # the confirmed outcome; NULL until known
    sa.Column("created_at", UTCTimestamp, nullable=False, index=True),  # a monitoring window by time (0002)
    sa.Column("updated_at", UTCTimestamp, nullable=False),
    sqlite_autoincrement=True,  # SQLite too never reuses the id of a deleted row
)

#: The CREATE TABLE that this definition gives (shown by schema_sql; revision 0001 of the migrations makes it,
#: 0002 adds the index on created_at).
CREATE = sa.schema.CreateTable(predictions, if_not_exists=True)


def schema_sql(dialect: str) -> str:
    """The CREATE TABLE statement of the table on ``dialect`` ("sqlite" or "postgresql")."""
    statement = str(CREATE.compile(dialect={"sqlite": sqlite, "postgresql": postgresql}[dialect].dialect()))
    return "\n".join(line.rstrip().replace("\t", "    ") for line in statement.strip().splitlines())


# --- Which database: the URL ------------------------------------------------------------------------------

def database_url(config) -> URL:
    """The URL of the app's database: DATABASE_URL when set, else the SQLite file DATABASE.

    Raises DatabaseError for a URL that cannot be parsed or names a database this app does not use.
    """
    raw = (config.get("DATABASE_URL") or "").strip()
    if not raw:
        return URL.create("sqlite+pysqlite", database=str(config["DATABASE"]))
    try:
        url = make_url(raw)
    except (sa.exc.ArgumentError, ValueError):
        raise DatabaseError(
            f"DATABASE_URL={hide_password(raw)!r} is not a database URL; expected "
            "postgresql://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH"
        ) from None
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        if any("@" in (part or "") for part in (url.username, url.host, url.database)):  # postgresql:///u:p@h/db
            raise DatabaseError(
                f"DATABASE_URL={hide_password(raw)!r} is not a database URL (an @ is left in its host or database "
                "name: a mistyped :// or a password holding an unescaped @, which must be written %40); expected "
                "postgresql://USER:PASSWORD@HOST:PORT/NAME"
            )
        return url.set(drivername="postgresql+psycopg")  # psycopg 3, the driver requirements.txt installs
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        if url.database in (None, "", ":memory:"):
            raise DatabaseError(
                f"DATABASE_URL={raw} is a database in memory, which each worker would see empty and lose "
                "when it stops; name a file: sqlite:///instance/predictions.sqlite3"
            )
        return url.set(drivername="sqlite+pysqlite")
    raise DatabaseError(
        f"DATABASE_URL={hide_password(raw)} names a database this app does not use "
        f"({url.drivername!r}); use postgresql://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH"
    )


SECRET_QUERY_KEYS = ("password", "sslpassword")


def hide_password(text: str) -> str:
    """``text`` (a database URL, maybe mistyped) with anything that may be a password replaced by ***.

    SQLAlchemy renders a URL it can parse with the password hidden (``render_as_string(hide_password=True)``);
    a password in the query (``?password=``) is hidden too. Text that is not a well-formed URL (it cannot be
    parsed, or an ``@`` is left in its host or database: ``postgresql:/user:pass@host/db``,
    ``postgresql:///user:pass@host/db``, a password holding an unescaped ``@``) keeps only its scheme and
    what follows its last ``@``: a password may hold any character, ``/``, ``@``, ``:`` and ``%`` included.
    """
    try:
        url = make_url(text)
    except (sa.exc.ArgumentError, ValueError):
        url = None
    if url is not None and not any("@" in (part or "") for part in (url.username, url.host, url.database)):
        secrets = {key: "***" for key in SECRET_QUERY_KEYS if key in url.query}
        return url.update_query_dict(secrets).render_as_string(hide_password=True)
    if "@" not in text and text.count(":") <= 1 and url is None:
        return text  # no user:password@ in it: nothing to hide ("not a url")
    if re.search(r"^[^:/@]+://[^/:@]*:.*@", text):  # scheme://user:...@: the user kept, up to the last @ hidden
        return re.sub(r"(://[^/:@]*:).*@", r"\1***@", text)
    scheme = text.split(":", 1)[0] if ":" in text else ""
    return f"{scheme}:***@{text.rsplit('@', 1)[1]}" if "@" in text else f"{scheme}:***"


def describe(url: URL, config) -> str:
    """How an error message names the database: as configured, without the password."""
    if (config.get("DATABASE_URL") or "").strip():
        return f"DATABASE_URL={hide_password(config['DATABASE_URL'].strip())}"
    return f"SQLite database {url.database}"


def describe_storage(app: Flask) -> str:
    """The storage backend, for the start-up line: its URL with the password hidden."""
    return hide_password(database_url(app.config).render_as_string(hide_password=False))


def reason(error: BaseException) -> str:
    """The driver's own explanation, on one line."""
    original = getattr(error, "orig", None) or error
    lines = (" ".join(line.split()) for line in str(original).splitlines())
    return "; ".join(line for line in lines if line) or type(original).__name__


# --- Connections: an engine, and a pool per process --------------------------------------------------------

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def create_engine(url: URL, timeout: float | None = None) -> Engine:
    """An engine for ``url``. ``timeout`` (seconds, PostgreSQL): the deadlines of a serving app (see above);
    None: no deadline but the connect timeout of start-up (migrations, the release phase)."""
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(
            url, poolclass=NullPool, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}, hide_parameters=True
        )
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    else:
        connect_args = {key: value for key, value in KEEPALIVES.items() if key not in url.query}
        if "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = max(2, round(timeout)) if timeout else CONNECT_TIMEOUT_SECONDS
        options = {}
        if timeout:
            options["pool_timeout"] = timeout
            if "options" not in url.query:  # the server cancels a statement that runs longer
                connect_args["options"] = f"-c statement_timeout={round(timeout * 1000)}"
        # pre_ping: a pooled connection that the server closed (a restart, maintenance) is replaced, not used
        # hide_parameters: an error's message never carries the transaction's values (they reach the logs)
        engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args, hide_parameters=True,
                                  **options)
        sa.event.listen(engine, "do_connect", functools.partial(_connect_with_deadline, timeout))
    _engines.add(engine)
    return engine


def deadline_connection_class():
    """psycopg's Connection, with a deadline on every wait for the server (made once, on first use)."""
    global _DeadlineConnection
    if _DeadlineConnection is None:
        import psycopg

        class DeadlineConnection(psycopg.Connection):
            """A psycopg connection whose every round trip has a deadline, ``deadline`` seconds (None: none).

            psycopg waits for the server's answer in ``wait``, which takes a timeout that its cursors do not
            pass; this passes one. When it expires, the connection is in an unknown state (its statement
            sent, no answer read): it is closed, and the error says why; SQLAlchemy then sees a closed
            connection, drops it from its pool, and the request answers 503.
            """

            deadline: float | None = None

            def wait(self, gen, *args, timeout=None, **kwargs):
                if timeout is None:
                    timeout = self.deadline
                try:
                    return super().wait(gen, *args, timeout=timeout, **kwargs)
                except psycopg.errors.OperationalError as error:
                    if type(error).__name__ != "_WaitTimeout":  # psycopg's own (private) timeout error
                        raise
                    self.pgconn.finish()
                    raise psycopg.errors.OperationalError(
                        f"the database did not answer within {timeout:g} s: connection closed"
                    ) from None

        _DeadlineConnection = DeadlineConnection
    return _DeadlineConnection


_DeadlineConnection = None


def _connect_with_deadline(timeout, dialect, connection_record, cargs, cparams):
    connection = deadline_connection_class().connect(*cargs, **cparams)
    connection.deadline = timeout
    return connection


def _sqlite_connect(dbapi_connection, connection_record) -> None:
    # Python's sqlite3 starts a transaction only before a write; leave that to SQLAlchemy (below), so that
    # every transaction is a real one: the page of a listing and its total then come from one snapshot.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN")


def _after_fork_in_child() -> None:
    """In a new process (a gunicorn worker): a fresh, empty pool for each engine. The parent's connections
    are left alone, not closed, since they are still the parent's."""
    for engine in list(_engines):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):  # Windows has no fork()
    os.register_at_fork(after_in_child=_after_fork_in_child)


def keep_sqlite_writable(config) -> str | None:
    """On a read-only file system (``docker run --read-only``), move the *default* SQLite file to /tmp.

    Without DATABASE_URL and with FRAUD_DATABASE left at its default, a folder instance/ that cannot be
    written would stop the app. The file then goes to the system's temporary folder instead (in a container,
    the ``--tmpfs /tmp``), as short-lived as a container's own files: the returned warning says so. A path
    that was asked for is never moved: if it cannot be written, the app stops and says why.
    """
    if (config.get("DATABASE_URL") or "").strip() or config["DATABASE"] != DEFAULTS["DATABASE"]:
        return None
    folder = Path(config["DATABASE"]).parent
    existing = next(parent for parent in (folder, *folder.parents) if parent.exists())
    if os.access(existing, os.W_OK):
        return None
    config["DATABASE"] = str(Path(tempfile.gettempdir()) / "fraud-app" / Path(config["DATABASE"]).name)
    return (f"{folder}/ cannot be written (a read-only file system): stored predictions go to "
            f"{config['DATABASE']} and are lost when the server stops; mount a volume at {folder}/ or set "
            "DATABASE_URL to keep them")


def init_app(app: Flask) -> None:
    """Connect to the database and migrate it to this code's schema; raise DatabaseError if that fails."""
    moved = keep_sqlite_writable(app.config)
    if moved:
        logging.getLogger("fraud_app").warning(moved)
    url = database_url(app.config)
    name = describe(url, app.config)
    try:
        if url.get_backend_name() == "sqlite":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        migrating = create_engine(url)  # no deadline: a migration may wait for another's lock
    except OSError as error:  # the SQLite file's folder cannot be made
        raise DatabaseError(f"{name}: {reason(error)}") from None
    except ImportError as error:
        raise DatabaseError(f"{name}: the driver is not installed ({error}); pip install -r requirements.txt") from None
    try:
        if url.get_backend_name() == "sqlite":
            raw = migrating.raw_connection()  # a PRAGMA that changes the journal must run outside a transaction
            try:
                raw.driver_connection.execute("PRAGMA journal_mode=WAL")  # stored in the file: set once, kept
            finally:
                raw.close()
        with migrating.begin() as connection:
            # Alembic brings the schema to this code's (fraud_app.migrate); two dynos starting at once
            # do not both migrate: the second waits for the first's lock, then finds nothing to do.
            migrate.upgrade(connection)
    except migrate.MigrationError as error:
        raise DatabaseError(f"{name}: {error}") from None
    except (sa.exc.SQLAlchemyError, sqlite3.Error) as error:  # raw_connection() leaves the driver's error as is
        raise DatabaseError(f"{name}: {reason(error)}") from None
    finally:
        migrating.dispose()  # this process (gunicorn's master) serves no request: it keeps no connection open
    # The engine that serves requests: deadlines on every wait (PostgreSQL), no connection until the first.
    app.extensions["fraud_db"] = create_engine(url, app.config["DB_TIMEOUT"])


def engine() -> Engine:
    return current_app.extensions["fraud_db"]


# --- Stored predictions -----------------------------------------------------------------------------------

def now() -> datetime:
    """The time in UTC, to the millisecond, the precision the API shows."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime) -> str:
    """``2026-05-20T09:30:00.123Z``: ISO 8601, in UTC, to the millisecond."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def as_resource(row) -> dict:
    """A stored row as the API's JSON resource: the same on every database."""
    return {
        "id": row.id,
        "inputs": row.inputs,
        "fraud_probability": row.fraud_probability,
        "is_fraud": row.is_fraud,
        "threshold": row.threshold,
        "model_version": row.model_version,
        "label": row.label,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def _get(connection, prediction_id: int) -> dict | None:
    if not 0 < prediction_id <= MAX_ID:  # no such id can exist (and PostgreSQL would refuse the number)
        return None
    row = connection.execute(sa.select(predictions).where(predictions.c.id == prediction_id)).one_or_none()
    return None if row is None else as_resource(row)


def create(inputs: dict, outcome: dict) -> dict:
    stamp = now()
    with engine().begin() as connection:
        inserted = connection.execute(
            predictions.insert().values(
                inputs=inputs,
                fraud_probability=outcome["fraud_probability"],
                is_fraud=outcome["is_fraud"],
                threshold=outcome["threshold"],
                model_version=outcome["model_version"],
                created_at=stamp,
                updated_at=stamp,
            )
        )
        return _get(connection, inserted.inserted_primary_key.id)


def get(prediction_id: int) -> dict | None:
    with engine().connect() as connection:
        return _get(connection, prediction_id)


def page(limit: int, offset: int = 0, after: int | None = None) -> tuple[list[dict], int | None, bool]:
    """Up to ``limit`` predictions, oldest first: those with an id above ``after`` (a keyset page: no row is
    skipped or repeated when others are deleted or added between pages), after skipping ``offset``.

    Returns the page, how many are stored in all (counted on a first page only, ``after`` None: counting
    the table is a scan, not worth repeating on every page) and whether more follow.
    """
    with engine().connect() as connection:
        if connection.dialect.name == "postgresql":  # one snapshot: the page and the total agree
            connection.execution_options(isolation_level="REPEATABLE READ")  # (a SQLite transaction is one)
        query = sa.select(predictions).order_by(predictions.c.id).limit(limit + 1).offset(min(offset, MAX_ID))
        if after is not None:
            query = query.where(predictions.c.id > after)
        rows = connection.execute(query).all()
        total = None
        if after is None:
            total = connection.scalar(sa.select(sa.func.count()).select_from(predictions))
    return [as_resource(row) for row in rows[:limit]], total, len(rows) > limit


def set_label(prediction_id: int, label: bool) -> dict | None:
    """Record the confirmed outcome. Setting the same label again changes nothing (idempotent PUT)."""
    if not 0 < prediction_id <= MAX_ID:
        return None
    with engine().begin() as connection:
        connection.execute(
            predictions.update()
            .where(predictions.c.id == prediction_id, predictions.c.label.is_distinct_from(label))
            .values(label=label, updated_at=now())
        )
        return _get(connection, prediction_id)


def delete(prediction_id: int) -> bool:
    if not 0 < prediction_id <= MAX_ID:
        return False
    with engine().begin() as connection:
        return connection.execute(predictions.delete().where(predictions.c.id == prediction_id)).rowcount == 1


# --- Monitoring: a window of stored predictions -------------------------------------------------------------

INPUT_BATCH = 1000  # stored inputs are read this many at a time: a window of any size fits in memory


def _window(connection, last: int | None, since: datetime | None) -> list:
    """The WHERE clauses of a window: created at or after ``since``, and the ``last`` most recent (by id)."""
    clauses = [] if since is None else [predictions.c.created_at >= since]
    if last is not None:
        # Ids grow with every insert and are never reused: the last N predictions are those from the N-th
        # highest id on. Fewer than N stored: no bound, all of them.
        lowest = connection.scalar(
            sa.select(predictions.c.id).where(*clauses).order_by(predictions.c.id.desc()).limit(1).offset(last - 1)
        )
        if lowest is not None:
            clauses.append(predictions.c.id >= lowest)
    return clauses


def _count(condition) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def monitor(last: int | None, since: datetime | None, add_inputs) -> dict:
    """Counts over a window of stored predictions, and its inputs passed to ``add_inputs`` a batch at a time.

    One snapshot of the database (a transaction; REPEATABLE READ on PostgreSQL), so the counts and the
    inputs describe the same predictions even while new ones arrive. The counts: ``predictions``,
    ``labelled``, ``flagged`` (decided fraud), the four outcomes of the labelled ones (the stored decision
    against the label), the first and last ``created_at`` and the model versions that made them.
    """
    c = predictions.c
    with engine().connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        clauses = _window(connection, last, since)
        labelled = c.label.is_not(None)
        row = connection.execute(
            sa.select(
                sa.func.count().label("predictions"),
                _count(labelled).label("labelled"),
                _count(c.is_fraud).label("flagged"),
                _count(sa.and_(labelled, c.label, c.is_fraud)).label("true_positives"),
                _count(sa.and_(labelled, sa.not_(c.label), c.is_fraud)).label("false_positives"),
                _count(sa.and_(labelled, c.label, sa.not_(c.is_fraud))).label("false_negatives"),
                _count(sa.and_(labelled, sa.not_(c.label), sa.not_(c.is_fraud))).label("true_negatives"),
                sa.func.min(c.created_at).label("first_at"),
                sa.func.max(c.created_at).label("last_at"),
            ).where(*clauses)
        ).one()
        versions = connection.scalars(sa.select(c.model_version).where(*clauses).distinct()).all()
        result = connection.execution_options(yield_per=INPUT_BATCH).execute(
            sa.select(c.inputs).where(*clauses).order_by(c.id)
        )
        for batch in result.scalars().partitions():
            add_inputs(batch)
    counts = {key: int(value) for key, value in row._mapping.items() if key not in ("first_at", "last_at")}
    moments = {key: None if row._mapping[key] is None else iso(row._mapping[key]) for key in ("first_at", "last_at")}
    return {**counts, **moments, "model_versions": sorted(versions)}
