"""The training path (03_pickle_model/train.py): it reproduces, the model is useful but not perfect,
it behaves sensibly on obvious cases, and its artefact carries complete metadata.

The model is trained once for the whole session, exactly as `make model` trains it.
"""

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import artefact
import train

ROOT = Path(__file__).resolve().parent.parent
TRAIN_PY = ROOT / "03_pickle_model" / "train.py"

RISKY = {  # every risk factor of the data card at once
    "amount": 2500.0, "hour": 2, "merchant_category": "electronics", "distance_from_home_km": 900.0,
    "is_online": True, "is_foreign": True, "transactions_last_24h": 9, "account_age_days": 5,
}
ORDINARY = {  # an afternoon grocery run near home on an old account
    "amount": 35.0, "hour": 14, "merchant_category": "grocery", "distance_from_home_km": 3.0,
    "is_online": False, "is_foreign": False, "transactions_last_24h": 1, "account_age_days": 1500,
}


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> tuple[Path, dict]:
    """The model trained once, with the defaults of `make model`: its pickle's path and its metadata."""
    out = tmp_path_factory.mktemp("model") / "fraud_model.pkl"
    return out, train.train(train.DATA, out)


@pytest.fixture(scope="session")
def metadata(trained) -> dict:
    return trained[1]


@pytest.fixture(scope="session")
def model(trained):
    """The trained pipeline, loaded back through the artefact's checks."""
    return artefact.load_artefact(trained[0])[0]


@pytest.fixture(scope="session")
def data() -> pd.DataFrame:
    return train.load_data(train.DATA)


def score(model, *rows: dict) -> np.ndarray:
    return model.predict_proba(artefact.to_array(list(rows), train.FEATURES))[:, 1]


# -- the pieces ---------------------------------------------------------------------------------


def test_split_is_stratified_disjoint_and_complete(data):
    parts = train.split(data, seed=42)
    assert [len(part) for part in parts] == [12_000, 4_000, 4_000]
    indexes = [set(part.index) for part in parts]
    assert set.union(*indexes) == set(data.index)
    assert sum(len(index) for index in indexes) == len(data)
    rate = data["is_fraud"].mean()
    assert all(abs(part["is_fraud"].mean() - rate) < 0.001 for part in parts)


def test_split_depends_on_the_seed(data):
    assert train.split(data, 1).test.index.equals(train.split(data, 1).test.index)
    assert not train.split(data, 1).test.index.equals(train.split(data, 2).test.index)


@pytest.mark.parametrize("kind", train.KINDS)
def test_pipelines_use_only_library_classes(kind):
    """Nothing from this repository inside, so the pickle loads wherever scikit-learn is installed."""
    pipeline = train.build_pipeline(kind, seed=0)
    modules = {type(step).__module__.split(".")[0] for step in [pipeline, *pipeline.named_steps.values()]}
    modules |= {type(transformer).__module__.split(".")[0]
                for _, transformer, _ in pipeline.named_steps["prepare"].transformers if transformer != "passthrough"}
    assert modules == {"sklearn"}


def test_unknown_model_kind_is_refused():
    with pytest.raises(ValueError, match="unknown model kind 'forest'"):
        train.build_pipeline("forest")


@pytest.mark.parametrize(
    ("target", "expected"),
    [(0.25, 0.9), (0.5, 0.8), (0.75, 0.7), (0.8, 0.6), (1.0, 0.6)],
)
def test_choose_threshold_is_the_highest_that_meets_the_target(target, expected):
    y = [1, 1, 1, 1, 0, 0]
    scores = [0.9, 0.8, 0.7, 0.6, 0.95, 0.1]
    assert train.choose_threshold(y, scores, target) == expected


def test_choose_threshold_survives_floating_point():
    """0.8 * 85 is 68.00000000000001 in floating point; the goal still needs 68 cases, not 69."""
    y = np.ones(85, dtype=bool)
    scores = np.linspace(1, 0.01, 85)
    threshold = train.choose_threshold(y, scores, 0.8)
    assert (scores >= threshold).sum() == 68


@pytest.mark.parametrize("target", [0, -0.1, 1.01])
def test_choose_threshold_refuses_impossible_targets(target):
    with pytest.raises(ValueError, match="recall_target"):
        train.choose_threshold([1, 0], [0.9, 0.1], target)


