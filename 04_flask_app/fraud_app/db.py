"""Stored predictions in SQLite.

One connection per request (opened on first use, closed at the end of the request), so that
several gunicorn worker processes can share one database file. WAL mode lets readers work
while a writer writes; the busy timeout makes a writer wait for another instead of failing.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from flask import Flask, current_app, g

BUSY_TIMEOUT_SECONDS = 10


def connect(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    connection.row_factory = sqlite3.Row
    return connection


def init_app(app: Flask) -> None:
    """Create the database file and its table if they do not exist yet."""
    path = Path(app.config["DATABASE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(str(path)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")  # stored in the file: set once, kept
        connection.executescript(resources.files("fraud_app").joinpath("schema.sql").read_text())
    connection.close()
    app.teardown_appcontext(close_db)


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(exception: BaseException | None = None) -> None:
    connection = g.pop("db", None)
    if connection is not None:
        connection.close()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def as_resource(row: sqlite3.Row) -> dict:
    """A stored row as the API's JSON resource."""
    return {
        "id": row["id"],
        "inputs": json.loads(row["inputs"]),
        "fraud_probability": row["fraud_probability"],
        "is_fraud": bool(row["is_fraud"]),
        "threshold": row["threshold"],
        "model_version": row["model_version"],
        "label": None if row["label"] is None else bool(row["label"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def create(inputs: dict, outcome: dict) -> dict:
    stamp = now()
    cursor = get_db().execute(
        "INSERT INTO predictions (inputs, fraud_probability, is_fraud, threshold, model_version,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            json.dumps(inputs),
            outcome["fraud_probability"],
            outcome["is_fraud"],
            outcome["threshold"],
            outcome["model_version"],
            stamp,
            stamp,
        ),
    )
    return get(cursor.lastrowid)


def get(prediction_id: int) -> dict | None:
    row = get_db().execute("SELECT * FROM predictions WHERE id = ?", (prediction_id,)).fetchone()
    return None if row is None else as_resource(row)


def page(limit: int, offset: int) -> tuple[list[dict], int]:
    """Predictions ``offset`` to ``offset + limit``, oldest first, and how many there are in all."""
    connection = get_db()
    connection.execute("BEGIN")  # one snapshot: the page and the total agree
    try:
        rows = connection.execute("SELECT * FROM predictions ORDER BY id LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        total = connection.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]
    finally:
        connection.execute("COMMIT")
    return [as_resource(row) for row in rows], total


def set_label(prediction_id: int, label: bool) -> dict | None:
    """Record the confirmed outcome. Setting the same label again changes nothing (idempotent PUT)."""
    get_db().execute(
        "UPDATE predictions SET label = ?, updated_at = ? WHERE id = ? AND label IS NOT ?",
        (label, now(), prediction_id, label),
    )
    return get(prediction_id)


def delete(prediction_id: int) -> bool:
    return get_db().execute("DELETE FROM predictions WHERE id = ?", (prediction_id,)).rowcount == 1
