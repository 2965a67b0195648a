"""The reference distributions saved at training time (03_pickle_model/reference.py) and the drift measure
the app computes from them (fraud_app/drift.py): the population stability index."""

import json
import math

import numpy as np
import pytest

import artefact
import reference
import train
from fraud_app import drift


@pytest.fixture(scope="module")
def parts():
    return train.split(train.load_data(), seed=42)


@pytest.fixture(scope="module")
def ref(parts):
    return reference.build_reference(parts.train, train.FEATURES)


def rows_of(frame) -> list[dict]:
    """Rows as the API stores them: plain Python values (bools as bools, ints as ints)."""
    return json.loads(frame[train.FEATURE_NAMES].to_json(orient="records"))


def test_the_trained_artefact_carries_the_reference_of_its_training_rows(model_path, parts):
    metadata = artefact.read_metadata(model_path)
    assert metadata["reference"] == json.loads(json.dumps(reference.build_reference(parts.train, train.FEATURES)))
    assert metadata["reference"]["method"] == "psi"
    assert metadata["reference"]["threshold"] == 0.2
    assert metadata["reference"]["rows"] == len(parts.train) == metadata["training_data"]["split"]["train"]
    assert set(metadata["reference"]["features"]) == set(train.FEATURE_NAMES)  # JSON sorts the keys


def test_an_edited_reference_is_refused_by_the_artefact_check(model_path, tmp_path):
    copy = tmp_path / "fraud_model.pkl"
    copy.write_bytes(model_path.read_bytes())
    metadata = json.loads(artefact.metadata_path(model_path).read_text())
    artefact.metadata_path(copy).write_text(json.dumps(metadata))
    artefact.load_artefact(copy)  # the control: the unchanged copy loads
    metadata["reference"]["features"]["amount"]["bins"][0] += 1.0
    artefact.metadata_path(copy).write_text(json.dumps(metadata))
    with pytest.raises(artefact.ArtefactError, match="the metadata was edited"):
        artefact.load_artefact(copy)


def test_numbers_get_decile_bins_holding_a_tenth_of_the_training_rows_each(ref, parts):
    amount = ref["features"]["amount"]
    assert len(amount["bins"]) == 9
    assert len(amount["proportions"]) == 10
    assert amount["bins"] == sorted(amount["bins"])
    assert all(abs(share - 0.1) < 0.002 for share in amount["proportions"])
    assert set(amount["bins"]) <= set(parts.train["amount"]), "cut points are training values"


def test_repeated_cut_points_are_kept_once_and_no_training_bin_is_empty(ref):
    counts = ref["features"]["transactions_last_24h"]
    assert counts["bins"] == sorted(set(counts["bins"]))
    assert len(counts["bins"]) < 9
    assert all(share > 0 for share in counts["proportions"])
    assert math.isclose(sum(counts["proportions"]), 1, abs_tol=1e-5)


def test_categories_and_flags_get_one_bin_per_value_in_schema_order(ref, parts):
    category = ref["features"]["merchant_category"]
    assert category["categories"] == train.CATEGORIES
    grocery = (parts.train["merchant_category"] == "grocery").mean()
    assert category["proportions"][0] == round(grocery, 6)
    online = ref["features"]["is_online"]
    assert online["categories"] == [False, True]
    assert online["proportions"][1] == round(parts.train["is_online"].mean(), 6)


def test_a_value_on_an_edge_falls_in_the_bin_that_edge_closes_and_outer_bins_are_open():
    feature = {"bins": [1.0, 2.0], "proportions": [0.5, 0.25, 0.25]}
    assert drift.bin_counts(feature, [-50, 1.0, 1.5, 2.0, 2.0001, 1e9]).tolist() == [2, 2, 2]


def test_psi_matches_the_formula_computed_by_hand():
    feature = {"categories": ["a", "b"], "proportions": [0.5, 0.5]}
    values = ["a"] * 8 + ["b"] * 2
    by_hand = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert drift.psi(feature, values) == pytest.approx(by_hand)
    assert drift.psi(feature, ["a", "b"] * 5) == 0


def test_an_empty_bin_is_smoothed_to_epsilon_so_the_score_stays_finite():
    feature = {"categories": ["a", "b"], "proportions": [0.5, 0.5]}
    eps = drift.EPSILON
    by_hand = (1 - 0.5) * math.log(1 / 0.5) + (eps - 0.5) * math.log(eps / 0.5)
    assert drift.psi(feature, ["a"] * 10) == pytest.approx(by_hand)


def test_a_category_the_training_data_never_had_is_drift():
    feature = {"categories": ["a", "b"], "proportions": [0.5, 0.5]}
    assert drift.bin_counts(feature, ["a", "b", "crypto"]).tolist() == [1, 1, 1]
    assert drift.psi(feature, ["a", "b"] * 40 + ["crypto"] * 20) > drift.THRESHOLD


def test_flags_are_not_confused_with_numbers():
    feature = {"categories": [False, True], "proportions": [0.5, 0.5]}
    assert drift.bin_counts(feature, [True, False, 1, 0]).tolist() == [1, 1, 2]


def test_the_psi_of_no_values_is_refused():
    with pytest.raises(ValueError, match="empty sample"):
        drift.psi({"bins": [1.0], "proportions": [0.5, 0.5]}, [])


def test_traffic_like_the_training_data_has_not_drifted(ref, parts):
    result = drift.report(ref, rows_of(parts.validation))
    assert result["rows"] == len(parts.validation)
    assert result["drifted"] is False
    assert all(f["drifted"] is False and 0 <= f["score"] < 0.05 for f in result["features"].values()), result


def test_shifted_amounts_are_drift_in_amount_and_only_there(ref, parts):
    rows = [{**row, "amount": round(row["amount"] * 1.5, 2)} for row in rows_of(parts.validation)]
    result = drift.report(ref, rows)
    assert result["drifted"] is True
    assert result["features"]["amount"]["drifted"] is True
    assert result["features"]["amount"]["score"] >= 0.2
    assert [name for name, f in result["features"].items() if f["drifted"]] == ["amount"]


def test_a_small_sample_is_scored_but_not_judged(ref, parts):
    result = drift.report(ref, rows_of(parts.validation.head(drift.MIN_ROWS - 1)))
    assert result["drifted"] is None
    assert all(f["drifted"] is None and f["score"] is not None for f in result["features"].values())
    judged = drift.report(ref, rows_of(parts.validation.head(drift.MIN_ROWS)))
    assert judged["drifted"] is False


def test_samples_of_min_rows_like_the_training_data_raise_no_false_alarm(ref, parts):
    rows = rows_of(parts.validation)
    rng = np.random.default_rng(0)
    alarms = sum(drift.report(ref, [rows[i] for i in rng.choice(len(rows), drift.MIN_ROWS, replace=False)])["drifted"]
                 for _ in range(50))
    assert alarms == 0


def test_no_rows_give_nulls_not_an_error(ref):
    result = drift.report(ref, [])
    assert result["rows"] == 0
    assert result["drifted"] is None
    assert all(f == {"score": None, "drifted": None} for f in result["features"].values())


def test_counting_in_batches_gives_the_same_report_as_all_at_once(ref, parts):
    rows = rows_of(parts.validation)
    counter = drift.DriftCounter(ref)
    for start in range(0, len(rows), 333):
        counter.add(rows[start:start + 333])
    assert counter.report() == drift.report(ref, rows)
