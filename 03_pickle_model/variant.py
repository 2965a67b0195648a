"""Train a variant of the course's model and save it as an artefact, through the course's own code.

Chapter 03's build exercise: the learner writes ``variant_pipeline(seed)``, a Pipeline that differs
from ``train.build_pipeline`` in one feature or one setting. These two functions do the rest with the
public functions of ``train.py`` and ``artefact.py``, so a variant is fitted, thresholded, evaluated
and saved exactly as the course's model is:

    fitted = variant.fit_pipeline(variant_pipeline(42), parts)     # fit on train, threshold on validation
    variant.save(fitted, training, "/tmp/variant/fraud_model.pkl")  # the pickle and its metadata
    model, metadata = artefact.load_artefact("/tmp/variant/fraud_model.pkl")  # the verified loader
"""

from __future__ import annotations

import os

from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

import train


def fit_pipeline(pipeline: Pipeline, parts: train.Split, recall_target: float = 0.80,
                 kind: str = "gradient_boosting") -> train.Fitted:
    """Fit ``pipeline`` on ``parts.train``, choose its threshold on validation and evaluate it on both.

    The same steps as ``train.fit_one``, for a pipeline built elsewhere. ``kind`` names the model
    family it was derived from (one of ``train.KINDS``): it is what the metadata's ``model`` says.
    """
    with threadpool_limits(limits=1, user_api="openmp"):  # one thread, as train.fit_one: fast and reproducible
        pipeline.fit(*train.features_and_target(parts.train))
        scores = {name: pipeline.predict_proba(train.features_and_target(getattr(parts, name))[0])[:, 1]
                  for name in ("validation", "test")}
    threshold = train.choose_threshold(parts.validation[train.TARGET], scores["validation"], recall_target)
    metrics = {name: train.evaluate(getattr(parts, name)[train.TARGET], scores[name], threshold) for name in scores}
    return train.Fitted(kind, pipeline, threshold, scores["validation"], scores["test"], metrics)


def save(fitted: train.Fitted, training: train.Training, out_path: str | os.PathLike,
         data_path: str | os.PathLike = train.DATA) -> dict:
    """Save ``fitted`` with its metadata, as ``train.write_artefact`` saves the course's model.

    ``training`` is the course's run (``train.fit_models``): its parts, seed and baseline go into the
    metadata, so the variant's model card compares it with the same baseline. Returns the metadata.
    """
    run = train.Training(training.parts, fitted, training.baseline, training.seed, training.recall_target)
    return train.write_artefact(run, data_path, out_path)
