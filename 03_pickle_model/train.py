"""Train the fraud model and save it as an artefact: the course's one training code path.

The notebook of chapter 03, ``make model``, the tests and the app bundle all train through this
file, so they can never disagree about how the model is made:

    python 03_pickle_model/train.py                   # writes models/fraud_model.pkl and .json
    python 03_pickle_model/train.py --model baseline --seed 7 --recall-target 0.9 --out /tmp/m.pkl

The steps, one function each: :func:`load_data` reads the CSV; :func:`split` cuts it into train,
validation and test sets; :func:`build_pipeline` makes a scikit-learn Pipeline (encoding, scaling,
classifier); :func:`choose_threshold` picks the decision threshold on the validation set for a
stated goal ("catch at least 80 % of fraud"); :func:`evaluate` measures a model on the validation set
(to compare models) and on the test set (to report on the chosen one);
:func:`write_artefact` pickles it with its metadata (``artefact.py``). :func:`train` does it all.

Everything random is seeded, so the same seed gives the same split, model and metrics.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import io
import math
import os
import sys
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, confusion_matrix, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

import artefact
import reference


def _count_cores_quietly() -> None:
    """Let joblib count the physical cores once, quietly.

    scikit-learn asks joblib how many physical cores there are before it fits gradient boosting. Where /sys
    is not mounted (some containers and chroots) joblib cannot tell: it warns, prints a traceback, and counts
    logical cores instead, which is harmless here. Asked once now, it remembers the answer and stays silent.
    """
    from joblib import cpu_count

    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        cpu_count(only_physical_cores=True)


_count_cores_quietly()

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "transactions.csv"
MODEL = ROOT / "models" / "fraud_model.pkl"

#: The version of the training recipe; the model's version adds a short hash of the pickle.
RECIPE_VERSION = "1.0.0"
KINDS = ("baseline", "gradient_boosting")
TARGET = "is_fraud"
CATEGORIES = ["grocery", "restaurant", "fuel", "online_retail", "travel", "electronics", "entertainment"]

#: The feature schema, as data: it goes into the artefact's metadata, and the app of chapter 04
#: builds its input validation and its web form from it. Bounds are generous but finite: they
#: reject nonsense (a negative amount, hour 25), not unusual transactions. A description says what a
#: feature means; its range (min, max, unit) and its categories are data of their own, which the form
#: shows beside it, so a description never repeats them.
FEATURES = [
    {"name": "amount", "type": "float", "min": 0.0, "max": 100_000.0, "unit": "EUR", "default": 40.0,
     "label": "Amount", "description": "How much was paid."},
    {"name": "hour", "type": "int", "min": 0, "max": 23, "default": 14,
     "label": "Hour of the day", "description": "The hour the payment was made, in the card holder's local time."},
    {"name": "merchant_category", "type": "category", "categories": CATEGORIES, "default": "grocery",
     "label": "Merchant category", "description": "Kind of merchant that was paid."},
    # At most 20,038 km: half the Earth's circumference, as far apart as two places on Earth can be.
    {"name": "distance_from_home_km", "type": "float", "min": 0.0, "max": 20_038.0, "unit": "km", "default": 5.0,
     "label": "Distance from home",
     "description": "Distance between the card holder's home and where the card was used."},
    {"name": "is_online", "type": "bool", "default": False,
     "label": "Online payment", "description": "Paid on a website or in an app: the card itself was not present."},
    {"name": "is_foreign", "type": "bool", "default": False,
     "label": "Paid abroad", "description": "Paid in another country than the card holder's."},
    {"name": "transactions_last_24h", "type": "int", "min": 0, "max": 1000, "default": 1,
     "label": "Payments in the last 24 hours", "description": "Payments with the same card in the 24 hours before."},
    {"name": "account_age_days", "type": "int", "min": 0, "max": 36_500, "unit": "days", "default": 800,
     "label": "Account age", "description": "How long ago the card account was opened."},
]
FEATURE_NAMES = [feature["name"] for feature in FEATURES]
NUMBERS = [feature["name"] for feature in FEATURES if feature["type"] in ("float", "int")]
FLAGS = [feature["name"] for feature in FEATURES if feature["type"] == "bool"]


def columns(names: list[str]) -> list[int]:
    """Where the features ``names`` sit in the pipeline's input: their positions in the schema."""
    return [FEATURE_NAMES.index(name) for name in names]


