"""The model, loaded once: its artefact is verified before it is unpickled (chapter 03)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from artefact import load_artefact
from fraud_app.schema import Schema


@dataclass(frozen=True)
class FraudModel:
    """A fitted pipeline with its metadata, its feature schema and its decision threshold."""

    pipeline: Any
    metadata: dict
    schema: Schema

    @classmethod
    def load(cls, path: str) -> FraudModel:
        """Load and verify ``path`` (and the JSON beside it); raises ArtefactError if untrustworthy."""
        pipeline, metadata = load_artefact(path)
        return cls(pipeline, metadata, Schema(metadata["features"]))

    @property
    def version(self) -> str:
        return self.metadata["model_version"]

    @property
    def threshold(self) -> float:
        return float(self.metadata["threshold"])

    def score(self, transactions: list[dict]) -> list[dict]:
        """Fraud probability and decision for each (already validated) transaction, in order."""
        frame = pd.DataFrame(transactions, columns=self.schema.names)
        probabilities = self.pipeline.predict_proba(frame)[:, 1]
        return [
            {
                "fraud_probability": round(float(p), 6),
                "is_fraud": bool(p >= self.threshold),
                "threshold": round(self.threshold, 6),
                "model_version": self.version,
            }
            for p in probabilities
        ]
