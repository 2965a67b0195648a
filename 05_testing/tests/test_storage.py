"""Where stored predictions live: DATABASE_URL read and checked at start-up, and SQLite and PostgreSQL
used alike. (The REST resource's own suite, test_predictions.py, runs on both databases too.)"""

import os
import re
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from fraud_app import create_app, db
from fraud_app.config import load_config
from fraud_app.db import DatabaseError

ROOT = Path(__file__).resolve().parents[2]
BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
PASSWORD = "s3cret-Pa55word"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.mark.parametrize(
    ("configured", "used"),
    [
        ({"DATABASE": "instance/predictions.sqlite3"}, "sqlite+pysqlite:///instance/predictions.sqlite3"),
        ({"DATABASE_URL": "", "DATABASE": "elsewhere.sqlite3"}, "sqlite+pysqlite:///elsewhere.sqlite3"),
        ({"DATABASE_URL": "sqlite:///data/p.sqlite3"}, "sqlite+pysqlite:///data/p.sqlite3"),
        ({"DATABASE_URL": "sqlite:////var/data/p.sqlite3"}, "sqlite+pysqlite:////var/data/p.sqlite3"),
        ({"DATABASE_URL": "postgresql://fraud:pw@db.example:5432/fraud"},
         "postgresql+psycopg://fraud:pw@db.example:5432/fraud"),
        ({"DATABASE_URL": "postgres://fraud:pw@db.example:5432/fraud"},  # Heroku's spelling
         "postgresql+psycopg://fraud:pw@db.example:5432/fraud"),
        ({"DATABASE_URL": " postgresql+psycopg://fraud:pw@db.example/fraud?sslmode=require\n"},
         "postgresql+psycopg://fraud:pw@db.example/fraud?sslmode=require"),
        ({"DATABASE_URL": "postgresql://fraud@/fraud?host=/cloudsql/project:region:db"},  # Cloud SQL's socket
         "postgresql+psycopg://fraud@/fraud?host=%2Fcloudsql%2Fproject%3Aregion%3Adb"),
    ],
)
def test_which_database_the_configuration_names(configured, used):
    config = {"DATABASE": "unused.sqlite3", "DATABASE_URL": None, **configured}
    assert db.database_url(config).render_as_string(hide_password=False) == used


def test_database_url_comes_from_the_environment_under_its_platform_name():
    config = load_config(environ={"DATABASE_URL": "postgres://fraud:pw@db.example/fraud"})
    assert config["DATABASE_URL"] == "postgres://fraud:pw@db.example/fraud"
    assert load_config(environ={})["DATABASE_URL"] is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "DATABASE_URL='not a url' is not a database URL; expected postgresql://"),
        (f"postgresql://fraud:{PASSWORD}@localhost:port/fraud",
         "DATABASE_URL='postgresql://fraud:***@localhost:port/fraud' is not a database URL"),
        (f"mysql://fraud:{PASSWORD}@localhost/fraud",
         "DATABASE_URL=mysql://fraud:***@localhost/fraud names a database this app does not use ('mysql')"),
        ("sqlite://", "DATABASE_URL=sqlite:// is a database in memory"),
        ("sqlite:///:memory:", "DATABASE_URL=sqlite:///:memory: is a database in memory"),
        (f"postgresql://fraud:{PASSWORD}@127.0.0.1:1/fraud",  # nothing listens on port 1
         "DATABASE_URL=postgresql://fraud:***@127.0.0.1:1/fraud: connection failed: "),
        (f"postgresql:/fraud:{PASSWORD}@db.example/fraud",  # one slash
         "DATABASE_URL='postgresql:***@db.example/fraud' is not a database URL"),
        (f"postgresql:fraud:{PASSWORD}@db.example/fraud", "DATABASE_URL='postgresql:***@db.example/fraud' is not"),
        (f"postgresql:///fraud:{PASSWORD}@db.example/fraud",  # three slashes: parsed as a database name
         "DATABASE_URL='postgresql:***@db.example/fraud' is not a database URL (an @ is left in its host"),
        (f"postgresql://fraud:{PASSWORD}@x@db.example/fraud",  # an @ in the password, unescaped
         "DATABASE_URL='postgresql://fraud:***@db.example/fraud' is not a database URL (an @ is left"),
        (f"postgresql://127.0.0.1:1/fraud?password={PASSWORD}",
         "DATABASE_URL=postgresql://127.0.0.1:1/fraud?password=%2A%2A%2A: connection failed"),
    ],
    ids=["unparseable", "bad-port", "unknown-scheme", "memory", "memory-named", "unreachable", "one-slash",
         "no-slash", "three-slashes", "at-in-password", "password-in-query"],
)
def test_a_bad_database_url_stops_the_app_at_start_up(model_path, url, message):
    with pytest.raises(DatabaseError) as caught:
        create_app({"MODEL_PATH": str(model_path), "DATABASE_URL": url})
    assert message in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert "\n" not in str(caught.value)  # one line


