"""``GET /metrics``: what the service is doing, in Prometheus's text format (a token).

It takes the API token (FRAUD_API_TOKEN) or the scrape-only FRAUD_METRICS_TOKEN, the one Prometheus should
hold: it reads this page and nothing else.

Prometheus (chapter 08) fetches this page every few seconds, a *scrape*, and keeps every number as a time
series it can graph and alert on. The app keeps three, with prometheus_client, Prometheus's own library:

| metric | type | labels | what it counts |
|---|---|---|---|
| ``fraud_predictions_total`` | counter | ``decision``: ``fraud``, ``legit`` | every scored transaction (1) |
| ``fraud_request_duration_seconds`` | histogram | ``endpoint``, ``status`` | how long each request took to answer |
| ``fraud_model_info`` | gauge, always 1 | ``version``, ``digest`` | the model served: version, artefact_sha256 |

(1) each row of a batch, the form's transaction, and each stored prediction's.

``endpoint`` is the name of the Flask view that answered (``api.predict``, ``web.form``, ``unmatched`` for a
URL that matched no route), never the URL itself: ``/api/v1/predictions/1``, ``/2``, ... would each make a
new time series, without end, and a client could fill Prometheus's memory by asking for made-up paths.
Labels must take few values. The model's version is a gauge whose value is 1 and whose labels carry the
version: the usual form of an "info" metric (prometheus_client's own ``Info`` cannot be summed over
processes, below).

**Several processes.** gunicorn runs the app in several worker processes, and a scrape reaches one of them:
counts kept in each process's memory would show that worker's share only, a different one each time.
prometheus_client's *multiprocess mode* has each process write its numbers to files in a folder, the
environment variable PROMETHEUS_MULTIPROC_DIR, and ``/metrics`` adds up every process's files. The folder
must be set before prometheus_client is imported, and start empty: gunicorn.conf.py makes a fresh one when
the server starts, tells prometheus_client when a worker dies, and removes the folder when the server stops.
Without PROMETHEUS_MULTIPROC_DIR (``flask run``, waitress, a test client: one process), the numbers live in
memory. A folder set but missing, or set after prometheus_client was imported, stops the app at start-up.

FRAUD_METRICS=off leaves all of this out: no ``/metrics`` (404) and nothing counted. The benchmark
compares the two to measure what the metrics cost per request.
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector

from fraud_app.auth import require_metrics_token
from fraud_app.config import ConfigError

bp = Blueprint("metrics", __name__)

DECISIONS = ("fraud", "legit")
UNMATCHED = "unmatched"  # the endpoint label of a request that matched no route (a 404, a 405)


def multiprocess_folder() -> str | None:
    """PROMETHEUS_MULTIPROC_DIR when set (and usable); None for single-process mode. Raises ConfigError."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    in_files = values.ValueClass is not values.MutexValue  # decided by prometheus_client when it was imported
    if not folder:
        if in_files:
            raise ConfigError("PROMETHEUS_MULTIPROC_DIR is empty, or was unset after prometheus_client was imported")
        return None
    if not os.path.isdir(folder):
        raise ConfigError(f"PROMETHEUS_MULTIPROC_DIR={folder!r} is not valid: it accepts an existing folder")
    if not in_files:
        raise ConfigError(
            "PROMETHEUS_MULTIPROC_DIR was set after prometheus_client was imported: set it before the server starts"
        )
    return folder


class Metrics:
    """The app's metrics, in a registry of their own (each app its own numbers, in a test too)."""

    def __init__(self, model, folder: str | None) -> None:
        self.folder = folder
        self.registry = CollectorRegistry()
        self.predictions = Counter(
            "fraud_predictions", "Scored transactions, by the model's decision.", ["decision"], registry=self.registry
        )
        self.duration = Histogram(
            "fraud_request_duration_seconds", "Time to answer a request, by endpoint (Flask view) and HTTP status.",
            ["endpoint", "status"], registry=self.registry,
        )
        # "max" over processes: one series, not one per worker (they all serve the same model).
        self.model = Gauge(
            "fraud_model_info", "The model served: its version and artefact digest (the value is always 1).",
            ["version", "digest"], multiprocess_mode="max", registry=self.registry,
        )
        self.model.labels(model.version, model.digest).set(1)
        for decision in DECISIONS:  # both series exist from the start, at 0: rate() needs a first sample
            self.predictions.labels(decision)

    def count(self, outcomes: list[dict]) -> None:
        flagged = sum(1 for outcome in outcomes if outcome["is_fraud"])
        self.predictions.labels("fraud").inc(flagged)
        self.predictions.labels("legit").inc(len(outcomes) - flagged)

    def exposition(self) -> bytes:
        """The text Prometheus reads: this process's numbers, or in multiprocess mode every process's, summed."""
        if self.folder is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.folder)
        return generate_latest(registry)


def count_predictions(outcomes: list[dict]) -> list[dict]:
    """Count scored transactions (``FraudModel.score``'s result) by decision, and return them unchanged.

    Nothing is counted when metrics are off (FRAUD_METRICS=off).
    """
    metrics = current_app.extensions.get("fraud_metrics")
    if metrics is not None:
        metrics.count(outcomes)
    return outcomes


def start_timer() -> None:
    g.metrics_started = time.perf_counter()


def observe_duration(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        current_app.extensions["fraud_metrics"].duration.labels(
            request.endpoint or UNMATCHED, str(response.status_code)
        ).observe(time.perf_counter() - started)
    return response


@bp.get("/metrics")
@require_metrics_token
def metrics():
    return Response(current_app.extensions["fraud_metrics"].exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)


def init_app(app: Flask) -> None:
    """With METRICS on (FRAUD_METRICS, default on): keep the metrics, time every request, serve /metrics."""
    if not app.config["METRICS"]:
        return
    app.extensions["fraud_metrics"] = Metrics(app.extensions["fraud_model"], multiprocess_folder())
    app.before_request(start_timer)
    app.after_request(observe_duration)
    app.register_blueprint(bp)
