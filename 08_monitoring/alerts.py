"""The alert rules of ``alerts.yml``, read in Python: the same thresholds, applied to the monitoring answers.

Prometheus evaluates ``alerts.yml`` on the app's metrics (``GET /metrics``) every minute. The same
thresholds are read here from that file, never typed twice, so the chapter can show on which simulated
weeks each alert would have fired, and the tests can check the file.

Two more checks need what only the app's database knows, so they live in Python alone, on the answers of
``GET /api/v1/monitoring``: input drift (its ``drifted`` flag, PSI of 0.2 or more on some feature) and
live recall from the labels, against the recall the model was built for.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

RULES = Path(__file__).with_name("alerts.yml")
RECALL_FLOOR = 0.6  # the model was built to catch 80 % of fraud; below 60 % over a week, act
MIN_LABELLED_FRAUD = 10  # fewer confirmed fraud cases than this in a week: recall is too uncertain to judge


def rules(path: Path = RULES) -> dict[str, dict]:
    """Every alerting rule of the file, by its name."""
    document = yaml.safe_load(path.read_text())
    return {rule["alert"]: rule for group in document["groups"] for rule in group["rules"] if "alert" in rule}


def threshold(name: str, path: Path = RULES) -> float:
    """The number an alert's expression compares with: the ``> 0.05`` at its end."""
    match = re.search(r">\s*([0-9.]+)\s*$", rules(path)[name]["expr"])
    if match is None:
        raise ValueError(f"the expression of {name} does not end with '> <number>'")
    return float(match[1])


FLAGGED_SHARE_LIMIT = threshold("FraudFlaggedShareHigh")


def flagged_share(answer: dict) -> float | None:
    counts = answer["counts"]
    return counts["flagged"] / counts["predictions"] if counts["predictions"] else None


def firing(answer: dict, performance: dict | None = None, flagged_limit: float | None = None) -> list[str]:
    """The alerts that a week's monitoring answer (and its performance, once labelled) would fire.

    ``flagged_limit``: the flagged share above which FraudFlaggedShareHigh fires, alerts.yml's unless given (a new
    model, which flags another share on validation, ships with its own).
    """
    fired = []
    share = flagged_share(answer)
    if share is not None and share > (FLAGGED_SHARE_LIMIT if flagged_limit is None else flagged_limit):
        fired.append("FraudFlaggedShareHigh")
    if answer["drift"]["drifted"]:
        fired.append("drift")
    perf = performance if performance is not None else answer["performance"]
    if perf and perf["recall"] is not None and perf["true_positives"] + perf["false_negatives"] >= MIN_LABELLED_FRAUD \
            and perf["recall"] < RECALL_FLOOR:
        fired.append("recall")
    return fired