def test_a_sqlite_file_that_cannot_be_created_stops_the_app(model_path, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(DatabaseError, match=r"^SQLite database .*a-file/predictions\.sqlite3: "):
        create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "a-file" / "predictions.sqlite3")})


def test_a_wrong_password_stops_the_app(model_path, postgres):
    url = postgres.url("postgres", password=PASSWORD)
    with pytest.raises(DatabaseError, match='password authentication failed for user "fraud"') as caught:
        create_app({"MODEL_PATH": str(model_path), "DATABASE_URL": url})
    assert PASSWORD not in str(caught.value)


def test_a_database_that_does_not_exist_stops_the_app(model_path, postgres):
    with pytest.raises(DatabaseError, match='database "no_such_database" does not exist'):
        create_app({"MODEL_PATH": str(model_path), "DATABASE_URL": postgres.url("no_such_database")})


def test_gunicorn_exits_at_start_up_with_one_line_naming_the_database(model_path, tmp_path):
    url = f"postgres://fraud:{PASSWORD}@127.0.0.1:1/fraud"
    env = {"FRAUD_MODEL_PATH": str(model_path), "DATABASE_URL": url, "PORT": "0",
           "PATH": str(Path(sys.executable).parent)}
    command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "04_flask_app" / "gunicorn.conf.py")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "fraud_app cannot start: DATABASE_URL=postgres://fraud:***@127.0.0.1:1/fraud: connection failed:" in output
    assert "Traceback" not in output
    assert PASSWORD not in output
    assert "Booting worker" not in output  # it never got as far as serving


@BOTH
def test_the_table_is_created_once_and_kept_across_restarts(app, client, auth, transaction):
    created = client.post("/api/v1/predictions", json=transaction, headers=auth.valid).get_json()
    restarted = create_app({key: app.config[key] for key in ("MODEL_PATH", "DATABASE", "DATABASE_URL", "API_TOKEN")})
    try:
        again = restarted.test_client().get(f"/api/v1/predictions/{created['id']}", headers=auth.valid)
        assert again.get_json() == created
    finally:
        restarted.extensions["fraud_db"].dispose()


@BOTH
def test_a_stored_prediction_has_the_same_shape_on_every_database(client, auth, transaction):
    created = client.post("/api/v1/predictions", json=transaction, headers=auth.valid).get_json()
    labelled = client.put(f"/api/v1/predictions/{created['id']}/label", json={"is_fraud": False},
                          headers=auth.valid).get_json()
    for resource in (created, labelled):
        assert type(resource["id"]) is int
        assert type(resource["fraud_probability"]) is float
        assert type(resource["threshold"]) is float
        assert type(resource["is_fraud"]) is bool
        assert TIMESTAMP.match(resource["created_at"])
        assert TIMESTAMP.match(resource["updated_at"])
        assert resource["inputs"] == transaction
    assert created["label"] is None
    assert labelled["label"] is False  # false, not 0 nor null
    assert labelled["created_at"] == created["created_at"] <= labelled["updated_at"]


