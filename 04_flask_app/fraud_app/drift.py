"""Input drift: do the transactions the app sees still look like those the model was trained on?

A model learns the world of its training data. When the world changes (amounts grow, a new kind of
merchant takes over), its inputs drift away from that data, and its predictions may go wrong long before
the confirmed outcomes (labels, weeks later) can show it. Drift in the inputs is the early warning.

The measure is the **population stability index** (PSI), the usual one in credit scoring and fraud. For
one feature, with the bins fixed at training time (``reference.py`` of chapter 03 saved them, and each
bin's share of the training rows, in ``metadata["reference"]``)::

    PSI = sum over the bins of (actual - expected) * ln(actual / expected)

where ``expected`` is a bin's share of the training rows and ``actual`` its share of the rows compared.
It is 0 for the same distribution and grows as they part. The convention, used here (THRESHOLD, stored
with the reference): below 0.1 nothing to worry about, 0.1 to 0.2 a moderate change, **0.2 or more a
significant shift**: the feature is reported as ``drifted``.

Two details of the computation:

- an empty bin (no row of the sample in it, or a value no training row had, such as a category the
  training data never saw) would make the logarithm infinite: its share is taken as EPSILON (0.0001)
  instead of 0, so the score is large but finite;
- a small sample differs from the training data by chance alone: drawn from the course's own held-out
  data, one sample of 100 rows in four had a feature scoring 0.2 or more (a bin that happens to stay
  empty scores high), while samples of 200 rows stayed below 0.16. So a report over fewer than MIN_ROWS
  (200) rows gives the scores but judges nothing: ``drifted`` is null.

:func:`psi` scores one feature; :func:`report` scores every feature of the reference over a list of
rows (the ``drift`` object of ``GET /api/v1/monitoring``). :class:`DriftCounter` counts rows in the bins
a batch at a time, so that a report over many stored predictions never holds them all in memory.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: PSI of this or more: a significant shift (the usual convention). The reference's own value wins.
THRESHOLD = 0.2
#: The share given to an empty bin, so that ln(actual / expected) stays finite.
EPSILON = 1e-4
#: Fewer rows than this: the scores are reported, but no feature is judged drifted (``drifted`` is null).
MIN_ROWS = 200

__all__ = ["EPSILON", "MIN_ROWS", "THRESHOLD", "DriftCounter", "bin_counts", "psi", "psi_of_counts", "report"]


def bin_counts(reference_feature: dict, values: Iterable) -> np.ndarray:
    """How many of ``values`` fall in each bin of ``reference_feature``.

    Numbers: bin ``i`` holds the values above edge ``i - 1`` up to and including edge ``i``; the first bin
    everything up to the first edge, the last everything above the last edge. Categories: one bin per
    category, plus a last one for values that are none of them (expected share 0).
    """
    values = list(values)
    if "bins" in reference_feature:
        edges = np.asarray(reference_feature["bins"], dtype=float)
        indices = np.searchsorted(edges, np.asarray(values, dtype=float), side="left")
        return np.bincount(indices, minlength=edges.size + 1)
    categories = reference_feature["categories"]
    position = {category: index for index, category in enumerate(categories)}
    counts = np.zeros(len(categories) + 1, dtype=np.int64)
    for value in values:
        # bool is a kind of int in Python: True == 1. Look flags up as flags, and numbers never match one.
        same_kind = bool(categories) and isinstance(value, bool) == isinstance(categories[0], bool)
        index = position.get(value) if same_kind else None
        counts[len(categories) if index is None else index] += 1
    return counts


def expected_shares(reference_feature: dict, bins: int) -> np.ndarray:
    """The training shares of the bins (a category feature's extra bin, for unknown values, has 0)."""
    expected = np.zeros(bins)
    proportions = reference_feature["proportions"]
    expected[: len(proportions)] = proportions
    return expected


def psi_of_counts(reference_feature: dict, counts) -> float:
    """The PSI of a sample given as its counts per bin (as :func:`bin_counts` returns them)."""
    counts = np.asarray(counts, dtype=float)
    if counts.sum() == 0:
        raise ValueError("no values: the PSI of an empty sample is not defined")
    actual = np.maximum(counts / counts.sum(), EPSILON)
    expected = np.maximum(expected_shares(reference_feature, counts.size), EPSILON)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def psi(reference_feature: dict, values: Iterable) -> float:
    """The population stability index of ``values`` against one feature's reference distribution."""
    return psi_of_counts(reference_feature, bin_counts(reference_feature, values))


class DriftCounter:
    """Counts rows in every feature's bins, a batch at a time; :meth:`report` scores what it has counted."""

    def __init__(self, reference: dict) -> None:
        self.reference = reference
        self.rows = 0
        self.counts = {
            name: np.zeros(len(feature.get("bins", feature.get("categories"))) + 1, dtype=np.int64)
            for name, feature in reference["features"].items()
        }

    def add(self, rows: list[dict]) -> None:
        """Count ``rows`` (dicts of feature values, as the API stores them)."""
        self.rows += len(rows)
        for name, feature in self.reference["features"].items():
            self.counts[name] += bin_counts(feature, [row[name] for row in rows])

    def report(self) -> dict:
        """The drift object: method, threshold, rows, and per feature its ``score`` and ``drifted``.

        ``score`` is the PSI rounded to 4 decimals (null with no rows); ``drifted`` is ``score >= threshold``
        (null with fewer than MIN_ROWS rows); the overall ``drifted`` is true when any feature drifted.
        """
        threshold = float(self.reference.get("threshold", THRESHOLD))
        judged = self.rows >= MIN_ROWS
        features = {}
        for name, feature in self.reference["features"].items():
            score = round(psi_of_counts(feature, self.counts[name]), 4) if self.rows else None
            features[name] = {"score": score, "drifted": score >= threshold if judged else None}
        return {
            "method": self.reference.get("method", "psi"),
            "threshold": threshold,
            "rows": self.rows,
            "min_rows": MIN_ROWS,
            "drifted": any(f["drifted"] for f in features.values()) if judged else None,
            "features": features,
        }


def report(reference: dict, rows: list[dict]) -> dict:
    """The drift of ``rows`` against ``reference`` (``metadata["reference"]``), per feature and overall."""
    counter = DriftCounter(reference)
    counter.add(rows)
    return counter.report()
