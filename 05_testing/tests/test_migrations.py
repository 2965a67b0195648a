"""Schema migrations (Alembic, fraud_app.migrate): at start-up and in the release phase, never a 500 later."""

import contextlib
import sqlite3
import subprocess
import sys

import pytest

from fraud_app import create_app, migrate
from fraud_app.db import DatabaseError


def app_on(model_path, path, **config):
    return create_app({"MODEL_PATH": str(model_path), "DATABASE": str(path), "DATABASE_URL": None, **config})


def revision_of(path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_a_new_database_is_migrated_to_the_head_revision(model_path, tmp_path):
    app_on(model_path, tmp_path / "new.sqlite3")
    assert revision_of(tmp_path / "new.sqlite3") == migrate.head()


def indexes_of(path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'predictions'")}


def test_created_at_is_indexed_for_the_monitoring_window(model_path, tmp_path):
    app_on(model_path, tmp_path / "new.sqlite3")
    assert "ix_predictions_created_at" in indexes_of(tmp_path / "new.sqlite3")
    with contextlib.closing(sqlite3.connect(tmp_path / "new.sqlite3")) as connection:
        plan = " ".join(str(row) for row in connection.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM predictions WHERE created_at >= '2026-01-01'"))
    assert "ix_predictions_created_at" in plan


def test_a_database_of_an_older_release_gets_the_index(model_path, tmp_path):
    path = tmp_path / "at_0001.sqlite3"
    app_on(model_path, path)
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:  # as revision 0001 left it
        connection.execute("DROP INDEX ix_predictions_created_at")
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    app_on(model_path, path)
    assert revision_of(path) == migrate.head() == "0002"
    assert "ix_predictions_created_at" in indexes_of(path)


def test_an_older_table_without_a_column_is_refused_at_start_up_not_at_the_first_write(model_path, tmp_path):
    path = tmp_path / "old.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE predictions (id INTEGER PRIMARY KEY, inputs TEXT, fraud_probability REAL)")
    with pytest.raises(DatabaseError) as caught:
        app_on(model_path, path)
    message = str(caught.value)
    assert "lacks created_at, is_fraud, label, model_version, threshold, updated_at" in message
    assert "\n" not in message


def test_a_database_from_a_newer_release_is_refused(model_path, tmp_path):
    path = tmp_path / "newer.sqlite3"
    app_on(model_path, path)
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffff9999'")
    with pytest.raises(DatabaseError, match="schema revision ffff9999, which this code does not know"):
        app_on(model_path, path)


def test_the_release_command_migrates_postgresql_and_says_so(postgres):
    url = postgres.create_database("release")
    env = {"DATABASE_URL": url, "PATH": ""}
    command = [sys.executable, "-m", "fraud_app.release"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert f"is at schema revision {migrate.head()}" in result.stdout
    assert postgres.password not in result.stdout + result.stderr
    with postgres.connect("release") as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone()[0] == migrate.head()
        assert connection.execute("SELECT count(*) FROM predictions").fetchone()[0] == 0
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 0  # a second release finds nothing to do


def test_the_release_command_fails_with_one_line(tmp_path):
    env = {"DATABASE_URL": "postgresql://fraud:s3cret/pw@127.0.0.1:1/fraud?connect_timeout=2", "PATH": ""}
    result = subprocess.run([sys.executable, "-m", "fraud_app.release"], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("fraud_app release: DATABASE_URL=postgresql://fraud:***@")
    assert "Traceback" not in result.stderr
    assert "s3cret" not in result.stderr