@BOTH
def test_ids_are_never_reused_after_a_delete(client, auth, transaction):
    ids = [client.post("/api/v1/predictions", json=transaction, headers=auth.valid).get_json()["id"]
           for _ in range(2)]
    assert client.delete(f"/api/v1/predictions/{ids[-1]}", headers=auth.valid).status_code == 204
    again = client.post("/api/v1/predictions", json=transaction, headers=auth.valid).get_json()["id"]
    assert again == ids[-1] + 1  # a client holding the old URL never finds another prediction there


@BOTH
@pytest.mark.parametrize(
    ("path", "status"),
    # An offset past any id is refused as the description says (at most the largest id), not crashed on.
    [("/api/v1/predictions/99999999999", 404), ("/api/v1/predictions?offset=99999999999999999999", 400)],
)
def test_numbers_beyond_any_id_are_answered_not_crashed_on(client, path, auth, status):
    assert client.get(path, headers=auth.valid).status_code == status


def test_the_schema_is_one_definition_written_for_each_database():
    sqlite_sql, postgresql_sql = db.schema_sql("sqlite"), db.schema_sql("postgresql")
    for statement in (sqlite_sql, postgresql_sql):
        assert statement.startswith("CREATE TABLE IF NOT EXISTS predictions (")  # idempotent
    assert "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT" in sqlite_sql
    assert "id INTEGER GENERATED BY DEFAULT AS IDENTITY" in postgresql_sql
    assert "created_at TIMESTAMP WITH TIME ZONE NOT NULL" in postgresql_sql


OLD_SCHEMA = """
CREATE TABLE predictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, inputs TEXT NOT NULL, fraud_probability REAL NOT NULL,
    is_fraud INTEGER NOT NULL, threshold REAL NOT NULL, model_version TEXT NOT NULL, label INTEGER,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
INSERT INTO predictions VALUES (1, '{"amount": 42.5, "hour": 14}', 0.25, 1, 0.06, '1.0.0+old', 0,
                                '2025-01-02T03:04:05.678Z', '2025-01-02T03:04:06.000Z');
"""


def test_a_sqlite_file_written_by_the_previous_version_still_reads(model_path, tmp_path, auth):
    """Before DATABASE_URL, the app made its SQLite table with its own SQL: such a file keeps working."""
    path = tmp_path / "predictions.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.executescript(OLD_SCHEMA)
    connection.close()
    app = create_app({"MODEL_PATH": str(model_path), "DATABASE": str(path), "DATABASE_URL": None,
                      "API_TOKEN": auth.token})
    try:
        assert app.test_client().get("/api/v1/predictions/1", headers=auth.valid).get_json() == {
            "id": 1, "inputs": {"amount": 42.5, "hour": 14}, "fraud_probability": 0.25, "is_fraud": True,
            "threshold": 0.06, "model_version": "1.0.0+old", "label": False,
            "created_at": "2025-01-02T03:04:05.678Z", "updated_at": "2025-01-02T03:04:06.000Z",
        }
    finally:
        app.extensions["fraud_db"].dispose()


def test_a_forked_worker_opens_its_own_connections(model_path, postgres):
    """gunicorn forks its workers from the master: a child must never use a connection of its parent."""
    url = postgres.create_database("fork_test")
    app = create_app({"MODEL_PATH": str(model_path), "DATABASE_URL": url})
    engine = app.extensions["fraud_db"]
    try:
        assert engine.pool.checkedin() == 0  # after start-up the app keeps no connection open

        def backend_pid() -> int:
            with engine.connect() as connection:
                return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()

        parent_pid = backend_pid()  # this connection stays in the parent's pool
        read, write = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: forking a process with threads
            child = os.fork()
        if child == 0:  # the child: report which server process its connection talks to, then leave at once
            try:
                os.write(write, str(backend_pid()).encode())
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            child_pid = int(pipe.read() or 0)
        os.waitpid(child, 0)
        assert child_pid not in (0, parent_pid)
        assert backend_pid() == parent_pid  # and the parent's connection still works
    finally:
        engine.dispose()
