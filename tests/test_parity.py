"""The app's serving path says exactly what the tutorial's DataFrame path says, on every row of the course's data.

Chapter 03's pipeline takes a NumPy array in schema order and picks its columns by position, which is what lets
the app score a transaction without pandas (chapter 07 measures the difference). Nothing may change in what the
model says: not the probabilities, not the metrics. Here the same recipe is fitted the way tutorials write it (a
ColumnTransformer that picks its columns by *name* from a DataFrame, as this course's pipeline was built before),
on the same split with the same seed, and both paths score all 20,000 transactions of data/.

The app also computes the pipeline's fitted preparation with NumPy (fraud_app.model.FittedPreparation) instead of
calling the ColumnTransformer: the matrix must be the ColumnTransformer's, exactly, and the probabilities the
pickled pipeline's; any pipeline of another shape must be served by the pipeline itself.
"""

import logging
import random

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

import artefact
import train
from fraud_app.model import FittedPreparation, FraudModel, NotRecognised

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


# --- The fitted preparation, computed with NumPy --------------------------------------------------------------

def test_the_course_pipeline_is_served_through_its_fitted_numbers(served, rows):
    """Recognised: the matrix is the ColumnTransformer's, to the last bit, for every transaction of data/."""
    assert served.preparation is not None
    X = artefact.to_array(rows, served.schema.features)
    expected = served.pipeline[0].transform(X).astype(np.float64)
    assert np.array_equal(served.preparation.transform(X), expected)


@pytest.mark.parametrize("size", [1, 7, 1000, 20_000])
def test_the_fast_path_says_what_the_pipeline_says_in_batches(served, rows, size):
    """Rows of data/ in batches of ``size``: within 1e-6 of the pickled pipeline (in fact equal).

    Large batches cover every row; small ones a seeded sample of 100 batches from all over the data, the first
    and the last (ragged: 20,000 is no multiple of 7) among them. Each batch costs the pipeline a call of a few
    milliseconds (many more on a busy machine), and the 2,857 batches of 7 would say no more than 100 do: every
    row is already compared, in one batch, by the test above.
    """
    starts = list(range(0, len(rows), size))
    if len(starts) > 100:
        starts = sorted({starts[0], starts[-1], *random.Random(size).sample(starts, 98)})
    worst = 0.0
    for start in starts:
        X = artefact.to_array(rows[start:start + size], served.schema.features)
        fast, pipeline = served.predict_proba(X), served.pipeline.predict_proba(X)
        assert fast.shape == pipeline.shape == (len(X), 2)
        worst = max(worst, float(np.abs(fast - pipeline).max()))
    assert worst <= TOLERANCE


def test_a_category_the_encoder_does_not_know_is_refused_by_the_pipeline(served, rows):
    """Validation refuses it first; if one ever got through, the pipeline would refuse it, as it always has."""
    X = artefact.to_array([{**rows[0], "merchant_category": "casino"}], served.schema.features)
    assert served.preparation.transform(X) is None
    with pytest.raises(ValueError, match="unknown categor"):
        served.predict_proba(X)


