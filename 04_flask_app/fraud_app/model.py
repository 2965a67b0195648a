"""The model, loaded once: its artefact is verified before it is unpickled (chapter 03)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sklearn
from threadpoolctl import ThreadpoolController

from artefact import load_artefact, to_array
from fraud_app.schema import Schema


@dataclass(frozen=True)
class FraudModel:
    """A fitted pipeline with its metadata, its feature schema and its decision threshold."""

    pipeline: Any
    metadata: dict
    schema: Schema
    #: threadpoolctl's view of the numeric libraries (OpenMP, BLAS) loaded once the model is unpickled
    controller: ThreadpoolController | None = field(default=None, compare=False, repr=False)

    @classmethod
    def load(cls, path: str, expected_sha256: str | None = None) -> FraudModel:
        """Load and verify ``path`` (and the JSON beside it); raises ArtefactError if untrustworthy.

        ``expected_sha256`` (FRAUD_MODEL_SHA256) pins the artefact: any other is refused, even one whose
        pickle and metadata agree with each other.
        """
        pipeline, metadata = load_artefact(path, expected_sha256=expected_sha256)
        # Only now are scikit-learn's OpenMP and numpy's BLAS loaded, so only now can threadpoolctl see them.
        return cls(pipeline, metadata, Schema(metadata["features"]), ThreadpoolController())

    @property
    def version(self) -> str:
        return self.metadata["model_version"]

    @property
    def digest(self) -> str:
        return self.metadata["artefact_sha256"]

    @property
    def threshold(self) -> float:
        return float(self.metadata["threshold"])

    def score(self, transactions: list[dict]) -> list[dict]:
        """Fraud probability and decision for each (already validated) transaction, in order.

        The pipeline takes a NumPy array with the features in schema order (chapter 03's ``train.py``), built
        here straight from the validated dicts, without pandas: for one transaction a DataFrame cost more
        than the model itself (chapter 07 profiles it). What is the same for every transaction (threshold,
        version) is looked up once per call, not per row, and the probabilities become Python floats in
        one step (``tolist``): with a batch of a thousand transactions, per-row work is what counts.
        """
        X = to_array(transactions, self.schema.features)
        # assume_finite: scikit-learn would scan every value for NaN and infinity at each step; validation
        # (fraud_app.schema) has already refused them, so the scan could never find one. Scoped to this
        # call (scikit-learn's settings belong to each thread), so that nothing else is affected.
        with sklearn.config_context(assume_finite=True):
            if self.controller is None:
                probabilities = self.pipeline.predict_proba(X)[:, 1].tolist()
            else:
                # One thread for the model's numeric libraries, in the thread that predicts. Requests already
                # run in parallel (gunicorn's workers and threads, waitress's threads), and a model that also
                # spreads each small prediction over every core makes every request slower (measured on 2
                # cores: 15 ms instead of 3 ms for one row). OpenMP's thread count is a per-thread setting,
                # so a limit set once at start-up would not hold in the server's request threads: it is set
                # around each call (threadpoolctl's context manager, about 20 µs), whatever server runs it.
                with self.controller.limit(limits=1):
                    probabilities = self.pipeline.predict_proba(X)[:, 1].tolist()
        threshold, version = self.threshold, self.version
        shown_threshold = round(threshold, 6)
        # The decision is taken on the numbers the client sees, so that it always agrees with them:
        # 0.4999996 shows as 0.5, and at a threshold of 0.5 it is fraud, as 0.5 >= 0.5 says.
        return [
            {
                "fraud_probability": (shown := round(p, 6)),
                "is_fraud": shown >= shown_threshold,
                "threshold": shown_threshold,
                "model_version": version,
            }
            for p in probabilities
        ]
