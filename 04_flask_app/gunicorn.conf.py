"""gunicorn's settings for the fraud app; every value can be overridden from the environment.

PORT              where to listen (Heroku and most platforms set it)   default 8000
HOST              the interface: 127.0.0.1 on a laptop, 0.0.0.0 in a container
WEB_CONCURRENCY   worker processes (Heroku sets it from the dyno size)  default 2
GUNICORN_THREADS  threads per worker                                   default 8
GUNICORN_TIMEOUT  seconds before a silent worker is restarted          default 30
GUNICORN_READ_TIMEOUT  seconds a client has to send its whole request  default 10
GUNICORN_MAX_REQUESTS  requests a worker serves before it is replaced  default 1000 (0: never)
PROMETHEUS_MULTIPROC_DIR  where the workers keep their metrics          default: a new temporary folder

Each value is checked here, before anything starts: a bad one stops gunicorn with one line and exit
status 1 (WEB_CONCURRENCY=abc, GUNICORN_TIMEOUT=30s, or WEB_CONCURRENCY=0, a server with no worker).
"""

import atexit
import glob
import os
import re
import shutil
import sys
import tempfile


def _setting(name, default, low, high, *, decimal=False):
    """The environment variable ``name`` as a number from low to high, or a one-line stop."""
    text = os.environ.get(name, "").strip() or default
    kind = "a number" if decimal else "a whole number"
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?" if decimal else r"[0-9]+", text):  # ASCII digits: no "1_0", no "٥"
        value = float(text) if decimal else int(text)
        if low <= value <= high:
            return value
    sys.exit(f"gunicorn cannot start: {name}={os.environ[name]!r} is not valid: it accepts {kind} "
                 f"from {low} to {high}")


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{_setting('PORT', '8000', 0, 65535)}"
workers = _setting("WEB_CONCURRENCY", "2", 1, 64)
wsgi_app = "fraud_app.wsgi:app"

# The gthread worker: each worker process runs a pool of threads, and a thread waits on one connection.
# With gunicorn's default sync worker a process waits on a single socket, so two clients that send
# headers and half a body (slowly, or never) hold both workers, and /health stops answering. With
# threads, stalled clients hold threads, not the service; `timeout` restarts a worker that stops
# answering gunicorn; `keepalive` closes an idle kept-alive connection after a few seconds.
# The cost (chapter 07's bench): threads share a process's GIL, so the model's CPU work does not run
# faster with more of them; they let one process wait on many sockets at once.
#
# gthread alone is not enough against clients that send their request slowly, or part of it and then
# nothing: a thread waits on each of them, and 30 of them hold all 16 threads. So the worker is
# gthread with one change (fraud_app/serving.py, chapter 07 explains it): its event loop reads each
# request whole, without blocking, before a thread serves it, and closes the connection of a client
# that has not sent its request GUNICORN_READ_TIMEOUT seconds after it began. It also answers what
# gunicorn refuses itself (a request line over limit_request_line, 4,094 bytes: 414; a malformed
# header: 400) with the API's JSON error and the app's security headers.
worker_class = "fraud_app.serving.BufferedThreadWorker"
threads = _setting("GUNICORN_THREADS", "8", 1, 64)
timeout = _setting("GUNICORN_TIMEOUT", "30", 1, 3600)
_setting("GUNICORN_READ_TIMEOUT", "10", 0.5, 600, decimal=True)  # read by the worker
keepalive = 5

# A worker is replaced by a fresh one after max_requests requests (and up to max_requests_jitter more,
# drawn at random, so that the workers are not all replaced at once): memory a worker gathered by
# answering large or hostile requests goes back to the system. The model is loaded in the master
# (preload_app below), so a new worker starts in milliseconds.
max_requests = _setting("GUNICORN_MAX_REQUESTS", "1000", 0, 10_000_000)
max_requests_jitter = max_requests // 10

# Nothing is written outside /tmp, so that the image runs with a read-only file system (docker run
# --read-only --tmpfs /tmp): each worker's heartbeat file goes there too (gunicorn's default is also
# the system's temporary folder; /dev/shm, often advised, is 64 MB and may be missing).
worker_tmp_dir = tempfile.gettempdir()

# The model's numeric libraries (OpenMP, BLAS) use one thread per prediction: fraud_app.model sets
# that around each call with threadpoolctl, so it holds in gunicorn, waitress and the development
# server alike, without environment variables.

# Load the app (and verify and unpickle the model) once in the master process, before the
# workers are forked: a model that fails its checks stops the server at start-up instead of
# making every worker crash and restart, and the workers share the loaded model's memory.
preload_app = True

# Logs go to stdout, where platforms such as Heroku and Docker collect them, in the app's format
# (fraud_app.logs): time, level, request id. The access line names the request id the app sent back.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s [-] %(name)s: %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "line"}},
    "root": {"handlers": ["stdout"], "level": "WARNING"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}

# gunicorn's control socket lives under the home folder by default; the app does not use it,
# and several servers (tests, a notebook) running at once would fight over it.
control_socket_disable = True

# Metrics (fraud_app.metrics, chapter 08): each worker process counts its own requests, and GET /metrics must
# add up every worker's counts. prometheus_client's multiprocess mode does that through files in the folder
# PROMETHEUS_MULTIPROC_DIR, which must be set before the app (and so prometheus_client) is imported. This file
# runs first, in gunicorn's master process: it makes a fresh folder, or empties the one it is given (numbers
# left from an earlier run would be added to this one's), and the hooks below keep the folder in order.
_metrics_folder_made = None
if os.environ.get("FRAUD_METRICS", "").strip().lower() != "off":
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
        for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
            os.remove(stale)
    else:
        _metrics_folder_made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="fraud-metrics-")
        _master = os.getpid()

        @atexit.register
        def _remove_metrics_folder_if_the_server_never_started():
            # A server that stops at start-up (a bad setting, a model that fails its checks) never calls on_exit.
            # Workers are forked from this process and inherit this hook: only the master removes the folder.
            if os.getpid() == _master:
                shutil.rmtree(_metrics_folder_made, ignore_errors=True)


def child_exit(server, worker):
    """A worker ended (stopped, crashed, restarted after a timeout): its live gauges go with it; its counts stay."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """The server stops: remove the metrics folder this file made (one it was given is left, emptied at start)."""
    if _metrics_folder_made:
        shutil.rmtree(_metrics_folder_made, ignore_errors=True)