def variants():
    """Pipelines of other shapes, as a learner might make them: each must be served by the pipeline itself."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import MinMaxScaler

    def course():
        return train.build_pipeline("baseline")

    def with_scaler():
        return course().set_params(prepare__numbers=MinMaxScaler())

    def ignoring_unknown():
        return course().set_params(prepare__category__handle_unknown="ignore")

    def pandas_output():
        pipeline = course()
        pipeline[0].set_output(transform="pandas")
        return pipeline

    def three_steps():
        return Pipeline([("impute", SimpleImputer(strategy="most_frequent")), *course().steps])

    def remainder_passthrough():
        pipeline = course()
        steps = [step for step in pipeline[0].transformers if step[0] != "flags"]
        pipeline[0].set_params(transformers=steps, remainder="passthrough")  # the flags, as the remainder
        return pipeline

    def no_pipeline():
        return LogisticRegression(max_iter=1000)  # not a pipeline: fitted on the encoded numbers below

    return {f.__name__: f for f in (with_scaler, ignoring_unknown, pandas_output, three_steps,
                                     remainder_passthrough, no_pipeline)}


@pytest.mark.parametrize("name", sorted(variants()))
def test_a_pipeline_of_another_shape_is_served_by_the_pipeline_itself(served, data, rows, name, caplog):
    sample = data.head(3000)
    pipeline = variants()[name]()
    if name == "no_pipeline":
        X = served.preparation.transform(train.model_input(sample))
        pipeline.fit(X, sample[train.TARGET])
        rows_in = X
    else:
        pipeline.fit(train.model_input(sample), sample[train.TARGET])
        rows_in = None
    with pytest.raises(NotRecognised):
        FittedPreparation.of(pipeline, len(served.schema.features))
    with caplog.at_level(logging.INFO, logger="fraud_app.model"):
        model = FraudModel(pipeline, served.metadata, served.schema, served.controller)
    assert model.preparation is None
    said = [record.getMessage() for record in caplog.records if record.name == "fraud_app.model"]
    assert len(said) == 1
    assert said[0].startswith("model: serving through pipeline.predict_proba: ")
    if rows_in is None:
        X = artefact.to_array(rows[:300], served.schema.features)
        shown = np.array([answer["fraud_probability"] for answer in model.score(rows[:300])])
        assert np.abs(shown - pipeline.predict_proba(X)[:, 1]).max() <= TOLERANCE


def test_a_variant_of_the_same_shape_is_recognised_and_computed_from_its_own_numbers(served, data, rows):
    """Recognition reads the fitted steps, not this course's numbers: a pipeline that drops the flags, fitted on
    other rows, is served through its own fitted numbers, and says what it says."""
    pipeline = train.build_pipeline("baseline")
    pipeline[0].set_params(flags="drop")
    sample = data.tail(3000)
    pipeline.fit(train.model_input(sample), sample[train.TARGET])
    model = FraudModel(pipeline, served.metadata, served.schema, served.controller)
    assert model.preparation is not None
    assert model.preparation.width == 12
    X = artefact.to_array(rows[:2000], served.schema.features)
    assert np.array_equal(model.preparation.transform(X), pipeline[0].transform(X).astype(np.float64))
    assert np.abs(model.predict_proba(X) - pipeline.predict_proba(X)).max() <= TOLERANCE


# --- A batch body, parsed and validated in one pass -----------------------------------------------------------

def usual_path(schema, text: str):
    """What /predict did with a body before contract.valid_batch: json.loads with the API's checks, then
    validate_batch for {"transactions": [...]}; "refused" for anything it refuses, None for a single transaction."""
    from fraud_app.api import parse_json
    from fraud_app.errors import ApiError
    from fraud_app.schema import ValidationError

    try:
        body = parse_json(text)
    except ApiError:
        return "refused"
    if not (isinstance(body, dict) and set(body) == {"transactions"}):
        return None
    try:
        return schema.validate_batch(body["transactions"], 1000)
    except ValidationError:
        return "refused"


def tricky_bodies(rows) -> dict[str, str]:
    """Batch bodies on which a JSON parser and a validator might disagree with json.loads and pydantic's Python side."""
    import json

    good = json.dumps(rows[0])
    fields = good[1:-1]
    one = {**rows[0]}

    def batch(*items: str) -> str:
        return '{"transactions": [' + ", ".join(items) + "]}"

    def with_value(name: str, text: str) -> str:
        return "{" + ", ".join([f'"{name}": {text}'] + [f'"{k}": {json.dumps(v)}' for k, v in one.items()
                                                           if k != name]) + "}"

    bodies = {
        "valid": batch(good, good),
        "valid, 1000": batch(*[json.dumps(row) for row in rows[:1000]]),
        "1001 transactions": batch(*[good] * 1001),
        "empty": batch(),
        "byte-order mark": "\ufeff" + batch(good),
        "trailing data": batch(good) + " x",
        "trailing comma": batch(good + ","),
        "single quotes": batch(good).replace('"', "'"),
        "NaN": batch(with_value("amount", "NaN")),
        "Infinity": batch(with_value("amount", "Infinity")),
        "-Infinity": batch(with_value("distance_from_home_km", "-Infinity")),
        "1e400": batch(with_value("amount", "1e400")),
        "150-digit integer": batch(with_value("amount", "1" * 150)),
        "5000-digit integer": batch(with_value("account_age_days", "9" * 5000)),
        "3.0 for an integer": batch(with_value("hour", "3.0")),
        "1e1 for an integer": batch(with_value("hour", "1e1")),
        "true for an integer": batch(with_value("hour", "true")),
        "1 for a boolean": batch(with_value("is_online", "1")),
        "a string for a number": batch(with_value("amount", '"42"')),
        "leading zero": batch(with_value("hour", "03")),
        "leading plus": batch(with_value("hour", "+3")),
        ".5": batch(with_value("amount", ".5")),
        "-0": batch(with_value("hour", "-0")),
        "an unknown category": batch(with_value("merchant_category", '"casino"')),
        "a lone surrogate": batch(with_value("merchant_category", '"\\ud800"')),
        "an escaped category": batch(with_value("merchant_category", '"gro\\u0063ery"')),
        "a control character": batch(with_value("merchant_category", '"groc\tery"')),
        "duplicate key, the last one invalid": batch("{" + fields + ', "hour": 99}'),
        "duplicate key, the last one valid": batch('{"hour": 99, ' + fields + "}"),
        "duplicate transactions, the last one empty": '{"transactions": [' + good + '], "transactions": []}',
        "duplicate transactions, the last one valid": '{"transactions": [], "transactions": [' + good + "]}",
        "an extra field": batch("{" + fields + ', "note": "x"}'),
        "an extra top-level key": '{"transactions": [' + good + '], "note": 1}',
        "a single transaction": good,
        "an array": "[" + good + "]",
        "null": "null",
        "nested too deeply": batch("[" * 5000 + "]" * 5000),
        "a comment": batch(good) + " // done",
    }
    return bodies


