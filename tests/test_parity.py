"""The app's serving path says exactly what the tutorial's DataFrame path says, on every row of the course's data.

Chapter 03's pipeline takes a NumPy array in schema order and picks its columns by position, which is what lets
the app score a transaction without pandas (chapter 07 measures the difference). Nothing may change in what the
model says: not the probabilities, not the metrics. Here the same recipe is fitted the way tutorials write it (a
ColumnTransformer that picks its columns by *name* from a DataFrame, as this course's pipeline was built before),
on the same split with the same seed, and both paths score all 20,000 transactions of data/.
"""

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

import artefact
import train
from fraud_app.model import FraudModel

TOLERANCE = 1e-6


def dataframe_pipeline(seed: int) -> Pipeline:
    """The tutorial way: the same steps, the columns picked by name from a DataFrame."""
    prepare = ColumnTransformer([
        ("numbers", StandardScaler(), train.NUMBERS),
        ("category", OneHotEncoder(categories=[train.CATEGORIES], sparse_output=False), ["merchant_category"]),
        ("flags", "passthrough", train.FLAGS),
    ])
    return Pipeline([("prepare", prepare), ("classify", HistGradientBoostingClassifier(random_state=seed))])


@pytest.fixture(scope="module")
def data():
    return train.load_data()


@pytest.fixture(scope="module")
def by_name(data):
    """The DataFrame pipeline, fitted like train.fit_one fits the course's: same split, seed, one thread."""
    parts = train.split(data, seed=42)
    pipeline = dataframe_pipeline(seed=42)
    with threadpool_limits(limits=1, user_api="openmp"):
        pipeline.fit(parts.train[train.FEATURE_NAMES], parts.train[train.TARGET])
    return pipeline


@pytest.fixture(scope="module")
def served(model_path) -> FraudModel:
    return FraudModel.load(str(model_path))


@pytest.fixture(scope="module")
def rows(data) -> list[dict]:
    """Every transaction of data/, as validated JSON reaches FraudModel.score."""
    convert = {"float": float, "int": int, "bool": bool, "category": str}
    return [{feature["name"]: convert[feature["type"]](row[feature["name"]]) for feature in train.FEATURES}
            for row in data.to_dict("records")]


def test_the_app_scores_every_transaction_as_the_dataframe_pipeline_does(served, by_name, data, rows):
    expected = by_name.predict_proba(data[train.FEATURE_NAMES])[:, 1]
    answers = served.score(rows)
    assert len(answers) == len(data) == 20_000
    shown = np.array([answer["fraud_probability"] for answer in answers])
    assert np.abs(shown - expected).max() <= TOLERANCE  # the app shows 6 decimals: at most 5e-7 apart
    raw = served.pipeline.predict_proba(artefact.to_array(rows, served.schema.features))[:, 1]
    assert np.abs(raw - expected).max() <= TOLERANCE
    decided = np.array([answer["is_fraud"] for answer in answers])
    assert (decided == (shown >= round(served.threshold, 6))).all()


def test_the_metrics_are_those_of_the_dataframe_pipeline(served, by_name, data):
    """Same model, same numbers: the metadata's test metrics, recomputed from the DataFrame pipeline."""
    test = train.split(data, seed=42).test
    scores = by_name.predict_proba(test[train.FEATURE_NAMES])[:, 1]
    assert train.evaluate(test[train.TARGET], scores, served.threshold) == served.metadata["metrics"]["model"]["test"]


def test_model_input_puts_the_columns_in_schema_order_whatever_the_frame_holds(data):
    frame = data.head(50)
    shuffled = frame[list(reversed(frame.columns))]
    assert (train.model_input(shuffled) == train.model_input(frame)).all()
    assert (train.model_input(frame) == artefact.to_array(frame.to_dict("records"), train.FEATURES)).all()
    assert train.columns(train.FEATURE_NAMES) == list(range(len(train.FEATURES)))


def test_the_app_scores_without_pandas(served, rows, monkeypatch):
    """For one transaction a DataFrame cost more than the model: the serving path builds a NumPy array instead."""
    import pandas as pd

    def refuse(*args, **kwargs):
        raise AssertionError("FraudModel.score built a pandas DataFrame")

    monkeypatch.setattr(pd.DataFrame, "__init__", refuse)  # the class stays, for scikit-learn's isinstance checks
    assert served.score(rows[:1])[0]["fraud_probability"] == pytest.approx(
        served.pipeline.predict_proba(artefact.to_array(rows[:1], served.schema.features))[0, 1], abs=5e-7)


def test_the_speed_settings_stay_inside_the_call(served, rows):
    """assume_finite holds while the model predicts (validation refused NaN and infinity), and only then."""
    import sklearn

    seen = []
    pipeline = served.pipeline
    original = type(pipeline).predict_proba

    class Watching(type(pipeline)):
        def predict_proba(self, X, **params):
            seen.append(sklearn.get_config()["assume_finite"])
            return original(self, X, **params)

    watched = FraudModel(Watching(pipeline.steps), served.metadata, served.schema, served.controller)
    before = sklearn.get_config()["assume_finite"]
    assert watched.score(rows[:2]) == served.score(rows[:2])
    assert seen == [True]
    assert sklearn.get_config()["assume_finite"] == before is False
