"""`make bench`: how fast is the fraud app on this machine, and where does a request's time go?

    python tools/bench.py --model models/fraud_model.pkl --out build/bench
    python tools/bench.py --model models/fraud_model.pkl --copy-to 07_heroku/bench   # refresh the course's copy

One run measures, side by side:

1. **in-process, no HTTP** (the floor): the model's ``predict_proba`` on 1, 10, 100 and 1,000 rows, the app's
   model call (``FraudModel.score``), and the whole app through Flask's test client;
2. **single-row requests over HTTP**, at a few concurrency levels: the app under Flask's development server,
   waitress and gunicorn (2 workers, the settings of ``04_flask_app/gunicorn.conf.py``), the same gunicorn
   without its access log (and with ``FRAUD_METRICS=off``), and two yardsticks under the same gunicorn
   settings: the *bare* tutorial app of ``tools/bare_app.py`` (a DataFrame, then the pickled pipeline) and the
   *floor* of ``tools/floor_app.py`` (parse the JSON, call the classifier on a row prepared at start-up); and
   ``GET /health`` (the HTTP stack with no model at all);
3. **batches**: 1, 10, 100 and 1,000 rows in one request (gunicorn, one request at a time): cost per row.

It writes into ``--out``: ``results.md`` (the table, with the machine it ran on), ``results.png`` (the chart),
``results.json`` (every number) and ``profile.txt`` (where one request's time goes, by pyinstrument: the bare
tutorial app's and the fraud app's, one row and a batch).

The targets (issue: serving close to the floor): single-row requests/s of the fraud app at least 2 × the bare
app's and at least 0.5 × the floor's, and a batch of 1,000 at least 300 × cheaper per row than single requests.

Bounded, like every load test of the course: it talks only to servers it starts itself on 127.0.0.1
(``05_testing/loadtest.py`` refuses anything else), sends a fixed number of requests, gives up measuring when
its time budget is spent (saying so in the table), and stops every server it started, even on Ctrl-C.

Robust on a shared machine: servers and workers are warmed up first; each figure is the median of
``--repeats`` rounds, and the rounds are interleaved (everything measured once, then again...), so a busy
moment of the machine hits every server alike. Each ratio is a median of ratios of two measurements taken
in the same round. `make test` checks this tool with tiny runs (tests/test_bench.py), never its timings.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata as package_metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "05_testing"))  # loadtest.py, chapter 05's bounded load generator

import course  # noqa: E402
import loadtest  # noqa: E402

# No OMP_NUM_THREADS or the like is set, here or for the servers: each server is measured as a learner
# starts it. The app itself limits the model's numeric libraries to one thread per prediction
# (fraud_app.model, with threadpoolctl), in whichever server runs it.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

GUNICORN_CONF = "04_flask_app/gunicorn.conf.py"
DATA = ROOT / "data" / "transactions.csv"
HOST = "127.0.0.1"
PACKAGES = ["Flask", "Werkzeug", "gunicorn", "waitress", "scikit-learn", "pandas", "numpy", "requests"]

#: The servers, in the order of the table: label, command (``{port}`` is filled in), what they serve.
SERVERS = {
    "dev": ("fraud app, Flask development server (threads)",
            "flask --app fraud_app.wsgi run --port {port} --no-debugger --no-reload"),
    "waitress": ("fraud app, waitress (1 process, 4 threads)",
                 "waitress-serve --listen=127.0.0.1:{port} fraud_app.wsgi:app"),
    "gunicorn": ("fraud app, gunicorn (2 workers)", f"gunicorn --config {GUNICORN_CONF}"),
    "bare": ("bare tutorial app (DataFrame + pipeline), gunicorn (2 workers)",
             f"gunicorn --config {GUNICORN_CONF} --pythonpath tools bare_app:app"),
    "floor": ("floor app (JSON + classifier on a prepared row), gunicorn (2 workers)",
              f"gunicorn --config {GUNICORN_CONF} --pythonpath tools floor_app:app"),
    "nolog": ("fraud app, gunicorn (2 workers), no access log", "gunicorn --config {nolog_conf}"),
    # gunicorn's default worker, for what the course's threaded (gthread) workers cost or save.
    "sync": ("fraud app, gunicorn (2 sync workers, no threads)",
             f"gunicorn --config {GUNICORN_CONF} --worker-class sync"),
    # The app's Prometheus metrics switched off (FRAUD_METRICS, chapter 08): what counting costs.
    "nometrics": ("fraud app, gunicorn (2 workers), FRAUD_METRICS=off", f"gunicorn --config {GUNICORN_CONF}"),
}
#: What a run measures unless told otherwise (``--servers``): every server, the app with FRAUD_METRICS=off
#: too, so that what chapter 8's metrics cost is one of the figures.
DEFAULT_SERVERS = tuple(SERVERS)
#: Settings of one server only, on top of SERVER_ENV.
SERVER_EXTRA_ENV = {"nometrics": {"FRAUD_METRICS": "off"}}
#: The targets: (pair kind, goal, what it says).
GOALS = {"app_vs_bare": 2.0, "app_vs_floor": 0.5, "batch_vs_single": 300}
HEALTH = ("health", "GET /health on gunicorn (2 workers): HTTP, no model")
#: The three apps of the chart, left to right.
CHARTED = ("bare", "gunicorn", "floor")

#: The settings the servers share, whatever their own defaults: two gunicorn workers, a database of their
#: own, no DATABASE_URL of the user's. No thread variables: see THREAD_VARIABLES.
SERVER_ENV = {
    "WEB_CONCURRENCY": "2",
    "HOST": HOST,
    "DATABASE_URL": "",
    "FLASK_DEBUG": "0",
    # The answer the benchmark has always measured (with the probability), from one client at full speed: the
    # open demo and no rate limit, on loopback only (both are refused on a platform). The limiter's own cost is
    # a lock and a dict lookup per request.
    "FRAUD_OPEN_DEMO": "on",
    "FRAUD_RATE_LIMIT": "off",
}
#: The same for the apps made in this process.
OPEN = {"OPEN_DEMO": True, "RATE_LIMIT": "off"}

NOLOG_CONF = f"""# The course's gunicorn settings with the access log switched off: `make bench` measures what it costs.
exec(compile(open({str(ROOT / GUNICORN_CONF)!r}).read(), "gunicorn.conf.py", "exec"))
accesslog = None
"""


# --- What to send -----------------------------------------------------------------------------------------

def transactions(count: int, path: Path = DATA) -> list[dict]:
    """The first ``count`` transactions of the course's data, as JSON-ready dicts of the model's features."""
    import pandas as pd

    from train import FEATURES

    frame = pd.read_csv(path, nrows=count)
    convert = {"float": float, "int": int, "bool": bool, "category": str}
    return [
        {feature["name"]: convert[feature["type"]](row[feature["name"]]) for feature in FEATURES}
        for row in frame.to_dict("records")
    ]


JSON_HEADERS = {"Content-Type": "application/json"}
OUTPUTS = ("results.md", "results.png", "results.json", "profile.txt")


def post_bodies(bodies: Sequence[bytes], path: str = "/api/v1/predict") -> Callable:
    """A ``send(session, url)`` for loadtest.run that posts the bodies in turn (encoded once, in advance)."""
    turn = itertools.cycle(bodies)

    def send(session, url):
        return session.post(url + path, data=next(turn), headers=JSON_HEADERS, timeout=30)

    return send


def get(path: str) -> Callable:
    def send(session, url):
        return session.get(url + path, timeout=30)

    return send


# --- Bounds -----------------------------------------------------------------------------------------------

@dataclass
class Budget:
    """A deadline for the measurements: once it has passed, what is left is skipped and counted."""

    seconds: float
    started: float = field(default_factory=time.monotonic)
    skipped: int = 0

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def allows(self) -> bool:
        if self.left() > 0:
            return True
        self.skipped += 1
        return False


# --- In-process: the floor --------------------------------------------------------------------------------

def per_call_ms(call: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls * 1000


def one_thread():
    """The model's numeric libraries on one thread, as the app calls them (fraud_app.model): "one core"."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