class Split(NamedTuple):
    """The three parts of the data: fit on ``train``, choose the threshold on ``validation``,
    report on ``test`` (which nothing else looks at)."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame


@dataclass(frozen=True)
class Fitted:
    """One trained pipeline, its threshold, its scores on validation and test, and its metrics."""

    kind: str
    pipeline: Pipeline
    threshold: float
    validation_scores: np.ndarray
    test_scores: np.ndarray
    metrics: dict


@dataclass(frozen=True)
class Training:
    """What :func:`fit_models` returns: the data's parts, the chosen model and the baseline."""

    parts: Split
    model: Fitted
    baseline: Fitted
    seed: int
    recall_target: float


def shown(path: str | os.PathLike) -> str:
    """``path`` for messages: relative to the repository root if it is inside it, else as given."""
    path = Path(path)
    if path.is_absolute():
        for candidate in (path, path.resolve()):
            if candidate.is_relative_to(ROOT):
                return candidate.relative_to(ROOT).as_posix()
    return str(path)


def load_data(path: str | os.PathLike = DATA) -> pd.DataFrame:
    """The transactions, with the feature columns (in schema order) and the target."""
    df = pd.read_csv(path)
    missing = [column for column in [*FEATURE_NAMES, TARGET] if column not in df.columns]
    if missing:
        raise ValueError(f"{shown(path)} lacks the columns {', '.join(missing)}")
    return df[[*FEATURE_NAMES, TARGET]]


def model_input(df: pd.DataFrame) -> np.ndarray:
    """What the pipeline takes: a NumPy array with one row per transaction and the features in schema order.

    Whatever the order of ``df``'s columns, column ``i`` of the array is ``FEATURES[i]``. An array of Python
    objects, since the features are of several kinds (numbers, a category name, two flags): each step of the
    pipeline turns its own columns into numbers.
    """
    return df[FEATURE_NAMES].to_numpy(dtype=object)


def features_and_target(df: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
    """``X`` (the features, as :func:`model_input`) and ``y`` (the target) of ``df``."""
    return model_input(df), df[TARGET]


def split(df: pd.DataFrame, seed: int = 42) -> Split:
    """Cut ``df`` into 60 % train, 20 % validation and 20 % test, each with the same share of fraud.

    Stratifying matters with rare fraud: an unlucky random cut could leave the test set with far
    fewer fraud cases than the others.
    """
    rest, test = train_test_split(df, test_size=0.2, stratify=df[TARGET], random_state=seed)
    train, validation = train_test_split(rest, test_size=0.25, stratify=rest[TARGET], random_state=seed)
    return Split(train, validation, test)


def build_pipeline(kind: str = "gradient_boosting", seed: int = 42) -> Pipeline:
    """A Pipeline from the raw columns to a fraud probability, for ``"baseline"`` or ``"gradient_boosting"``.

    Both share one preparation step, so the comparison is about the classifier alone: numbers are
    scaled to mean 0 and standard deviation 1 (logistic regression needs comparable scales; trees do
    not care, and it does them no harm), the merchant category becomes one 0/1 column per category,
    and the two flags pass through as 0/1. Only scikit-learn classes are used, no function or class
    of ours, so the pickle needs nothing from this repository to load.

    The pipeline takes a NumPy array in schema order (:func:`model_input`) and picks its columns by
    *position* (:func:`columns`), not a DataFrame by column names. It is the same model either way (the
    same numbers reach the classifier); what differs is the cost of one call. The app calls it for one
    transaction at a time, and with a DataFrame most of that call went to pandas (building the frame,
    selecting columns by name, checking names and dtypes), not to the model: chapter 07 measures it.
    The app builds that array straight from the validated JSON, and the schema in the metadata says
    which column is which.

    The baseline is a logistic regression *without* ``class_weight="balanced"``: reweighting would
    push every probability up, far above the real rate of fraud, so the numbers the app shows would
    no longer be probabilities; it does not make the model *rank* transactions better (here it ranks
    them slightly worse), and the threshold, chosen afterwards, takes care of the rarity of fraud.
    """
    prepare = ColumnTransformer(
        [
            ("numbers", StandardScaler(), columns(NUMBERS)),
            ("category", OneHotEncoder(categories=[CATEGORIES], sparse_output=False), columns(["merchant_category"])),
            ("flags", "passthrough", columns(FLAGS)),
        ]
    )
    if kind == "baseline":
        classifier = LogisticRegression(max_iter=1000)
    elif kind == "gradient_boosting":
        classifier = HistGradientBoostingClassifier(random_state=seed)
    else:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(KINDS)}")
    return Pipeline([("prepare", prepare), ("classify", classifier)])


