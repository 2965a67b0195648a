"""gunicorn's settings for the fraud app; every value can be overridden from the environment.

PORT              where to listen (Heroku and most platforms set it)   default 8000
HOST              the interface: 127.0.0.1 on a laptop, 0.0.0.0 in a container
WEB_CONCURRENCY   worker processes (Heroku sets it from the dyno size)  default 2
GUNICORN_THREADS  threads per worker                                   default 8
GUNICORN_TIMEOUT  seconds before a silent worker is restarted          default 30
PROMETHEUS_MULTIPROC_DIR  where the workers keep their metrics          default: a new temporary folder
"""

import atexit
import glob
import os
import shutil
import tempfile

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
wsgi_app = "fraud_app.wsgi:app"

# The gthread worker: each worker process runs a pool of threads, and a thread waits on one connection.
# With gunicorn's default sync worker a process waits on a single socket, so two clients that send
# headers and half a body (slowly, or never) hold both workers, and /health stops answering. With
# threads, stalled clients hold threads, not the service; `timeout` restarts a worker that stops
# answering gunicorn; `keepalive` closes an idle kept-alive connection after a few seconds.
# The cost (chapter 07's bench): threads share a process's GIL, so the model's CPU work does not run
# faster with more of them; they let one process wait on many sockets at once.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
keepalive = 5

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