def test_a_batch_parsed_in_one_pass_accepts_what_the_usual_path_accepts_and_nothing_else(served, rows):
    """Refusing is always safe (the usual path then says why); accepting what it refuses would loosen validation."""
    from fraud_app import contract

    bodies = tricky_bodies(rows)
    accepted = set()
    for name, text in bodies.items():
        expected, fast = usual_path(served.schema, text), contract.valid_batch(served.schema, text, 1000)
        if fast is None:
            continue
        accepted.add(name)
        assert isinstance(expected, list), f"{name}: accepted in one pass, but the usual path says {expected!r}"
        assert fast == expected, name
        assert [list(map(type, t.values())) for t in fast] == [list(map(type, t.values())) for t in expected], name
    # and the valid ones do take the fast path (else it would be a slow no-op)
    assert accepted == {name for name, text in bodies.items() if isinstance(usual_path(served.schema, text), list)}
    assert {"valid", "valid, 1000", "-0", "duplicate key, the last one valid"} <= accepted


def test_a_batch_answer_is_the_json_flask_would_write(served, rows, model_path, tmp_path):
    """Written by pydantic instead of Flask's json: the same value, the same keys in the same order."""
    import json

    from fraud_app import create_app

    app = create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3"), "DATABASE_URL": None,
                      "API_TOKEN": "parity-token-0123456789"})
    response = app.test_client().post("/api/v1/predict", json={"transactions": rows[:1000]},
                                      headers={"Authorization": "Bearer parity-token-0123456789"})  # the whole answer
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    with app.app_context():
        flask_text = app.json.dumps({"predictions": served.score(rows[:1000])})
    assert json.loads(response.get_data()) == json.loads(flask_text)
    assert list(json.loads(response.get_data())["predictions"][0]) == list(json.loads(flask_text)["predictions"][0])
