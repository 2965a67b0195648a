"""Run the simulated weeks against the app, and read its monitoring endpoint week by week.

Sending eight thousand transactions one request at a time would take minutes, too long for a notebook run in
a lesson (the API stores one prediction per POST). So the weeks are written straight into the app's database, with
the app's own code: its model scores them (``FraudModel.score``, as every API call does) and its table
holds them (``fraud_app.db.predictions``), each dated inside its simulated week, and the labels are set
when they arrive. What is read back comes from the real app over HTTP: ``GET /api/v1/monitoring``.
The chapter sends real requests through the API where the API is the lesson (its first section).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import sqlalchemy as sa

from fraud_app import db

#: A log line's time stamp, and a duration: they change at every run.
_LOG_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")
_DURATION = re.compile(r" \d+ms ")
#: An artefact's digest (SHA-256, 64 hexadecimal digits): it differs at every training.
_DIGEST = re.compile(r"\b[0-9a-f]{64}\b")


def request_log_lines(server, request_id: str, expected: int, timeout: float = 5) -> list[str]:
    """The log lines of one request, found by its id, without the parts that change from run to run.

    Waits until ``expected`` lines name the id (gunicorn writes a request's access line just after it
    answered); the time stamp, the duration and the id itself are shown as ``<...>`` placeholders.
    """
    deadline = time.monotonic() + timeout
    while server.log().count(request_id) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    found = [line for line in server.log().splitlines() if request_id in line]
    return [_DURATION.sub(" <ms>ms ", _LOG_TIME.sub("", line)).replace(request_id, "<request id>") for line in found]


def metric_lines(exposition: str, families: tuple[str, ...]) -> list[str]:
    """The lines of Prometheus's text format for ``families``, in that order, each family's series sorted.

    The page's order may vary, and the artefact's digest differs at every training: it reads ``<artefact_sha256>``.
    """
    lines = _DIGEST.sub("<artefact_sha256>", exposition).splitlines()
    shown = []
    for family in families:
        shown += [line for line in lines if line.startswith((f"# HELP {family} ", f"# TYPE {family} "))]
        shown += sorted(line for line in lines if line.startswith((f"{family}{{", f"{family} ")))
    return shown


def refusal_reason(error: Exception, names: dict[str, str]) -> str:
    """Why the app refused to start (the text after the artefact's path), each digest named by ``names``.

    An :class:`artefact.ArtefactError` names the artefact's path and its digests' first 12 digits, which change
    at every run: ``names`` maps each full digest to a name such as ``"<new>"``.
    """
    reason = str(error).split(": ", 1)[-1]
    for digest, name in names.items():
        reason = reason.replace(digest[:12], name)
    return reason


#: Monday of the first simulated week. A fixed date in the past: the notebook prints the same every time.
START = datetime(2025, 1, 6, tzinfo=UTC)
WEEK = timedelta(days=7)


def week_start(number: int) -> datetime:
    return START + (number - 1) * WEEK


def iso(moment: datetime) -> str:
    return db.iso(moment)


@dataclass
class Simulation:
    """The app's database as the weeks go by: predictions written, labels arriving."""

    app: object  # a fraud_app Flask app on the same database as the server (its model, its engine)
    ids: dict[int, list[int]] = field(default_factory=dict)  # week -> the ids of its predictions

    def write_week(self, week) -> None:
        """Score ``week``'s transactions with the app's model and store them, spread over the week."""
        outcomes = self.app.extensions["fraud_model"].score(week.transactions)
        step = WEEK / len(week.transactions)
        rows = []
        for index, (inputs, outcome) in enumerate(zip(week.transactions, outcomes, strict=True)):
            moment = week_start(week.number) + index * step
            moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # the API's precision
            rows.append({"inputs": inputs, "fraud_probability": outcome["fraud_probability"],
                         "is_fraud": outcome["is_fraud"], "threshold": outcome["threshold"],
                         "model_version": outcome["model_version"], "created_at": moment, "updated_at": moment})
        table = db.predictions
        with self.app.app_context(), db.engine().begin() as connection:
            connection.execute(table.insert(), rows)
            # The ids the database gave them (never reused, so not simply counted): the newest, oldest first.
            newest = connection.scalars(sa.select(table.c.id).order_by(table.c.id.desc()).limit(len(rows))).all()
        self.ids[week.number] = newest[::-1]

    def deliver_labels(self, weeks, now: int) -> int:
        """Set the labels that arrive in week ``now`` (as PUT .../label would); return how many arrived."""
        stamp = week_start(now) + WEEK - timedelta(seconds=1)
        arrived = [{"prediction_id": prediction_id, "outcome": outcome}
                   for week in weeks if week.number in self.ids
                   for prediction_id, outcome, delay in zip(self.ids[week.number], week.outcomes, week.label_delays,
                                                            strict=True)
                   if delay is not None and week.number + delay == now]
        if arrived:
            table = db.predictions
            with self.app.app_context(), db.engine().begin() as connection:
                connection.execute(table.update().where(table.c.id == sa.bindparam("prediction_id"))
                                   .values(label=sa.bindparam("outcome"), updated_at=stamp), arrived)
        return len(arrived)


def monitoring(url: str, token: str, **window) -> dict:
    """``GET /api/v1/monitoring`` with the window given as ``since=`` (a datetime) and/or ``last=``."""
    params = {key: iso(value) if isinstance(value, datetime) else value for key, value in window.items()}
    answer = requests.get(f"{url}/api/v1/monitoring", params=params, timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    return answer.json()


COUNTS = ("true_positives", "false_positives", "false_negatives", "true_negatives")


def week_performance(since_this: dict, since_next: dict | None) -> dict:
    """One week's performance from two monitoring answers: since its start, minus since the next week's.

    The four counts add up over time, so a week's are the difference; precision and recall are not, so they
    are computed again from the counts.
    """
    def counts(answer):
        performance = answer["performance"] or dict.fromkeys(COUNTS, 0)
        return {key: performance[key] for key in COUNTS}

    mine = counts(since_this)
    later = counts(since_next) if since_next else dict.fromkeys(COUNTS, 0)
    c = {key: mine[key] - later[key] for key in COUNTS}
    tp, fp, fn = c["true_positives"], c["false_positives"], c["false_negatives"]
    return {"precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None, **c}


# --- The first traffic, and a real Prometheus reading it ------------------------------------------------

LAUNCH_BATCH = 200  # transactions scored in one batch (POST /api/v1/predict)
LAUNCH_STORED = 5  # and stored one by one (POST /api/v1/predictions)
QUERIES = ("sum(fraud_predictions_total)", "sum by (decision) (fraud_predictions_total)")
SAVED_RUN = Path(__file__).with_name("saved") / "prometheus-run.json"


def send_launch_traffic(url: str, token: str, launch) -> list[dict]:
    """Week 0's first transactions through the real API: a batch scored, a few stored; their outcomes."""
    batch = launch.transactions[:LAUNCH_BATCH]
    auth = {"Authorization": f"Bearer {token}"}  # the token: probabilities, and no rate limit on 200 at once
    scored = requests.post(f"{url}/api/v1/predict", json={"transactions": batch}, headers=auth, timeout=10)
    scored.raise_for_status()
    stored = []
    for transaction in launch.transactions[LAUNCH_BATCH:LAUNCH_BATCH + LAUNCH_STORED]:
        answer = requests.post(f"{url}/api/v1/predictions", json=transaction, timeout=5, headers=auth)
        answer.raise_for_status()
        stored.append(answer.json())
    return scored.json()["predictions"] + stored


def start_prometheus(url: str, token: str):
    """A real Prometheus scraping ``url``/metrics with ``token`` and evaluating ``alerts.yml`` (course.prometheus).

    ``token``: the app's scrape-only FRAUD_METRICS_TOKEN, which reads /metrics and nothing else.

    Raises course.prometheus.PrometheusNotFound where none is installed.
    """
    from course import prometheus

    return prometheus.start_prometheus(url, token, rule_files=[str(Path(__file__).with_name("alerts.yml"))])


def record_run(prometheus, expected: int) -> dict:
    """Wait until Prometheus has counted ``expected`` predictions; its answers to QUERIES and its alert rules.

    Nothing in it depends on the machine or the moment (no timestamp, port or version), so a run saved on
    one machine reads the same as a live one on another.
    """
    prometheus.wait_for(QUERIES[0], expected, timeout=30)
    return {"queries": {expr: prometheus.query(expr) for expr in QUERIES},
            "rules": sorted(rule["name"] for group in prometheus.api("rules")["groups"] for rule in group["rules"])}