def test_evaluate_counts_and_the_accuracy_trap():
    y = np.array([True, True, False, False, False, False, False, False, False, False])
    scores = np.array([0.9, 0.2, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    metrics = train.evaluate(y, scores, threshold=0.5)
    assert metrics["confusion_matrix"] == {"true_negatives": 7, "false_positives": 1, "false_negatives": 1,
                                           "true_positives": 1}
    assert (metrics["precision"], metrics["recall"], metrics["f1"]) == (0.5, 0.5, 0.5)
    assert metrics["accuracy"] == 0.8
    assert metrics["accuracy_always_not_fraud"] == 0.8, "never flagging anything is as 'accurate' here"


# -- the trained model ---------------------------------------------------------------------------


def test_model_is_useful_but_not_perfect(metadata):
    test = metadata["metrics"]["model"]["test"]
    assert test["roc_auc"] >= 0.85
    assert 0.4 <= test["average_precision"] <= 0.9


def test_model_beats_the_baseline(metadata):
    metrics = metadata["metrics"]
    assert metrics["model"]["test"]["average_precision"] > metrics["baseline"]["test"]["average_precision"]


def test_accuracy_alone_would_mislead(metadata):
    test = metadata["metrics"]["model"]["test"]
    assert test["accuracy_always_not_fraud"] > 0.97
    assert test["accuracy"] < test["accuracy_always_not_fraud"] + 0.02


def test_threshold_meets_the_recall_target_on_validation(model, metadata, data):
    validation = train.split(data, metadata["seed"]).validation
    scores = model.predict_proba(train.model_input(validation))[:, 1]
    fraud = validation["is_fraud"].to_numpy()
    caught = scores[fraud] >= metadata["threshold"]
    assert caught.mean() >= 0.80
    assert metadata["metrics"]["model"]["validation"]["recall"] == round(caught.mean(), 4)
    # The highest such threshold: any fraud score above it would miss the target.
    higher = np.sort(scores[fraud][scores[fraud] > metadata["threshold"]])
    if higher.size:
        assert (scores[fraud] >= higher[0]).mean() < 0.80


def test_same_seed_same_metrics_and_same_pickle_bytes(trained, tmp_path):
    out, metadata = trained
    again = train.train(train.DATA, tmp_path / "fraud_model.pkl")
    assert again["metrics"] == metadata["metrics"]
    assert again["threshold"] == metadata["threshold"]
    assert (tmp_path / "fraud_model.pkl").read_bytes() == out.read_bytes()
    assert again["model_version"] == metadata["model_version"]


def test_another_seed_gives_another_model(metadata, tmp_path):
    other = train.train(train.DATA, tmp_path / "fraud_model.pkl", seed=7)
    assert other["seed"] == 7
    assert other["metrics"]["model"]["test"] != metadata["metrics"]["model"]["test"]


def test_risky_transaction_scores_far_above_an_ordinary_one(model, metadata):
    risky, ordinary = score(model, RISKY, ORDINARY)
    assert risky > 0.5 > 0.05 > ordinary
    assert risky >= metadata["threshold"] > ordinary, "flagged and not flagged at the chosen threshold"


@pytest.mark.parametrize("factor", [
    {"hour": 2}, {"account_age_days": 5}, {"transactions_last_24h": 9}, {"amount": 1000.0},
])
def test_each_risk_factor_alone_raises_the_score(model, factor):
    ordinary, changed = score(model, ORDINARY, {**ORDINARY, **factor})
    assert changed > ordinary


def test_a_bigger_amount_never_makes_a_risky_transaction_look_much_safer(model):
    amounts = [100.0, 500.0, 1000.0, 2500.0, 5000.0, 20_000.0, 100_000.0]
    scores = score(model, *({**RISKY, "amount": amount} for amount in amounts))
    assert all(later >= earlier - 0.05 for earlier, later in zip(scores, scores[1:], strict=False))


def test_prediction_does_not_depend_on_column_order(model, data):
    X = data[train.FEATURE_NAMES].head(500)
    shuffled = X[list(reversed(train.FEATURE_NAMES))]
    # The pipeline picks its columns by position: model_input puts them in schema order, whatever the frame's.
    assert np.array_equal(model.predict_proba(train.model_input(X)), model.predict_proba(train.model_input(shuffled)))


# -- the metadata --------------------------------------------------------------------------------


def test_metadata_has_every_key_the_design_asks_for(metadata):
    assert set(metadata) == {*artefact.REQUIRED_KEYS, "artefact", "artefact_sha256"}
    assert metadata["model"] == "gradient_boosting"
    assert set(metadata["versions"]) == {"python", "scikit-learn", "numpy", "pandas"}
    assert metadata["versions"] == artefact.current_versions()
    assert metadata["target"]["name"] == "is_fraud"
    assert metadata["seed"] == 42
    assert metadata["threshold_goal"]["recall_target"] == 0.8
    assert metadata["threshold_goal"]["chosen_on"] == "validation"
    assert 0 < metadata["threshold"] < 1
    assert set(metadata["metrics"]) == {"model", "baseline"}
    assert set(metadata["metrics"]["model"]) == {"validation", "test"}
    assert datetime.strptime(metadata["trained_at"], "%Y-%m-%dT%H:%M:%SZ")


def test_metrics_are_rounded_to_four_decimals(metadata):
    def numbers(value):
        if isinstance(value, dict):
            return [number for item in value.values() for number in numbers(item)]
        return [value] if isinstance(value, float) else []

    for name in ("model", "baseline"):
        for set_name in ("validation", "test"):
            assert all(round(x, 4) == x for x in numbers(metadata["metrics"][name][set_name]))


def test_model_version_names_the_exact_pickle(metadata):
    assert re.fullmatch(r"1\.0\.0\+[0-9a-f]{8}", metadata["model_version"])
    assert metadata["model_version"].endswith(metadata["artefact"]["sha256"][:8])


def test_training_data_is_identified(metadata):
    data = metadata["training_data"]
    assert data["path"] == "data/transactions.csv"
    assert data["sha256"] == artefact.sha256_of(train.DATA)
    assert (data["rows"], data["fraud"]) == (20_000, 429)
    assert data["split"] == {"train": 12_000, "validation": 4_000, "test": 4_000}


def test_schema_covers_exactly_the_csv_feature_columns(metadata):
    header = train.DATA.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert [feature["name"] for feature in metadata["features"]] == [c for c in header if c != "is_fraud"]


def test_schema_types_ranges_and_categories_fit_the_data(metadata, data):
    kinds = {"float": "float64", "int": "int64", "bool": "bool"}
    for feature in metadata["features"]:
        column = data[feature["name"]]
        assert {"name", "type", "label", "description", "default"} <= set(feature)
        if feature["type"] == "category":
            assert set(feature["categories"]) == set(column.unique())
            assert feature["default"] in feature["categories"]
        else:
            assert str(column.dtype) == kinds[feature["type"]], feature["name"]
        if feature["type"] in ("float", "int"):
            assert feature["min"] <= column.min(), feature["name"]
            assert column.max() <= feature["max"], feature["name"]
            assert feature["min"] <= feature["default"] <= feature["max"], feature["name"]
            assert type(feature["min"]) is type(feature["max"]) is {"float": float, "int": int}[feature["type"]]
        if feature["type"] == "bool":
            assert isinstance(feature["default"], bool)


def test_descriptions_leave_ranges_and_units_to_the_schema(metadata):
    """The form shows "From min to max unit." after each description: a description that said it too would
    say it twice. So a description says what the feature means, without the numbers of its range or its unit."""
    unit_words = {"EUR": ("eur", "euro"), "km": ("km", "kilomet"), "days": ("day",)}
    for feature in metadata["features"]:
        description = feature["description"].lower().replace(",", "")
        if feature["type"] in ("float", "int"):
            for bound in (feature["min"], feature["max"]):
                assert not re.search(rf"\b{bound:g}\b", description), (feature["name"], bound)
        for word in unit_words.get(feature.get("unit"), ()):
            assert word not in description, (feature["name"], word)


def test_schema_defaults_make_an_ordinary_transaction(model, metadata):
    defaults = {feature["name"]: feature["default"] for feature in metadata["features"]}
    assert score(model, defaults)[0] < metadata["threshold"]


def test_metadata_file_matches_what_train_returned(trained):
    out, metadata = trained
    assert json.loads(out.with_suffix(".json").read_text()) == metadata


# -- the command line ------------------------------------------------------------------------------


def test_cli_trains_from_anywhere_and_prints_no_absolute_path(tmp_path, trained):
    result = subprocess.run([sys.executable, str(TRAIN_PY), "--out", "out/fraud_model.pkl"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out, metadata = trained
    assert result.stdout == train.summary(metadata, "out/fraud_model.pkl") + "\n"
    assert "Wrote out/fraud_model.pkl and out/fraud_model.json." in result.stdout
    assert "data/transactions.csv" in result.stdout
    assert not re.search(r"(^|\s)/", result.stdout), "no absolute path"
    assert str(tmp_path) not in result.stdout
    assert str(ROOT) not in result.stdout
    assert (tmp_path / "out" / "fraud_model.pkl").read_bytes() == out.read_bytes()


def test_cli_refuses_an_impossible_recall_target(capsys):
    with pytest.raises(SystemExit) as exit_:
        train.main(["--recall-target", "1.5"])
    assert exit_.value.code == 2
    assert "--recall-target must be above 0 and at most 1" in capsys.readouterr().err


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "MAKEFLAGS": ""})


def test_make_model_builds_once_then_has_nothing_to_do(tmp_path):
    if make("--question", ".venv/.course-installed").returncode != 0:
        pytest.skip("the course's .venv is not up to date: `make model` would reinstall it first")
    target = tmp_path / "fraud_model.pkl"
    assert make("--question", f"MODEL={target}", str(target)).returncode == 1, "not built yet"
    built = make("model", f"MODEL={target}")
    assert built.returncode == 0, built.stderr
    assert target.exists()
    assert target.with_suffix(".json").exists()
    assert make("--question", f"MODEL={target}", str(target)).returncode == 0, "up to date: nothing to do"


def test_training_is_quiet_where_joblib_cannot_count_physical_cores():
    """Without /sys (some containers, chroots) joblib cannot count physical cores: training still prints nothing."""
    code = (
        "import joblib.externals.loky.backend.context as context\n"
        "context._count_physical_cores_linux = lambda: 0  # what lscpu reports where /sys is not mounted\n"
        "import train\n"
        "from sklearn.ensemble import HistGradientBoostingClassifier\n"
        "HistGradientBoostingClassifier(max_iter=2).fit([[0.0], [1.0], [0.0], [1.0]], [0, 1, 0, 1])\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=ROOT / "03_pickle_model", env={**os.environ, "PYTHONWARNINGS": "default"})
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
