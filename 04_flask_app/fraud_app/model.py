"""The model, loaded once: its artefact is verified before it is unpickled (chapter 03).

Serving the pipeline's fitted preparation with NumPy
----------------------------------------------------
Chapter 03's pipeline has two steps: a ColumnTransformer (scale the numbers, one-hot encode the category, pass
the flags through) and a classifier. Profiled for one transaction (chapter 07), ``pipeline.predict_proba`` spent
about three quarters of its time in the ColumnTransformer's generic machinery, which is there for any
transformer on any input (joblib's ``Parallel`` even with ``n_jobs=None``, input checks and conversions at each
of its steps, stacking the parts), and a quarter in the classifier. What the preparation *computes* is three
lines of arithmetic on numbers it learnt when it was fitted: ``(x - mean_) / scale_``, a 1 where the category
is ``categories_[j]``, the flags as 0 and 1.

So at load time :class:`FittedPreparation` reads those fitted numbers out of the pickled pipeline's own steps
(StandardScaler's ``mean_`` and ``scale_``, OneHotEncoder's ``categories_``, the columns each step takes and
where its output goes, ``output_indices_``) and, for each request, computes the same matrix with NumPy, the
same operations in the same order, then calls the pipeline's own final classifier on it. Why this is honest:

- **the same model**: every number comes from the pickled pipeline, read when it is loaded; the pickle stays
  the one source of truth (retrain it and the app serves the new numbers), nothing is fitted or copied here;
- **the same answers**: tests/test_parity.py checks, on every row of data/ and in batches, that the matrix is
  exactly the ColumnTransformer's and the probabilities are ``pipeline.predict_proba``'s;
- **not a cache**: every request is computed from its own values;
- **validation unchanged**: it happens before, in fraud_app.contract, exactly as for the pipeline; a category
  the encoder does not know still goes to the pipeline, which refuses it as it always has.

It serves only the structure it recognises, checked piece by piece (:meth:`FittedPreparation.of`). Any other
pipeline (a learner's variant with another scaler, an imputer, a pandas output) is served by
``pipeline.predict_proba`` as before, and the log says so once, at load time, with the reason.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import ThreadpoolController

from artefact import ArtefactError, ArtefactVersionWarning, load_artefact, to_array
from fraud_app.schema import Schema

log = logging.getLogger(__name__)


class NotRecognised(Exception):
    """The pipeline is not one whose preparation :class:`FittedPreparation` can compute; the message says why."""


def _input_columns(columns: Any, n_features: int) -> list[int]:
    """A step's input columns, if they are given by position (as chapter 03's pipeline gives them)."""
    if isinstance(columns, (list, tuple, np.ndarray)) and all(
        isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) and 0 <= c < n_features
        for c in columns
    ):
        return [int(c) for c in columns]
    raise NotRecognised(f"columns {columns!r} are not positions in the schema")


class FittedPreparation:
    """A fitted ColumnTransformer of StandardScaler, OneHotEncoder and passthrough steps, computed with NumPy.

    Built from the fitted pipeline's own numbers (:meth:`of`); :meth:`transform` returns what the
    ColumnTransformer's ``transform`` returns, as float64, or None for a value it was not fitted on.
    """

    def __init__(self, width: int, scaled: list, encoded: list, passed: list):
        self.width = width
        self.scaled = scaled  # (input columns, output slice, mean or None, scale or None)
        self.encoded = encoded  # (input column, first output column, {category: its position})
        self.passed = passed  # (input columns, output slice)

    @classmethod
    def of(cls, pipeline: Any, n_features: int) -> FittedPreparation:
        """Read the fitted numbers from ``pipeline``, or raise NotRecognised saying what is not recognised."""
        if type(pipeline) is not Pipeline or len(pipeline.steps) != 2:
            raise NotRecognised("it is not a scikit-learn Pipeline of two steps (preparation, classifier)")
        prepare, classifier = pipeline.steps[0][1], pipeline.steps[1][1]
        if type(prepare) is not ColumnTransformer:
            raise NotRecognised("its first step is not a ColumnTransformer")
        if not hasattr(classifier, "predict_proba"):
            raise NotRecognised("its last step has no predict_proba")
        if getattr(prepare, "n_features_in_", None) != n_features or hasattr(prepare, "feature_names_in_"):
            raise NotRecognised(f"its ColumnTransformer was not fitted on an array of the {n_features} features")
        if prepare.sparse_output_ or getattr(prepare, "_sklearn_output_config", {}).get("transform") not in (
            None, "default"
        ):
            raise NotRecognised("its ColumnTransformer's output is not a dense NumPy array")
        declared = {name: step for name, step, _ in prepare.transformers}
        slices = prepare.output_indices_
        scaled, encoded, passed, width = [], [], [], 0
        for name, step, columns in prepare.transformers_:
            out = slices[name]
            width = max(width, out.stop)
            if step == "drop" or out.stop == out.start:
                continue  # contributes no column (remainder="drop", or a step given no column)
            cols = _input_columns(columns, n_features)
            if type(step) is StandardScaler:
                mean = step.mean_ if step.with_mean else None
                scale = step.scale_ if step.with_std else None
                if len(cols) != out.stop - out.start:
                    raise NotRecognised(f"step {name!r} does not give one column per input column")
                scaled.append((cols, out, mean, scale))
            elif type(step) is OneHotEncoder:
                if (step.drop is not None or step.handle_unknown != "error" or step.sparse_output
                        or getattr(step, "_infrequent_enabled", False) or np.dtype(step.dtype) != np.float64):
                    raise NotRecognised(f"step {name!r} is a OneHotEncoder with options this app does not compute "
                                        "(drop, handle_unknown, infrequent categories, sparse or non-float64 output)")
                start = out.start
                for column, categories in zip(cols, step.categories_, strict=True):
                    if not all(type(category) is str for category in categories):
                        raise NotRecognised(f"step {name!r} has categories that are not all strings")
                    encoded.append((column, start, {category: i for i, category in enumerate(categories)}))
                    start += len(categories)
                if start != out.stop:
                    raise NotRecognised(f"step {name!r} does not give one column per category")
            elif declared.get(name) == "passthrough" and len(cols) == out.stop - out.start:
                passed.append((cols, out))
            else:
                raise NotRecognised(f"step {name!r} ({type(step).__name__}) is not StandardScaler, OneHotEncoder, "
                                    "passthrough or drop")
        return cls(width, scaled, encoded, passed)

    def transform(self, X: np.ndarray) -> np.ndarray | None:
        """The prepared matrix of ``X`` (an object array in schema order), or None if a category is unknown.

        The same operations as scikit-learn's, in the same order, on the same float64 numbers: StandardScaler
        converts its columns to float64, subtracts ``mean_`` and divides by ``scale_``; OneHotEncoder puts a 1.0
        in the column of the row's category; a passed-through column becomes float64 when the classifier checks
        its input.
        """
        out = np.zeros((X.shape[0], self.width))
        for cols, where, mean, scale in self.scaled:
            numbers = X[:, cols].astype(np.float64)
            if mean is not None:
                numbers -= mean
            if scale is not None:
                numbers /= scale
            out[:, where] = numbers
        rows = np.arange(X.shape[0])
        for column, start, position in self.encoded:
            try:
                out[rows, [start + position[value] for value in X[:, column].tolist()]] = 1.0
            except (KeyError, TypeError):  # not a category it was fitted on: the pipeline says what it says
                return None
        for cols, where in self.passed:
            out[:, where] = X[:, cols].astype(np.float64)
        return out


def smoke_transaction(schema: Schema) -> dict:
    """A valid transaction of the schema's defaults (the form's): for the checks at load time and in /ready."""
    values = {}
    for feature in schema.features:
        if "default" in feature:
            values[feature["name"]] = feature["default"]
        elif feature["type"] == "category":
            values[feature["name"]] = feature["categories"][0]
        elif feature["type"] == "bool":
            values[feature["name"]] = False
        else:
            values[feature["name"]] = feature.get("min", 0)
    return schema.validate(values)


def check_pipeline(path: str, pipeline: Any, schema: Schema) -> None:
    """Raise ArtefactError (one line) unless ``pipeline`` is the model its metadata describes.

    A digest proves that the bytes are the ones written, not that they hold a model: an artefact made by
    mistake (or on purpose) from another object would load, /health would say ok and every prediction
    would fail. So: a scikit-learn Pipeline, fitted on the schema's features (their number, and their names
    when it knows them), a classifier of two classes with predict_proba, that scores the schema's defaults
    with a probability.
    """
    def refuse(why: str):
        raise ArtefactError(f"{path}: the unpickled object is not the pipeline its metadata describes: {why}")

    if not isinstance(pipeline, Pipeline):
        refuse(f"it is a {type(pipeline).__module__}.{type(pipeline).__qualname__}, not a scikit-learn Pipeline")
    if not hasattr(pipeline, "predict_proba"):
        refuse("its last step has no predict_proba")
    fitted = getattr(pipeline, "n_features_in_", None)
    if fitted != len(schema.features):
        refuse(f"it was fitted on {fitted} features, the schema has {len(schema.features)}")
    names = getattr(pipeline, "feature_names_in_", None)
    if names is not None and list(names) != schema.names:
        refuse(f"it was fitted on the features {list(names)}, the schema's are {schema.names}")
    classes = getattr(pipeline, "classes_", None)
    if classes is None or len(classes) != 2:
        refuse("it is not a fitted classifier of two classes (legitimate, fraud)")
    try:
        probabilities = pipeline.predict_proba(to_array([smoke_transaction(schema)], schema.features))
        fraud = float(probabilities[0][1])
    except Exception as error:  # noqa: BLE001 - whatever it raises, it is not a model that can serve
        refuse(f"it cannot score the schema's default transaction ({type(error).__name__}: {error})")
    if len(probabilities) != 1 or len(probabilities[0]) != 2 or not (math.isfinite(fraud) and 0 <= fraud <= 1):
        refuse("its predict_proba does not answer one probability per class")


@dataclass(frozen=True)
class FraudModel:
    """A fitted pipeline with its metadata, its feature schema and its decision threshold."""

    pipeline: Any
    metadata: dict
    schema: Schema
    #: threadpoolctl's view of the numeric libraries (OpenMP, BLAS) loaded once the model is unpickled
    controller: ThreadpoolController | None = field(default=None, compare=False, repr=False)
    #: the pipeline's fitted preparation, computed with NumPy; None: the pipeline is called as it is
    preparation: FittedPreparation | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self):
        try:
            preparation = FittedPreparation.of(self.pipeline, len(self.schema.features))
        except NotRecognised as reason:
            log.info("model: serving through pipeline.predict_proba: %s", reason)
            preparation = None
        object.__setattr__(self, "preparation", preparation)  # a frozen dataclass: set once, here

    @classmethod
    def load(cls, path: str, expected_sha256: str | None = None, *, production: bool = False,
             allow_version_skew: bool = False) -> FraudModel:
        """Load and verify ``path`` (and the JSON beside it); raises ArtefactError if untrustworthy.

        ``expected_sha256`` (FRAUD_MODEL_SHA256) pins the artefact: any other is refused, even one whose
        pickle and metadata agree with each other. In ``production`` (a platform, or FRAUD_ENV=production)
        the artefact fails closed, each refusal one line, before anything is unpickled where it can be:

        - no pin: refused (an unpinned artefact is whatever the disk holds, and unpickling runs its code);
        - other library versions than the artefact's: refused, unless ``allow_version_skew``
          (FRAUD_ALLOW_VERSION_SKEW=on); elsewhere they are one warning line in the log;
        - an unpickled object that is not the pipeline the metadata describes (:func:`check_pipeline`):
          refused everywhere.
        """
        if production and expected_sha256 is None:
            raise ArtefactError(
                f"{path}: not pinned: in production (a platform, or FRAUD_ENV=production) the app serves only the "
                "artefact it was told to trust; set FRAUD_MODEL_SHA256 to the artefact_sha256 of the model you "
                "approved (its model card)"
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ArtefactVersionWarning)
            pipeline, metadata = load_artefact(path, expected_sha256=expected_sha256,
                                               refuse_version_skew=production and not allow_version_skew)
        for warning in caught:
            if issubclass(warning.category, ArtefactVersionWarning):
                log.warning("model: %s", " ".join(str(warning.message).split()))  # one line, in the app's log
            else:
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno,
                                       source=warning.source)
        schema = Schema(metadata["features"])
        check_pipeline(str(path), pipeline, schema)
        # Only now are scikit-learn's OpenMP and numpy's BLAS loaded, so only now can threadpoolctl see them.
        return cls(pipeline, metadata, schema, ThreadpoolController())

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
                probabilities = self.predict_proba(X)[:, 1].tolist()
            else:
                # One thread for the model's numeric libraries, in the thread that predicts. Requests already
                # run in parallel (gunicorn's workers and threads, waitress's threads), and a model that also
                # spreads each small prediction over every core makes every request slower (measured on 2
                # cores: 15 ms instead of 3 ms for one row). OpenMP's thread count is a per-thread setting,
                # so a limit set once at start-up would not hold in the server's request threads: it is set
                # around each call (threadpoolctl's context manager, about 20 µs), whatever server runs it.
                with self.controller.limit(limits=1):
                    probabilities = self.predict_proba(X)[:, 1].tolist()
        threshold, version = self.threshold, self.version
        shown_threshold = round(threshold, 6)
        # The decision is taken on the numbers the client sees, so that it always agrees with them:
        # 0.4999996 shows as 0.5, and at a threshold of 0.5 it is fraud, as 0.5 >= 0.5 says.
        return [
            {  # the keys in the order Flask's JSON writes them (sorted), which a batch's answer keeps
                "fraud_probability": (shown := round(p, 6)),
                "is_fraud": shown >= shown_threshold,
                "model_version": version,
                "threshold": shown_threshold,
            }
            for p in probabilities
        ]


    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``pipeline.predict_proba(X)``: through the fitted preparation computed with NumPy where it is recognised.

        A Pipeline's ``predict_proba`` transforms ``X`` with its first step and calls its last step's
        ``predict_proba`` on the result; this does the same, the first step's arithmetic done by
        :class:`FittedPreparation` with the pipeline's own fitted numbers.
        """
        prepared = None if self.preparation is None else self.preparation.transform(X)
        if prepared is None:
            return self.pipeline.predict_proba(X)
        return self.pipeline.steps[-1][1].predict_proba(prepared)
