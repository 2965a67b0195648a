"""A throwaway Prometheus scraping the fraud app, for chapter 08 and its test.

    app = serve_gunicorn(model_path, token, folder, metrics_token=scrape)  # as production runs it: 2 workers
    prometheus = start_prometheus(app.url, scrape)                # scrapes app.url/metrics every second
    ...                                                           # send predictions to app.url
    prometheus.wait_for("sum(fraud_predictions_total)", 30)       # until a scrape has seen all 30
    run = {"queries": {QUERY: prometheus.query(QUERY)}}           # what it showed: no port, path or time
    save_run(run, "build/prometheus/prometheus-run.json")         # shown where Prometheus is missing (load_run)
    prometheus.stop(); app.stop()

It runs an installed Prometheus (Debian's and Ubuntu's `prometheus` package puts it in /usr/bin; or the
program in $PROMETHEUS_BIN) in a new temporary folder: its own configuration, its own data, a free port
of 127.0.0.1. It never touches a Prometheus already running on the machine (the package's system service
is not started). The token it sends is the app's scrape-only FRAUD_METRICS_TOKEN, which reads /metrics and
nothing else (a Prometheus that holds it cannot read or delete stored predictions). It lives in a file of
that folder that only its owner can read, named in the configuration by ``credentials_file``, so the
configuration itself holds no secret and can be shown.
Prometheus stops with the Python process that started it, even when that process is killed.

A run saved with :func:`save_run` holds no timestamp, port or path. (The model's digest in ``fraud_model_info``
changes with every training, since the metadata holds its time: show it from a saved run, never live.)
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from prometheus_client.multiprocess import MultiProcessCollector

from course.servers import HOST, ProcessServer, _die_with_parent, free_port, serve_command

ROOT = Path(__file__).resolve().parent.parent
JOB = "fraud_app"
QUERY = "sum(fraud_predictions_total)"


class PrometheusNotFound(RuntimeError):
    """No Prometheus is installed: `apt-get install prometheus`, or set PROMETHEUS_BIN."""


def find_prometheus() -> str | None:
    """The Prometheus program: $PROMETHEUS_BIN, /usr/bin/prometheus, or `prometheus` on PATH; None if absent."""
    if os.environ.get("PROMETHEUS_BIN"):
        given = os.environ["PROMETHEUS_BIN"]
        return given if os.access(given, os.X_OK) else None
    if os.access("/usr/bin/prometheus", os.X_OK):
        return "/usr/bin/prometheus"
    return shutil.which("prometheus")


def config_text(target: str, *, scrape_interval: str = "1s", credentials_file: str = "token",
                rule_files: Sequence[str] = (), job: str = JOB, instance: str = "app") -> str:
    """Prometheus's configuration (YAML): scrape ``target`` (host:port) at /metrics with the bearer token."""
    lines = [
        "global:",
        f"  scrape_interval: {scrape_interval}",
        f"  evaluation_interval: {scrape_interval}",
    ]
    if rule_files:
        lines += ["rule_files:", *(f"  - {json.dumps(str(path))}" for path in rule_files)]
    lines += [
        "scrape_configs:",
        f"  - job_name: {job}",
        "    metrics_path: /metrics",
        "    authorization:",
        "      type: Bearer",
        f"      credentials_file: {json.dumps(str(credentials_file))}",
        "    static_configs:",
        f"      - targets: [{json.dumps(target)}]",
        # The instance label would be host:port, a free port that differs from run to run; a name instead.
        f"        labels: {{instance: {json.dumps(instance)}}}",
    ]
    return "\n".join(lines) + "\n"


