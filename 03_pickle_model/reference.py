"""Reference distributions of the training data: what "inputs like the training data" looks like.

A deployed model sees new transactions every day. Whether they still look like the ones it learnt from is
a question the app must answer without the training data (a deployed app does not carry it). So training
saves a summary of each feature's distribution in the artefact's metadata, ``metadata["reference"]``::

    {"method": "psi", "threshold": 0.2, "computed_on": "train", "rows": 12000,
     "features": {
        "amount":            {"bins": [9.87, 16.05, ...], "proportions": [0.1, 0.1, ...]},
        "merchant_category": {"categories": ["grocery", ...], "proportions": [0.3, ...]},
        "is_online":         {"categories": [false, true], "proportions": [0.69, 0.31]}}}

The bins are fixed here, once, from the training data, and every later comparison counts new values in
the same bins (the app's ``fraud_app.drift`` compares them with the population stability index):

- a number (float or int) gets the *deciles* of its training values as edges: nine cut points, so ten
  bins that each hold about a tenth of the training data. Cut points that repeat (an integer feature
  with many equal values) are kept once, so such a feature gets fewer bins. A bin holds the values above
  its lower edge up to and including its upper edge, and the two outer bins are open-ended: below the
  first edge and above the last, so a value never seen in training (an amount of 90,000) still has a bin;
  the cut points are training values themselves (the "inverted CDF" quantile), never a number between
  two of them;
- a category or a flag gets one bin per possible value, in the schema's order (``false`` then ``true``).

``proportions`` are the shares of the training rows in each bin, rounded to 6 decimals. The method and
its threshold are stored with them, so the artefact says how drift is to be judged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METHOD = "psi"
#: The usual convention for the population stability index: below 0.1 no real change, 0.1 to 0.2 a
#: moderate one, 0.2 or more a significant shift worth acting on.
THRESHOLD = 0.2
#: Deciles: the cut points at 10 %, 20 %, ... 90 % of the training values.
QUANTILES = [q / 10 for q in range(1, 10)]


def shares(counts) -> list[float]:
    """``counts`` as proportions of their sum, rounded to 6 decimals."""
    counts = np.asarray(counts, dtype=float)
    return [round(float(share), 6) for share in counts / counts.sum()]


def numeric_reference(values) -> dict:
    """The decile bins of ``values`` (deduplicated, open-ended outer bins) and the share of values in each."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("no values to compute a reference distribution from")
    edges = np.unique(np.quantile(values, QUANTILES, method="inverted_cdf"))
    # side="left": a value equal to an edge falls in the bin that edge closes, (lower, upper].
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=edges.size + 1)
    return {"bins": [float(edge) for edge in edges], "proportions": shares(counts)}


def categorical_reference(values, categories: list) -> dict:
    """The share of ``values`` in each of ``categories`` (every value must be one of them)."""
    counts = pd.Series(list(values)).value_counts()
    unknown = sorted(set(counts.index) - set(categories), key=str)
    if unknown:
        raise ValueError(f"values outside the categories {categories}: {unknown}")
    return {"categories": list(categories), "proportions": shares([int(counts.get(c, 0)) for c in categories])}


def feature_reference(feature: dict, values) -> dict:
    """The reference distribution of one feature of the schema (``{"name", "type", ...}``)."""
    if feature["type"] in ("float", "int"):
        return numeric_reference(values)
    if feature["type"] == "bool":
        return categorical_reference([bool(value) for value in values], [False, True])
    if feature["type"] == "category":
        return categorical_reference(values, feature["categories"])
    raise ValueError(f"feature {feature['name']!r} has a type with no reference distribution: {feature['type']!r}")


def build_reference(data: pd.DataFrame, features: list[dict], computed_on: str = "train") -> dict:
    """``metadata["reference"]``: every feature's distribution in ``data`` (the rows the model was fitted on)."""
    return {
        "method": METHOD,
        "threshold": THRESHOLD,
        "computed_on": computed_on,
        "rows": len(data),
        "features": {feature["name"]: feature_reference(feature, data[feature["name"]]) for feature in features},
    }