def choose_threshold(y_true, scores, recall_target: float = 0.80) -> float:
    """The highest threshold at which ``scores >= threshold`` still catches ``recall_target`` of the fraud.

    Goal: "catch at least 80 % of fraud" (recall at least 0.80) with as few false alarms as possible.
    Lowering the threshold only ever adds flagged transactions, so the best threshold is the score of
    the k-th most suspicious fraud case, where k is the number of fraud cases the goal asks for.
    """
    if not 0 < recall_target <= 1:
        raise ValueError(f"recall_target must be in (0, 1], not {recall_target}")
    fraud_scores = np.sort(np.asarray(scores, dtype=float)[np.asarray(y_true, dtype=bool)])[::-1]
    if fraud_scores.size == 0:
        raise ValueError("y_true holds no fraud: no threshold can reach a recall target")
    needed = math.ceil(recall_target * fraud_scores.size - 1e-9)  # 0.8 * 85 is 68.00000000000001
    return float(fraud_scores[needed - 1])


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def evaluate(y_true, scores, threshold: float) -> dict:
    """Metrics of ``scores`` against ``y_true``, at ``threshold`` for the ones that need a decision.

    ``roc_auc`` and ``average_precision`` judge the ranking (no threshold); precision, recall, F1,
    accuracy and the confusion matrix judge the decisions ``scores >= threshold``.
    ``accuracy_always_not_fraud`` is the accuracy of a "model" that never flags anything: the number
    any accuracy must be compared with. Rounded to 4 decimals.
    """
    y_true = np.asarray(y_true, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    flagged = scores >= threshold
    tn, fp, fn, tp = (int(n) for n in confusion_matrix(y_true, flagged, labels=[False, True]).ravel())
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {
        "roc_auc": round(float(roc_auc_score(y_true, scores)), 4),
        "average_precision": round(float(average_precision_score(y_true, scores)), 4),
        "precision": precision,
        "recall": recall,
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "accuracy": _ratio(tp + tn, len(y_true)),
        "accuracy_always_not_fraud": _ratio(int((~y_true).sum()), len(y_true)),
        "confusion_matrix": {"true_negatives": tn, "false_positives": fp, "false_negatives": fn, "true_positives": tp},
        "transactions": len(y_true),
        "fraud": int(y_true.sum()),
    }


def fit_one(kind: str, parts: Split, seed: int = 42, recall_target: float = 0.80) -> Fitted:
    """Fit one pipeline on ``parts.train``, choose its threshold on validation, evaluate it on both.

    Gradient boosting runs on one thread. On 12,000 rows more threads save little, and on a busy
    two-core machine its threads wait on each other (fitting took 0.2 s on one thread, up to 5 s on
    two). It also records its thread count in the pickle: pinning it to one makes the pickle's
    bytes the same from run to run and from machine to machine, for the same pinned library versions
    on the same platform. Another CPU architecture or other library versions may give other bytes
    (and so another hash): that is what the versions in the metadata are for.
    """
    pipeline = build_pipeline(kind, seed)
    scores = {}
    with threadpool_limits(limits=1, user_api="openmp"):
        pipeline.fit(*features_and_target(parts.train))
        for name in ("validation", "test"):
            X, _ = features_and_target(getattr(parts, name))
            scores[name] = pipeline.predict_proba(X)[:, 1]
    threshold = choose_threshold(parts.validation[TARGET], scores["validation"], recall_target)
    metrics = {name: evaluate(getattr(parts, name)[TARGET], scores[name], threshold) for name in scores}
    return Fitted(kind, pipeline, threshold, scores["validation"], scores["test"], metrics)


def fit_models(df: pd.DataFrame, seed: int = 42, model: str = "gradient_boosting",
               recall_target: float = 0.80) -> Training:
    """Split ``df``, then fit the baseline and the chosen ``model`` (the same fit when it is the baseline)."""
    if model not in KINDS:
        raise ValueError(f"unknown model kind {model!r}; choose one of {', '.join(KINDS)}")
    parts = split(df, seed)
    baseline = fit_one("baseline", parts, seed, recall_target)
    chosen = baseline if model == "baseline" else fit_one(model, parts, seed, recall_target)
    return Training(parts, chosen, baseline, seed, recall_target)


def build_metadata(training: Training, data_path: str | os.PathLike) -> dict:
    """Everything the app and a reader need to know about the chosen model, except the artefact's hash."""
    chosen = training.model
    data = pd.concat(training.parts)
    pickle_hash = hashlib.sha256(artefact.dumps(chosen.pipeline)).hexdigest()
    percent = f"{100 * training.recall_target:g} %"
    return {
        "model_version": f"{RECIPE_VERSION}+{pickle_hash[:8]}",
        "model": chosen.kind,
        "versions": artefact.current_versions(),
        "features": copy.deepcopy(FEATURES),
        "target": {"name": TARGET, "type": "bool", "description": "The payment was fraudulent."},
        "threshold": chosen.threshold,
        "threshold_goal": {
            "description": f"catch at least {percent} of fraud",
            "recall_target": training.recall_target,
            "chosen_on": "validation",
            "rule": "fraud when predict_proba(X)[:, 1] >= threshold",
        },
        "metrics": {
            "model": chosen.metrics,
            "baseline": {"threshold": training.baseline.threshold, **training.baseline.metrics},
        },
        "training_data": {
            "path": shown(data_path),
            "rows": len(data),
            "fraud": int(data[TARGET].sum()),
            "sha256": artefact.sha256_of(data_path),
            "split": {name: len(part) for name, part in training.parts._asdict().items()},
            "stratified_on": TARGET,
        },
        # The training rows' distribution of each feature, for the app's drift report (chapter 08).
        "reference": reference.build_reference(training.parts.train, FEATURES),
        "seed": training.seed,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write_artefact(training: Training, data_path: str | os.PathLike, out_path: str | os.PathLike) -> dict:
    """Pickle the chosen model to ``out_path`` with its metadata beside it; return the metadata."""
    return artefact.save_artefact(training.model.pipeline, build_metadata(training, data_path), out_path)


def train(data_path: str | os.PathLike = DATA, out_path: str | os.PathLike = MODEL, seed: int = 42,
          model: str = "gradient_boosting", recall_target: float = 0.80) -> dict:
    """Load the data, fit the baseline and ``model``, and write the artefact; return its metadata."""
    training = fit_models(load_data(data_path), seed=seed, model=model, recall_target=recall_target)
    return write_artefact(training, data_path, out_path)


def summary(metadata: dict, out_path: str | os.PathLike) -> str:
    """A short report of a training run: no timestamps, no absolute paths, so it reads the same every run."""
    data, goal, metrics = metadata["training_data"], metadata["threshold_goal"], metadata["metrics"]
    test = metrics["model"]["test"]
    rows = [("baseline", metrics["baseline"]["test"])] if metadata["model"] != "baseline" else []
    rows.append((f"{metadata['model']} (chosen)", test))
    lines = [
        f"Trained {metadata['model']} with seed {metadata['seed']} on {data['path']}: "
        f"{data['rows']} transactions, {data['fraud']} fraud.",
        f"Threshold {metadata['threshold']:.4f}: chosen to {goal['description']}; it catches "
        f"{100 * metrics['model']['validation']['recall']:.1f} % of the fraud in the validation set.",
        f"On the test set ({test['transactions']} transactions, {test['fraud']} fraud):",
        f"  {'model':<28} {'ROC AUC':>7} {'avg. precision':>14} {'precision':>9} {'recall':>6} "
        f"{'false alarms':>12} {'missed':>6}",
    ]
    for name, m in rows:
        counts = m["confusion_matrix"]
        lines.append(f"  {name:<28} {m['roc_auc']:>7.4f} {m['average_precision']:>14.4f} {m['precision']:>9.4f} "
                     f"{m['recall']:>6.4f} {counts['false_positives']:>12} {counts['false_negatives']:>6}")
    out = shown(out_path)
    lines.append(f"Wrote {out} and {shown(artefact.metadata_path(out_path))}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the CSV to train on (default data/transactions.csv)")
    parser.add_argument("--out", type=Path, default=MODEL,
                        help="where to write the pickle; the .json goes beside it (default models/fraud_model.pkl)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the split and the model (default 42)")
    parser.add_argument("--model", choices=KINDS, default="gradient_boosting", help="the model to save")
    parser.add_argument("--recall-target", type=float, default=0.80,
                        help="share of the fraud the threshold must catch on the validation set (default 0.8)")
    args = parser.parse_args(argv)
    if not 0 < args.recall_target <= 1:
        parser.error("--recall-target must be above 0 and at most 1")
    metadata = train(args.data, args.out, seed=args.seed, model=args.model, recall_target=args.recall_target)
    print(summary(metadata, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