class PrometheusServer:
    """A Prometheus running in the background; ``url`` is its address, :meth:`query` asks it."""

    def __init__(self, program: str, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self._log = open(folder / "prometheus.log", "wb")  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            [program, f"--config.file={folder / 'prometheus.yml'}", f"--storage.tsdb.path={folder / 'data'}",
             f"--web.listen-address={HOST}:{port}", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent,
        )
        _running.append(self)

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def log(self) -> str:
        """What Prometheus has written so far (warnings and errors only)."""
        return (self.folder / "prometheus.log").read_text(errors="replace")

    def api(self, path: str, **params) -> dict:
        """``GET /api/v1/<path>``'s ``data``; RuntimeError with Prometheus's own message if it refuses."""
        answer = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = answer.json()
        if body.get("status") != "success":
            raise RuntimeError(f"Prometheus refused {path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        """The instant query ``expr`` (PromQL), as ``[{"metric": {labels}, "value": number}]`` sorted by labels."""
        data = self.api("query", query=expr)
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": float(data["result"][1])}]
        results = [{"metric": item["metric"], "value": float(item["value"][1])} for item in data["result"]]
        return sorted(results, key=lambda item: sorted(item["metric"].items()))

    def value(self, expr: str) -> float | None:
        """The single number ``expr`` gives (``sum(...)``), or None while it gives nothing."""
        results = self.query(expr)
        if len(results) > 1:
            raise ValueError(f"{expr} gives {len(results)} series, not one number")
        return results[0]["value"] if results else None

    def targets(self) -> list[dict]:
        """The scrape targets: each one's job, health ("up", "down", "unknown") and last error."""
        return [{"job": t["labels"].get("job"), "health": t["health"], "error": t["lastError"]}
                for t in self.api("targets")["activeTargets"]]

    def wait_for_target(self, timeout: float = 60) -> None:
        """Wait until every target has been scraped once; RuntimeError with Prometheus's reason if one failed.

        The app answers before Prometheus starts, so a failed first scrape is a real error (a wrong token).
        """
        deadline = time.monotonic() + timeout
        targets: list[dict] = []
        while time.monotonic() < deadline:
            targets = self.targets()
            if targets and all(t["health"] != "unknown" for t in targets):
                if all(t["health"] == "up" for t in targets):
                    return
                raise RuntimeError(f"Prometheus could not scrape its target: {targets}")
            time.sleep(0.2)
        raise RuntimeError(f"Prometheus had not scraped its targets within {timeout:g} s: {targets}")

    def wait_for(self, expr: str, expected: float, timeout: float = 60) -> float:
        """Ask ``expr`` again (each scrape brings new numbers) until it equals ``expected``; return it.

        TimeoutError, with the last answer, if it never does: a count that stays below what was sent is
        what the test of chapter 08 is there to catch.
        """
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            seen = self.value(expr)
            if seen == expected:
                return seen
            time.sleep(0.2)
        raise TimeoutError(f"{expr} is {seen} after {timeout:g} s, not {expected:g}")

    def version(self) -> str:
        return self.api("status/buildinfo")["version"]

    def stop(self) -> None:
        """Stop Prometheus and remove its folder (configuration, token, data)."""
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        self._log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        if self in _running:
            _running.remove(self)

    def __enter__(self) -> PrometheusServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<PrometheusServer {'running' if self.running else 'stopped'}>"  # no port: outputs are compared


_running: list[PrometheusServer] = []
atexit.register(lambda: [server.stop() for server in list(_running)])


def start_prometheus(app_url: str, token: str, *, scrape_interval: str = "1s", rule_files: Sequence[str] = (),
                     timeout: float = 60) -> PrometheusServer:
    """Start Prometheus scraping ``app_url`` + /metrics with ``token``, and wait until a scrape succeeded.

    Raises PrometheusNotFound when none is installed; RuntimeError (with its log) when it does not start
    or cannot scrape the app.
    """
    program = find_prometheus()
    if program is None:
        where = f" at PROMETHEUS_BIN={os.environ['PROMETHEUS_BIN']}" if os.environ.get("PROMETHEUS_BIN") else ""
        raise PrometheusNotFound(
            f"no Prometheus found{where} (install Debian's or Ubuntu's prometheus package, "
            "or set PROMETHEUS_BIN to the program)"
        )
    folder = Path(tempfile.mkdtemp(prefix="course-prometheus-"))
    token_file = folder / "token"
    token_file.touch(mode=0o600)
    token_file.write_text(token)
    target = app_url.split("://", 1)[-1].rstrip("/")
    (folder / "prometheus.yml").write_text(
        config_text(target, scrape_interval=scrape_interval, credentials_file="token",  # beside the configuration
                    rule_files=[str(Path(path).resolve()) for path in rule_files])
    )
    server = PrometheusServer(program, folder, free_port())
    try:
        deadline = time.monotonic() + timeout
        while True:
            if not server.running:
                raise RuntimeError(f"Prometheus exited with status {server._process.returncode}:\n{server.log()}")
            try:
                if requests.get(f"{server.url}/-/ready", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Prometheus was not ready within {timeout:g} s:\n{server.log()}")
            time.sleep(0.1)
        server.wait_for_target(max(deadline - time.monotonic(), 5))
    except BaseException:
        server.stop()
        raise
    return server


def serve_gunicorn(model_path: str | os.PathLike, token: str, folder: str | os.PathLike, *, workers: int = 2,
                   name: str = "gunicorn", env: dict | None = None, metrics_token: str | None = None) -> ProcessServer:
    """The fraud app as `make app` serves it (the course's gunicorn.conf.py, ``workers`` processes) on a free port.

    ``token`` is its FRAUD_API_TOKEN, ``metrics_token`` its scrape-only FRAUD_METRICS_TOKEN (the one to give
    Prometheus).

    Its database and its metrics folder (PROMETHEUS_MULTIPROC_DIR: one file per worker and kind of metric)
    are made in ``folder``.
    """
    folder = Path(folder)
    environment = {
        "FRAUD_MODEL_PATH": str(model_path), "FRAUD_API_TOKEN": token, "WEB_CONCURRENCY": str(workers),
        "HOST": HOST, "FRAUD_DATABASE": str(folder / "predictions.sqlite3"), "DATABASE_URL": "",
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        **({"FRAUD_METRICS_TOKEN": metrics_token} if metrics_token else {}), **(env or {}),
    }
    command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "04_flask_app" / "gunicorn.conf.py")]
    return serve_command(command, name=name, env=environment, ready_path="/health", announce=False)


def counts_by_process(metrics_folder: str | os.PathLike, metric: str = "fraud_predictions_total") -> dict[int, float]:
    """How many predictions each process has counted, read from prometheus_client's files (counter_<pid>.db).

    What ``/metrics`` adds up, process by process: the proof that several workers did the counting.
    """
    counts = {}
    for path in sorted(Path(metrics_folder).glob("counter_*.db")):
        pid = int(path.stem.split("_")[1])
        counts[pid] = sum(sample.value for family in MultiProcessCollector.merge([str(path)])
                          for sample in family.samples if sample.name == metric)
    return counts


def spread_predictions(app_url: str, token: str, transactions: Sequence[dict], metrics_folder: str | os.PathLike,
                       *, workers: int = 2, batch: int = 5, max_rounds: int = 30) -> int:
    """Score ``transactions`` again and again, in parallel, until ``workers`` processes have counted some.

    Each round sends every transaction three ways at once, with the token: alone to /api/v1/predict, in batches
    of ``batch`` to /api/v1/predict, and alone to /api/v1/predictions (stored), each on a new connection, so
    that the kernel hands them to whichever worker is free. Returns how many transactions were scored: the
    number that ``sum(fraud_predictions_total)`` must show. RuntimeError if the workers never all took part.
    """
    def post(path: str, body, headers=None) -> int:
        answer = requests.post(app_url + path, json=body, headers=headers, timeout=30)
        answer.raise_for_status()
        return len(body["transactions"]) if "transactions" in body else 1

    auth = {"Authorization": f"Bearer {token}"}  # scoring with the token too: it is not rate-limited
    jobs = [("/api/v1/predict", t, auth) for t in transactions]
    jobs += [("/api/v1/predict", {"transactions": list(transactions[i:i + batch])}, auth)
             for i in range(0, len(transactions), batch)]
    jobs += [("/api/v1/predictions", t, auth) for t in transactions]
    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(max_rounds):
            sent += sum(pool.map(lambda job: post(*job), jobs))
            if sum(1 for count in counts_by_process(metrics_folder).values() if count > 0) >= workers:
                return sent
    raise RuntimeError(f"after {max_rounds} rounds fewer than {workers} processes had counted a prediction")


def save_run(run: dict, path: str | os.PathLike) -> None:
    """Write a run (what queries answered, as :meth:`PrometheusServer.query` gives it) as JSON: sorted keys and a
    fixed indent, so the same run gives the same bytes."""
    Path(path).write_text(json.dumps(run, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_run(path: str | os.PathLike) -> dict:
    """A run saved by :func:`save_run`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