class InProcess:
    """The floor, measured in this process: the model alone, the app's model call, Flask's test client.

    ``measure_once`` times each of them for about ``seconds_each``; the HTTP rounds call it once per round,
    so that these figures too are medians of repeats spread over the whole run.
    """

    def __init__(self, model_path: Path, rows: list[dict], workdir: Path, sizes: Sequence[int],
                 seconds_each: float = 0.15):
        import warnings

        import pandas as pd

        from artefact import to_array
        from fraud_app import create_app

        app = create_app({"MODEL_PATH": str(model_path), "DATABASE": str(workdir / "in-process.sqlite3"),
                          "DATABASE_URL": None, **OPEN})
        model = app.extensions["fraud_model"]
        client = app.test_client()
        body = json.dumps(rows[0]).encode()
        assert client.post("/api/v1/predict", data=body, headers=JSON_HEADERS).status_code == 200
        arrays = {size: to_array(rows[:size], model.schema.features) for size in sizes}
        self.cases: dict[str, Callable[[], object]] = {
            f"predict_proba:{size}": (lambda X=X: model.pipeline.predict_proba(X)) for size, X in arrays.items()
        }
        prepare, classify = model.pipeline[:-1], model.pipeline[-1]
        prepared = prepare.transform(arrays[min(arrays)][:1])

        def tutorial():  # what the bare app does: a one-row DataFrame, then the pipeline
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="X has feature names")  # see tools/bare_app.py
                return model.pipeline.predict_proba(pd.DataFrame(rows[:1], columns=model.schema.names))

        self.cases["dataframe:1"] = tutorial
        self.cases["classify:1"] = lambda: classify.predict_proba(prepared)
        self.cases["score:1"] = lambda: model.score(rows[:1])
        self.cases["test_client:1"] = lambda: client.post("/api/v1/predict", data=body, headers=JSON_HEADERS)
        self.calls, self.times = {}, {name: [] for name in self.cases}
        with one_thread():
            for name, call in self.cases.items():  # warm-up (the first calls pay for lazy imports), and how many
                per_call_ms(call, 2)  # calls make one measurement last about `seconds_each`
                self.calls[name] = max(3, round(seconds_each * 1000 / per_call_ms(call, 3)))

    def measure_once(self, budget: Budget) -> None:
        with one_thread():
            for name, call in self.cases.items():
                if budget.allows():
                    self.times[name].append(per_call_ms(call, self.calls[name]))

    def summary(self) -> dict[str, float]:
        """Milliseconds per call, the median of the repeats."""
        return {name: statistics.median(values) for name, values in self.times.items() if values}


