"""The model's thread limit, seen from inside each server a learner starts: gunicorn, waitress, `flask run`.

scikit-learn's OpenMP and numpy's BLAS would spread every small prediction over every core, and OpenMP's
thread count is a setting of each thread: a limit set once at start-up does not reach the threads that
serve requests. fraud_app.model sets it around each prediction (threadpoolctl). Here each server serves
the real app, started the way the course documents it, with no OMP_NUM_THREADS or the like in its
environment, and reports what threadpoolctl sees in the thread that answers a real POST /api/v1/predict:
one thread while the model predicts, and (on a machine with more than one core) more than one before and
after, which is the trap the limit avoids.
"""

import json
import os
from pathlib import Path

import pytest
import requests

import course

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = str(ROOT / "04_flask_app" / "gunicorn.conf.py")

#: The variables that would set the libraries' threads from outside (and hide a limit that does nothing).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_THREAD_LIMIT")

#: Each server as the course starts it (README, chapter 04, `make app`), serving the probe below.
SERVERS = {
    "gunicorn": ["gunicorn", "--config", GUNICORN_CONF, "threads_probe:app"],  # gthread workers, preloaded
    "waitress": ["waitress-serve", "--listen=127.0.0.1:{port}", "threads_probe:app"],
    "flask-run": ["flask", "--app", "threads_probe", "run", "--port", "{port}"],  # the development server
}

# Written into the test's folder, never shipped: the app exactly as fraud_app.create_app builds it, with
# its model's classifier's predict_proba wrapped, so that the app's own code (FraudModel.score and its limit) is what
# runs. It appends one JSON line per observation to a file: gunicorn's workers are separate processes, so
# a route could be answered by another worker than the one that predicted.
PROBE = '''"""Test-only: the fraud app, recording what threadpoolctl sees in the thread that serves a prediction."""

import json
import os
import threading

from flask import request
from threadpoolctl import threadpool_info

from fraud_app import create_app

RECORD = os.environ["THREADS_PROBE_RECORD"]
VARIABLES = {variables!r}

app = create_app()
classifier = app.extensions["fraud_model"].pipeline.steps[-1][1]  # the pipeline's classifier: every path calls it
predict_proba = classifier.predict_proba


def record(moment):
    line = {{
        "moment": moment,
        "pid": os.getpid(),
        "thread": threading.get_ident(),
        "main_thread": threading.current_thread() is threading.main_thread(),
        "environment": {{name: os.environ[name] for name in VARIABLES if name in os.environ}},
        "libraries": [{{key: info[key] for key in ("user_api", "internal_api", "filepath", "num_threads")}}
                      for info in threadpool_info()],
    }}
    with open(RECORD, "a") as file:
        file.write(json.dumps(line) + "\\n")


def recording_predict_proba(frame):
    record("during")
    return predict_proba(frame)


classifier.predict_proba = recording_predict_proba


@app.before_request
def before():
    if request.path == "/api/v1/predict":
        record("before")


@app.after_request
def after(response):
    if request.path == "/api/v1/predict":
        record("after")
    return response
'''


def cores() -> int:
    """The CPUs this process may run on (what OpenMP and OpenBLAS size their pools by)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@pytest.fixture(params=list(SERVERS))
def probed(request, model_path, tmp_path, monkeypatch):
    """One server serving the probe on a free port of 127.0.0.1, and the file it records into."""
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)  # the server inherits this process's environment, minus these
    monkeypatch.delenv("FLASK_DEBUG", raising=False)  # `flask run` as a learner types it: no debugger, no reloader
    (tmp_path / "threads_probe.py").write_text(PROBE.format(variables=THREAD_VARIABLES))
    record = tmp_path / "record.jsonl"
    env = {
        "FRAUD_MODEL_PATH": str(model_path),
        "FRAUD_DATABASE": str(tmp_path / "predictions.sqlite3"),
        "DATABASE_URL": "",
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "2",  # gunicorn.conf.py's default, whatever the caller's environment says
        "THREADS_PROBE_RECORD": str(record),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])),
    }
    with course.serve_command(SERVERS[request.param], name=f"threads-{request.param}", env=env,
                              ready_path="/health", timeout=60, announce=False) as server:
        yield server, record


def test_the_model_predicts_with_one_thread_in_the_served_process(probed, transaction):
    server, record = probed
    response = requests.post(server.url + "/api/v1/predict", json=transaction, timeout=30)
    assert response.status_code == 200, response.text
    seen = {}
    for line in record.read_text().splitlines():
        observation = json.loads(line)
        seen.setdefault(observation["moment"], []).append(observation)
    assert sorted(seen) == ["after", "before", "during"], server.log()
    assert all(len(observations) == 1 for observations in seen.values()), seen
    before, during, after = seen["before"][0], seen["during"][0], seen["after"][0]

    # One request, answered in one thread of one process, a request thread (not the one that loaded the model).
    assert before["pid"] == during["pid"] == after["pid"]
    assert before["thread"] == during["thread"] == after["thread"]
    assert not during["main_thread"]
    assert during["environment"] == {}  # nothing from outside limits the libraries

    loaded = {info["filepath"]: info["user_api"] for info in before["libraries"]}
    assert "openmp" in loaded.values()  # scikit-learn's OpenMP is loaded: the limit has something to act on
    # While the model predicts: one thread for every numeric library, OpenMP and BLAS alike.
    assert {info["filepath"]: info["num_threads"] for info in during["libraries"]} == dict.fromkeys(loaded, 1)
    # Around it, in the same request thread, the libraries' own default: every core. That is what the model
    # would use without the limit; with one core there is nothing to limit.
    if cores() > 1:
        for moment in (before, after):
            assert all(info["num_threads"] > 1 for info in moment["libraries"]), moment
    assert after["libraries"] == before["libraries"]  # and the limit ends with the prediction
