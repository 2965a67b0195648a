"""A database that hangs (paused, not down) must not hang the service: deadlines on every wait (fraud_app.db).

The throwaway PostgreSQL server is paused with SIGSTOP, all of its processes (the server, and the backend
of every open connection): its kernel still accepts connections and acknowledges every packet, so nothing
but the app's own clock can tell. The app is served as production serves it (gunicorn, 2 workers of
8 threads), with FRAUD_DB_TIMEOUT_SECONDS=2.
"""

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from course.fraud_server import gunicorn_fraud_app

DEADLINE = 2  # FRAUD_DB_TIMEOUT_SECONDS of the server below
PAUSE = 12  # seconds the database stays paused


def processes_of(pid: int) -> list[int]:
    """``pid`` and its children (PostgreSQL's backends and helpers), read from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # the parent's pid
            children.append(int(stat.parent.name))
    return [pid, *children]


@pytest.fixture
def paused_database_app(model_path, auth, postgres):
    if not Path("/proc").is_dir():
        pytest.skip("reads PostgreSQL's processes from /proc (Linux)")
    url = postgres.create_database("hung")
    env = {"DATABASE_URL": url, "FRAUD_DB_TIMEOUT_SECONDS": str(DEADLINE)}
    with gunicorn_fraud_app(model_path, auth.token, env, name="gunicorn (hung PostgreSQL)") as server:
        yield server


def test_a_paused_database_answers_writes_503_in_seconds_and_health_at_once(
    paused_database_app, postgres, auth, transaction
):
    url = paused_database_app.url
    session = requests.Session()

    def write() -> tuple[int, float, dict]:
        started = time.monotonic()
        response = requests.post(url + "/api/v1/predictions", json=transaction, headers=auth.valid, timeout=30)
        return response.status_code, time.monotonic() - started, response.json()

    # Both workers have pooled connections (several writes at once reach both).
    with ThreadPoolExecutor(8) as pool:
        assert {status for status, _, _ in pool.map(lambda _: write(), range(16))} == {201}

    server_processes = processes_of(postgres._process.pid)
    for pid in server_processes:
        os.kill(pid, signal.SIGSTOP)
    paused_at = time.monotonic()
    try:
        writes = []
        writers = ThreadPoolExecutor(6)
        stop = threading.Event()

        def keep_writing():
            while not stop.is_set() and time.monotonic() - paused_at < PAUSE - 2:
                writes.append(write())

        futures = [writers.submit(keep_writing) for _ in range(6)]
        started = time.monotonic()
        not_ready = session.get(url + "/ready", timeout=30)
        ready_seconds = time.monotonic() - started
        health, predict = [], []
        while time.monotonic() - paused_at < PAUSE - 2:
            started = time.monotonic()
            assert session.get(url + "/health", timeout=10).status_code == 200
            health.append(time.monotonic() - started)
            started = time.monotonic()
            assert session.post(url + "/api/v1/predict", json=transaction, timeout=10).status_code == 200
            predict.append(time.monotonic() - started)
            time.sleep(0.2)
        stop.set()
        for future in futures:
            future.result(timeout=30)
        writers.shutdown()
    finally:
        for pid in server_processes:
            os.kill(pid, signal.SIGCONT)

    assert not_ready.status_code == 503, not_ready.text  # readiness says what liveness does not
    assert not_ready.json()["checks"]["database"] == "unavailable"
    assert ready_seconds < 2 * DEADLINE + 1.5, ready_seconds
    assert max(health) < 1, health
    assert max(predict) < 1, predict
    assert writes, "no write finished while the database was paused"
    for status, seconds, body in writes:
        assert status == 503, body
        assert body["error"]["code"] == "database_unavailable"
        assert seconds < 2 * DEADLINE + 1.5, seconds  # a pooled connection's ping, then a new connection

    # The database is back: writes succeed again, without restarting anything.
    deadline = time.monotonic() + 3 * DEADLINE + 5
    while (status := write()[0]) != 201 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status == 201
    with ThreadPoolExecutor(8) as pool:
        assert {status for status, _, _ in pool.map(lambda _: write(), range(16))} == {201}