# --- Over HTTP ---------------------------------------------------------------------------------------------

def start_servers(names: Sequence[str], model_path: Path, workdir: Path) -> dict[str, course.BackgroundServer]:
    """Start the servers, each on a free port of 127.0.0.1, and wait until each answers.

    One after the other, from this thread: a server process is told to stop when the thread that started
    it ends (course.servers asks Linux for that), so starting them from short-lived threads would not do.
    """
    for variable in THREAD_VARIABLES:  # a learner's own setting would hide a broken limit in the app
        os.environ.pop(variable, None)
    nolog_conf = workdir / "gunicorn-nolog.conf.py"
    nolog_conf.write_text(NOLOG_CONF)
    servers: dict[str, course.BackgroundServer] = {}
    try:
        for name in names:
            command = SERVERS[name][1].replace("{nolog_conf}", str(nolog_conf))
            env = {**SERVER_ENV, "FRAUD_MODEL_PATH": str(model_path),
                   "FRAUD_DATABASE": str(workdir / f"{name}.sqlite3"), **SERVER_EXTRA_ENV.get(name, {})}
            servers[name] = course.serve_command(command, name=f"bench-{name}", env=env, cwd=ROOT,
                                                 ready_path="/api/v1/predict", timeout=60, announce=False)
    except BaseException:
        stop(servers)
        raise
    return servers


def stop(servers: dict[str, course.BackgroundServer]) -> None:
    for server in servers.values():
        server.stop()


@dataclass
class Cell:
    """One kind of measurement (a server, at one concurrency, with one body size), over its repeats."""

    server: str
    concurrency: int
    rows: int = 1
    per_second: list[float] = field(default_factory=list)  # requests per second, one per repeat
    per_request_ms: list[float] = field(default_factory=list)  # wall time per request, one per repeat
    latencies_ms: list[float] = field(default_factory=list)  # every request of every repeat
    not_ok: int = 0  # answers other than 200, and requests with no answer at all
    requests: int = 0

    def add(self, result: loadtest.LoadResult) -> None:
        answered = result.requests
        self.requests += answered
        self.not_ok += result.failures + sum(n for status, n in result.statuses.items() if status != 200)
        if answered:
            self.per_second.append(answered / result.seconds)
            self.per_request_ms.append(result.seconds / answered * 1000)
            self.latencies_ms += result.latencies_ms

    def summary(self) -> dict:
        ordered = loadtest.LoadResult(latencies_ms=self.latencies_ms)
        return {
            "server": self.server,
            "concurrency": self.concurrency,
            "rows": self.rows,
            "requests": self.requests,
            "repeats": len(self.per_second),
            "not_ok": self.not_ok,
            "requests_per_second": median(self.per_second),
            "ms_per_request": median(self.per_request_ms),
            "ms_per_row": median(self.per_request_ms) / self.rows if self.per_request_ms else None,
            "p50_ms": ordered.percentile(50) if self.latencies_ms else None,
            "p99_ms": ordered.percentile(99) if self.latencies_ms else None,
        }


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def measure(url: str, send: Callable, total: int, concurrency: int, budget: Budget,
            time_limit: float) -> loadtest.LoadResult | None:
    if not budget.allows():
        return None
    return loadtest.run(url, send, total=total, concurrency=concurrency, time_limit=min(time_limit, budget.left()))


