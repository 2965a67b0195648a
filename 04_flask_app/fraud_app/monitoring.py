"""``GET /api/v1/monitoring``: is the model still right? Live performance from labels, and input drift (token).

Over a window of the stored predictions, never more than LAST_MAX of them:

    GET /api/v1/monitoring                                    the LAST_DEFAULT (10,000) most recent (by id)
    GET /api/v1/monitoring?last=500                           the 500 most recent, at most LAST_MAX (100,000)
    GET /api/v1/monitoring?since=2026-05-20T00:00:00Z         the 10,000 most recent created at or after that moment
    GET /api/v1/monitoring?since=2026-05-20T00:00:00Z&last=500   the 500 most recent of those

A window is bounded by default: without ``last`` the answer covers the LAST_DEFAULT most recent predictions
(``window.last`` says so), so that a request never reads a table of any size (300,000 rows took 7 s). The
window by time reads through the index on ``created_at`` (migration 0002).

``since`` is an ISO 8601 time; one without a time zone is taken as UTC, like every time the API shows.
The answer::

    {"model_version": "1.0.0+...", "threshold": 0.42,
     "window": {"last": 500, "since": null, "first_at": "...Z", "last_at": "...Z", "model_versions": [...]},
     "counts": {"predictions": 500, "labelled": 120, "flagged": 14},
     "performance": {"precision": 0.75, "recall": 0.6, "true_positives": 9, "false_positives": 3,
                     "false_negatives": 6, "true_negatives": 102},
     "drift": {"method": "psi", "threshold": 0.2, "rows": 500, "min_rows": 200, "drifted": false,
               "features": {"amount": {"score": 0.013, "drifted": false}, ...}}}

- ``counts``: how many predictions the window holds, how many have a label (``PUT .../label``), how many
  the model flagged as fraud.
- ``performance``: the stored decisions (each taken at the threshold of the model that made it, stored with
  it: ``window.model_versions`` says which) against the labels, over the labelled predictions only.
  ``precision`` = true positives / flagged, ``recall`` = true positives / fraud, rounded to 4 decimals.
  ``performance`` is null when nothing is labelled; ``precision`` is null when no labelled prediction was
  flagged, ``recall`` when no labelled one is fraud: 0/0 is not a number, and 0 would be a lie. Labels come
  late (a card holder disputes a payment weeks after), so performance always trails the traffic.
- ``drift``: fraud_app.drift's report of the window's inputs against the training data's distributions
  saved in the model's metadata (population stability index; no verdict under ``min_rows`` rows).

An empty window answers zeros and nulls. A bad ``last`` or ``since`` answers 400 (``bad_query``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, request

from fraud_app import db, drift
from fraud_app.auth import require_token
from fraud_app.errors import ApiError

bp = Blueprint("monitoring", __name__, url_prefix="/api/v1")

#: The largest ``last``: a window's drift reads every input in it, and a hundred thousand take seconds.
LAST_MAX = 100_000
#: The window without ``last``: the most recent ten thousand, enough for drift and a week of labels.
LAST_DEFAULT = 10_000
SINCE_MAX_CHARS = 64  # "2026-05-20T09:30:00.123456+05:30" is 32


def last_arg() -> int:
    raw = request.args.get("last")
    if raw is None:
        return LAST_DEFAULT
    # ASCII digits only: int() would also take "٥" (an Arabic-Indic five), "1_0" and " 7 ".
    if raw.isascii() and raw.isdigit() and len(raw) <= 20 and 1 <= int(raw) <= LAST_MAX:
        return int(raw)
    shown = raw if len(raw) <= SINCE_MAX_CHARS else raw[:SINCE_MAX_CHARS] + "…"
    raise ApiError(
        400, "bad_query", f"query parameter 'last' must be an integer between 1 and {LAST_MAX}, got '{shown}'"
    )


def since_arg() -> datetime | None:
    raw = request.args.get("since")
    if raw is None:
        return None
    try:
        if len(raw) > SINCE_MAX_CHARS:
            raise ValueError
        moment = datetime.fromisoformat(raw)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: a zone that moves year 1 or 9999 out of range
        shown = raw if len(raw) <= SINCE_MAX_CHARS else raw[:SINCE_MAX_CHARS] + "…"
        raise ApiError(
            400, "bad_query",
            f"query parameter 'since' must be an ISO 8601 time such as 2026-05-20T09:30:00Z, got '{shown}'",
        ) from None


def ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def performance(counts: dict) -> dict | None:
    """Precision, recall and the four counts of the labelled predictions; None when none is labelled."""
    if not counts["labelled"]:
        return None
    tp, fp, fn = counts["true_positives"], counts["false_positives"], counts["false_negatives"]
    return {
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        **{key: counts[key] for key in ("true_positives", "false_positives", "false_negatives", "true_negatives")},
    }


@bp.after_request
def no_store(response):
    """Monitoring answers describe stored predictions: no cache (a browser's, a proxy's) keeps a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/monitoring")
@require_token
def monitoring():
    last, since = last_arg(), since_arg()
    model = current_app.extensions["fraud_model"]
    counter = drift.DriftCounter(model.metadata["reference"])
    counts = db.monitor(last, since, counter.add)
    return {
        "model_version": model.version,
        "threshold": round(model.threshold, 6),
        "window": {
            "last": last,
            "since": None if since is None else db.iso(since),
            "first_at": counts["first_at"],
            "last_at": counts["last_at"],
            "model_versions": counts["model_versions"],
        },
        "counts": {key: counts[key] for key in ("predictions", "labelled", "flagged")},
        "performance": performance(counts),
        "drift": counter.report(),
    }