def over_http(servers: dict[str, course.BackgroundServer], rows: list[dict], concurrency: Sequence[int],
              batch_sizes: Sequence[int], requests: int, repeats: int, budget: Budget, cell_limit: float,
              each_round: Callable[[], None] = lambda: None,
              ) -> tuple[list[Cell], list[Cell], list[tuple[str, int, float, float]]]:
    """Single-row cells, batch cells, and the pairs (kind, concurrency or rows, a, b) the ratios are made of.

    A round calls ``each_round`` (the in-process floor), measures every server at every concurrency, then the
    batches; the next round starts with another server. The two numbers of a pair come from the same round.
    """
    singles = post_bodies([json.dumps(row).encode() for row in rows[:200]])
    batch_sends = {size: post_bodies([json.dumps({"transactions": rows[:size]}).encode()]) for size in batch_sizes}
    names = [name for name in SERVERS if name in servers]
    cells = {(name, c): Cell(name, c) for c in concurrency for name in names}
    if "gunicorn" in servers:
        cells.update({(HEALTH[0], c): Cell(HEALTH[0], c) for c in (concurrency[0], concurrency[-1])})
    batches = {size: Cell("gunicorn", 1, rows=size) for size in batch_sizes} if "gunicorn" in servers else {}

    for server in servers.values():  # warm-up: every worker has answered before anything is timed
        loadtest.run(server.url, singles, total=20, concurrency=4, time_limit=cell_limit)
    pairs = []
    for repeat in range(repeats):
        each_round()
        this_round: dict[tuple[str, int], float] = {}
        for c in concurrency:
            order = names[repeat % len(names):] + names[: repeat % len(names)]  # a different server first each time
            for name in order:
                result = measure(servers[name].url, singles, requests, c, budget, cell_limit)
                if result is not None:
                    cells[(name, c)].add(result)
                    if result.requests:
                        this_round[(name, c)] = result.requests / result.seconds
                        this_round[("latency", name, c)] = statistics.median(result.latencies_ms)
            if (HEALTH[0], c) in cells:
                result = measure(servers["gunicorn"].url, get("/health"), requests * 2, c, budget, cell_limit)
                if result is not None:
                    cells[(HEALTH[0], c)].add(result)
        for size, cell in batches.items():
            total = max(7, min(requests, 1500 // size))
            result = measure(servers["gunicorn"].url, batch_sends[size], total, 1, budget, cell_limit)
            if result is not None:
                cell.add(result)
                if result.requests:  # milliseconds per row: the median request's latency, shared by its rows
                    this_round[("batch", size)] = statistics.median(result.latencies_ms) / size
        for c in concurrency:
            if ("gunicorn", c) in this_round and ("bare", c) in this_round:
                pairs.append(("app/bare", c, this_round[("gunicorn", c)], this_round[("bare", c)]))
            if ("gunicorn", c) in this_round and ("floor", c) in this_round:
                pairs.append(("app/floor", c, this_round[("gunicorn", c)], this_round[("floor", c)]))
            if ("gunicorn", c) in this_round and ("nometrics", c) in this_round:
                pairs.append(("metrics/nometrics", c, this_round[("gunicorn", c)], this_round[("nometrics", c)]))
            if ("gunicorn", c) in this_round and ("nolog", c) in this_round:
                pairs.append(("log/nolog", c, this_round[("gunicorn", c)], this_round[("nolog", c)]))
            if ("gunicorn", c) in this_round and ("sync", c) in this_round:
                pairs.append(("gthread/sync", c, this_round[("gunicorn", c)], this_round[("sync", c)]))
        largest = max(batch_sizes) if batch_sizes else None
        if ("latency", "gunicorn", 1) in this_round and ("batch", largest) in this_round:
            # Both sides measured alike: the median latency of a request, one request at a time, per row.
            single_row = this_round[("latency", "gunicorn", 1)]
            pairs.append(("single/batch", largest, single_row, this_round[("batch", largest)]))
    return list(cells.values()), list(batches.values()), pairs


def ratios(pairs: list[tuple[str, int, float, float]], concurrency: Sequence[int]) -> dict:
    """The three targets (and what the access log, metrics and threads cost): medians of ratios of two
    measurements from the same round."""
    def of(kind: str) -> tuple[float | None, int]:
        values = [a / b for k, _, a, b in pairs if k == kind and b]
        return median(values), len(values)

    app_bare, n_app = of("app/bare")
    app_floor, n_floor = of("app/floor")
    metrics_off, n_metrics = of("metrics/nometrics")
    log_nolog, n_log = of("log/nolog")
    threads_sync, n_threads = of("gthread/sync")
    single_batch, n_batch = of("single/batch")
    return {
        "app_vs_bare": {"value": app_bare, "pairs": n_app, "concurrency": list(concurrency),
                        "goal": GOALS["app_vs_bare"]},
        "app_vs_floor": {"value": app_floor, "pairs": n_floor, "concurrency": list(concurrency),
                         "goal": GOALS["app_vs_floor"]},
        "batch_vs_single": {"value": single_batch, "pairs": n_batch, "goal": GOALS["batch_vs_single"]},
        "metrics": {"value": metrics_off, "pairs": n_metrics, "concurrency": list(concurrency)},
        "access_log": {"value": log_nolog, "pairs": n_log, "concurrency": list(concurrency)},
        "gthread_vs_sync": {"value": threads_sync, "pairs": n_threads, "concurrency": list(concurrency)},
    }


# --- Where the time goes: a profile -----------------------------------------------------------------------

def profile(model_path: Path, rows: list[dict], workdir: Path, singles: int = 300, batches: int = 30) -> str:
    """pyinstrument's view of a single-row request to the bare tutorial app, of the pickled pipeline on the app's
    one-row array, of a single-row request to the fraud app and of a batch of 1,000 to it, in this process (Flask's
    test client, no HTTP), the model's numeric libraries on one thread."""
    import importlib

    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer

    from fraud_app import create_app

    app = create_app({"MODEL_PATH": str(model_path), "DATABASE": str(workdir / "profile.sqlite3"),
                      "DATABASE_URL": None, **OPEN})
    previous = os.environ.get("FRAUD_MODEL_PATH")
    os.environ["FRAUD_MODEL_PATH"] = str(model_path)
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        sys.modules.pop("bare_app", None)
        bare = importlib.import_module("bare_app").app
    finally:
        sys.path.remove(str(ROOT / "tools"))
        sys.modules.pop("bare_app", None)
        if previous is None:
            os.environ.pop("FRAUD_MODEL_PATH")
        else:
            os.environ["FRAUD_MODEL_PATH"] = previous
    import sklearn

    def posting(client, body: bytes) -> Callable[[], object]:
        return lambda: client.post("/api/v1/predict", data=body, headers=JSON_HEADERS)

    from artefact import to_array

    model = app.extensions["fraud_model"]

    row = to_array(rows[:1], model.schema.features)

    def pipeline_on_array():
        with sklearn.config_context(assume_finite=True):  # as FraudModel.score called it
            return model.pipeline.predict_proba(row)

    one = json.dumps(rows[0]).encode()
    through = "requests through Flask's test client"
    parts = []
    batch = json.dumps({"transactions": rows[:1000]}).encode()
    dispatch = "full_dispatch_request"
    for label, call, count, what, root in (
        ("the bare tutorial app (tools/bare_app.py), POST /api/v1/predict with one transaction",
         posting(bare.test_client(), one), singles, through, dispatch),
        ("the pickled pipeline's predict_proba on the app's one-row array, no Flask (how FraudModel.score called "
         "the model before it served the fitted preparation with NumPy)", pipeline_on_array, singles, "calls",
         "Pipeline.predict_proba"),
        ("the fraud app, POST /api/v1/predict with one transaction", posting(app.test_client(), one), singles,
         through, dispatch),
        (f"the fraud app, POST /api/v1/predict with a batch of {min(1000, len(rows))} transactions",
         posting(app.test_client(), batch), batches, through, dispatch),
    ):
        # On one thread, as the fraud app runs its model: the bare app does not limit the numeric libraries,
        # and the profile is about the code's own costs, not about threads waiting for each other.
        with one_thread():
            for _ in range(3):
                call()
            profiler = Profiler(interval=0.0005)
            profiler.start()
            for _ in range(count):
                call()
            profiler.stop()
        text = profiler.output(ConsoleRenderer(unicode=False, color=False, show_all=True, time="percent_of_total"))
        per_request = profiler.last_session.duration / count * 1000
        parts.append(f"{label}: {count} {what}, "
                     f"{per_request:.2f} ms each (the profiler adds some; one thread)\n\n" + compact(text, root=root))
    return "\n\n".join(parts) + "\n"


def compact(text: str, min_percent: float = 2.0, depth: int = 14, root: str = "full_dispatch_request") -> str:
    """pyinstrument's tree from ``root`` (the app's view) down: frames of at least ``min_percent`` %, paths short."""
    lines, top = [], None
    for line in text.splitlines():
        found = re.match(r"^([ |`\-]*?)(\d+\.\d+)% (.*)$", line)
        if not found:
            continue
        level = len(found.group(1)) // 3
        what = found.group(3)
        if top is None:
            if root not in what:
                continue
            top = level
        if level < top:
            break
        percent = float(found.group(2))
        if percent >= min_percent and level - top <= depth:
            what = re.sub(r"\S*site-packages/|(\.\./)+", "", what).replace(str(ROOT) + "/", "")
            lines.append(f"{'  ' * (level - top)}{percent:5.1f}%  {what}")
    return "\n".join(lines)


# --- Reporting --------------------------------------------------------------------------------------------

def machine() -> dict:
    """What the numbers were measured on: processor, cores, Python and the libraries (no names or paths)."""
    cpu = platform.processor() or platform.machine()
    try:
        models = re.findall(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = models[0].strip() if models else cpu
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cores": usable,
        "system": platform.system(),
        "python": platform.python_version(),
        "packages": {name: package_metadata.version(name) for name in PACKAGES},
    }


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}" if value < 10 else f"{value:.1f}"


def markdown(results: dict) -> str:
    m, r, settings = results["machine"], results["ratios"], results["settings"]
    versions = ", ".join(f"{name} {version}" for name, version in m["packages"].items())
    lines = [
        "# Serving benchmark of the fraud app",
        "",
        f"Measured by `make bench` (`tools/bench.py`) on **{m['cpu']}, {m['cores']} cores**, {m['system']}, "
        f"Python {m['python']}; {versions}.",
        f"Client and servers share those cores; only 127.0.0.1 is used. Each figure is the median of "
        f"{settings['repeats']} rounds, interleaved, of {settings['requests']} requests each (batches: 7 or more "
        f"requests); the run took {results['seconds']:.0f} s.",
    ]
    if results["skipped"]:
        lines.append(f"**Stopped early**: the time budget ran out and {results['skipped']} measurement(s) were "
                     "skipped.")
    app_bare, batch = r["app_vs_bare"], r["batch_vs_single"]
    app_floor = r.get("app_vs_floor", {"value": None, "pairs": 0, "goal": GOALS["app_vs_floor"]})

    def verdict(value, goal):
        return "n/a" if value is None else ("yes" if value >= goal else "**no**")

    levels = [str(c) for c in app_bare["concurrency"]]
    levels = ", ".join(levels[:-1]) + " and " + levels[-1] if len(levels) > 1 else "".join(levels)
    lines += [
        "",
        "## Targets",
        "",
        "| target | goal | measured | met |",
        "|---|---|---|---|",
        f"| single-row requests/s under gunicorn (2 workers): fraud app ÷ bare tutorial app "
        f"(median of {app_bare['pairs']} pairs from the same round, concurrency {levels}) "
        f"| ≥ {app_bare['goal']:g} | {number(app_bare['value'], 2)} | {verdict(app_bare['value'], app_bare['goal'])} |",
        f"| single-row requests/s under gunicorn (2 workers): fraud app ÷ floor app "
        f"(median of {app_floor['pairs']} pairs from the same round, concurrency {levels}) "
        f"| ≥ {app_floor['goal']:g} | {number(app_floor['value'], 2)} "
        f"| {verdict(app_floor['value'], app_floor['goal'])} |",
        f"| cost per row: 1,000 single requests ÷ one request with a batch of 1,000, one request at a time "
        f"(median latencies; median of {batch['pairs']} pairs) "
        f"| ≥ {batch['goal']:g} | {number(batch['value'], 0)} | {verdict(batch['value'], batch['goal'])} |",
        "",
        "## In-process, no HTTP (the floor)",
        "",
        "| what | ms per call | calls/s (one core) |",
        "|---|---|---|",
    ]
    floor = results["in_process"]
    floor_labels = {"test_client:1": "the whole app through Flask's test client: POST /api/v1/predict, 1 row",
                    "score:1": "the app's model call: `FraudModel.score`, 1 row (array, model, answer)",
                    "dataframe:1": "the tutorial's model call: `predict_proba` on a one-row DataFrame",
                    "classify:1": "the floor's model call: the classifier alone on a prepared row"}
    for key in ("test_client:1", "score:1", "dataframe:1", "classify:1",
                *sorted((k for k in floor if k.startswith("predict_proba:")), key=lambda k: int(k.split(":")[1]))):
        if key in floor:
            size = int(key.split(":")[1])
            label = floor_labels.get(key, f"the model alone: `predict_proba` on an array, {size:,} "
                                          f"row{'s' if size > 1 else ''}")
            lines.append(f"| {label} | {ms(floor[key])} | {number(1000 / floor[key], 0)} |")
    lines += [
        "",
        "## Single-row requests over HTTP",
        "",
        "| server | concurrency | requests/s | p50 ms | p99 ms | not 200 |",
        "|---|---|---|---|---|---|",
    ]
    labels = {name: label for name, (label, _) in SERVERS.items()} | {HEALTH[0]: HEALTH[1]}
    for cell in results["http"]:
        lines.append(f"| {labels[cell['server']]} | {cell['concurrency']} | {number(cell['requests_per_second'], 0)} "
                     f"| {ms(cell['p50_ms'])} | {ms(cell['p99_ms'])} | {cell['not_ok']} |")
    if results["ratios"].get("metrics", {}).get("value") is not None:
        lines += ["", f"With its metrics, the fraud app serves {number(results['ratios']['metrics']['value'], 2)} "
                      "× the requests per second it serves with `FRAUD_METRICS=off` (median of pairs from the same "
                      "round)."]
    if results["ratios"]["access_log"]["value"] is not None:
        lines += ["", f"With its access log, gunicorn serves {number(results['ratios']['access_log']['value'], 2)} "
                      "× the requests per second it serves without (median of pairs from the same round)."]
    if results["ratios"].get("gthread_vs_sync", {}).get("value") is not None:
        lines += ["", f"With threaded (gthread) workers, gunicorn serves "
                      f"{number(results['ratios']['gthread_vs_sync']['value'], 2)} × the requests per second of its "
                      "default sync workers (median of pairs from the same round): the price of surviving stalled "
                      "clients."]
    lines += [
        "",
        "## Batches: many rows in one request (fraud app, gunicorn, one request at a time)",
        "",
        "| rows per request | ms per request | ms per row | rows/s | the model alone, ms per row |",
        "|---|---|---|---|---|",
    ]
    for cell in results["batches"]:
        alone = floor.get(f"predict_proba:{cell['rows']}")
        lines.append(f"| {cell['rows']:,} | {ms(cell['ms_per_request'])} | {ms(cell['ms_per_row'])} "
                     f"| {number(1000 / cell['ms_per_row'] if cell['ms_per_row'] else None, 0)} "
                     f"| {ms(alone / cell['rows'] if alone else None)} |")
    return "\n".join(lines) + "\n"


def chart(results: dict, path: Path) -> None:
    """Two panels: single-row requests/s of the three apps (bare tutorial app, fraud app, floor) by concurrency,
    with the measured ratios; cost per row by batch size. The other servers are in the table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5.4), gridspec_kw={"width_ratios": [1.35, 1]})
    cells = [cell for cell in results["http"] if cell["server"] in CHARTED]
    servers = [name for name in CHARTED if any(cell["server"] == name for cell in cells)]
    levels = sorted({cell["concurrency"] for cell in cells})
    width = 0.8 / max(1, len(servers))
    colours = {"dev": "#9e9e9e", "waitress": "#c2855b", "gunicorn": "#2457a6", "nolog": "#7fa6dc", "bare": "#2e8b57",
               "sync": "#6a4c93", "floor": "#e0a100", "nometrics": "#4fc3c3"}
    for i, server in enumerate(servers):
        values = [next((c["requests_per_second"] or 0 for c in cells if c["server"] == server
                        and c["concurrency"] == level), 0) for level in levels]
        left.bar([x + (i - (len(servers) - 1) / 2) * width for x in range(len(levels))], values, width,
                 label=SERVERS[server][0], color=colours[server])
    r = results["ratios"]
    said = [f"{text} {r[key]['value']:.2f} (goal ≥ {r[key]['goal']:g})" for key, text in
            (("app_vs_bare", "fraud app ÷ bare:"), ("app_vs_floor", "fraud app ÷ floor:"))
            if r.get(key, {}).get("value") is not None]
    if said:
        left.text(0.02, 0.97, "\n".join(said), transform=left.transAxes, va="top", fontsize=9)
    left.set(title="Single-row requests per second (more is better)", xlabel="concurrent clients",
             ylabel="requests per second", xticks=range(len(levels)), xticklabels=[str(c) for c in levels])
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False)

    batches = [cell for cell in results["batches"] if cell["ms_per_row"]]
    if batches:
        sizes = [cell["rows"] for cell in batches]
        right.plot(sizes, [cell["ms_per_row"] for cell in batches], "o-", color="#2457a6",
                   label="over HTTP: fraud app, gunicorn, one request at a time")
        model_sizes = [s for s in sizes if f"predict_proba:{s}" in results["in_process"]]
        right.plot(model_sizes, [results["in_process"][f"predict_proba:{s}"] / s for s in model_sizes], "s--",
                   color="#b3261e", label="the model alone, in-process")
        right.set(xscale="log", yscale="log", xticks=sizes)
        right.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))
        right.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:g}"))
        right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    right.set(title="Cost per row (less is better)", xlabel="rows per request", ylabel="milliseconds per row")
    m = results["machine"]
    figure.suptitle(f"The fraud app on {m['cpu']}, {m['cores']} cores, Python {m['python']} (make bench)",
                    fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)


# --- The whole run ----------------------------------------------------------------------------------------

def run(model: Path, out: Path, *, repeats: int = 7, requests: int = 50, concurrency: Sequence[int] = (1, 2, 8),
        batch_sizes: Sequence[int] = (1, 10, 100, 1000), servers: Sequence[str] = DEFAULT_SERVERS,
        budget_seconds: float = 90, in_process_seconds: float = 0.15, profile_requests: int = 300,
        log: Callable[[str], None] = print) -> dict:
    """Measure, write ``results.{md,png,json}`` and ``profile.txt`` into ``out``, return the results."""
    started = time.monotonic()
    budget = Budget(budget_seconds)
    model = Path(model).resolve()
    if not model.exists():
        raise SystemExit(f"no model at {model}: run `make model` first")
    unknown = set(servers) - set(SERVERS)
    if unknown:
        raise SystemExit(f"unknown server(s) {', '.join(sorted(unknown))}; choose from {', '.join(SERVERS)}")
    out.mkdir(parents=True, exist_ok=True)
    rows = transactions(1000)
    def log_at(message: str) -> None:
        log(f"[{time.monotonic() - started:5.1f} s] {message}")

    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        workdir = Path(folder)
        log_at(f"starting {len(servers)} server(s) on {HOST}: {', '.join(servers)}")
        running = start_servers(servers, model, workdir)
        try:
            floor = InProcess(model, rows, workdir, batch_sizes or (1,), in_process_seconds)
            log_at(f"measuring: {repeats} round(s) of the floor in-process and, over HTTP, single rows at "
                   f"concurrency {', '.join(map(str, concurrency))} and batches of {', '.join(map(str, batch_sizes))}")
            cells, batches, pairs = over_http(running, rows, concurrency, batch_sizes, requests, repeats, budget,
                                              cell_limit=20, each_round=lambda: floor.measure_once(budget))
        finally:
            stop(running)
        log_at("profiling one request in-process")
        profile_text = profile(model, rows, workdir, singles=profile_requests, batches=max(2, profile_requests // 10))
    results = {
        "machine": machine(),
        "settings": {"repeats": repeats, "requests": requests, "concurrency": list(concurrency),
                     "batch_sizes": list(batch_sizes), "servers": list(servers), "host": HOST,
                     "budget_seconds": budget_seconds},
        "in_process": floor.summary(),
        "http": [cell.summary() for cell in cells],
        "batches": [cell.summary() for cell in batches],
        "ratios": ratios(pairs, concurrency),
        "skipped": budget.skipped,
        "seconds": time.monotonic() - started,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(markdown(results))
    (out / "profile.txt").write_text(profile_text)
    chart(results, out / "results.png")
    log_at(f"done{f'; the time budget ran out, {budget.skipped} measurement(s) skipped' if budget.skipped else ''}")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "fraud_model.pkl")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--repeats", type=int, default=7, help="rounds of measurements (default 7)")
    parser.add_argument("--requests", type=int, default=50, help="requests per measurement (default 50)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 8])
    parser.add_argument("--batch-sizes", type=int, nargs="*", default=[1, 10, 100, 1000])
    parser.add_argument("--servers", nargs="+", default=list(DEFAULT_SERVERS), choices=list(SERVERS),
                        help=f"which servers (default: all); choose from {', '.join(SERVERS)}")
    parser.add_argument("--budget", type=float, default=90, help="seconds of measuring at most (default 90)")
    parser.add_argument("--copy-to", type=Path, help="also copy the results there (the course's copy)")
    args = parser.parse_args(argv)
    if not 1 <= args.repeats <= 10 or not all(1 <= c <= 64 for c in args.concurrency):
        parser.error("keep it small: 1 to 10 repeats, 1 to 64 concurrent clients")
    if not all(1 <= size <= 1000 for size in args.batch_sizes):
        parser.error("batch sizes go from 1 to 1,000 rows (the app's limit)")
    results = run(args.model, args.out, repeats=args.repeats, requests=args.requests,
                  concurrency=sorted(set(args.concurrency)), batch_sizes=sorted(set(args.batch_sizes)),
                  servers=args.servers, budget_seconds=args.budget)
    print()
    print((args.out / "results.md").read_text())
    print(f"Written: {', '.join(str(args.out / name) for name in OUTPUTS)}")
    if args.copy_to:
        args.copy_to.mkdir(parents=True, exist_ok=True)
        for name in OUTPUTS:
            shutil.copy2(args.out / name, args.copy_to / name)
        print(f"Copied to {args.copy_to}")
    targets = results["ratios"]
    met = all(targets[key]["value"] is not None and targets[key]["value"] >= targets[key]["goal"] for key in GOALS)
    for key in GOALS:
        value = targets[key]["value"]
        print(f"{key}: {'n/a' if value is None else f'{value:.2f}'} (goal {targets[key]['goal']:g})")
    print(f"All three targets met: {'yes' if met else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
