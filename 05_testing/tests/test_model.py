"""Model tests of the artefact the app serves: quality on held-out data, behaviour, integrity.

tests/test_train.py tests the training code; these test the thing that is deployed, the way
the app loads it, on the transactions that training never saw.
"""

import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

import train
from artefact import load_artefact, sha256_of


@pytest.fixture(scope="module")
def loaded(model_path):
    """The pipeline and metadata, loaded and verified as the app does."""
    return load_artefact(model_path)


@pytest.fixture(scope="module")
def held_out():
    """The test split: the same seed as training, so these rows were never used to fit or choose."""
    return train.split(train.load_data(), seed=42).test


def fraud_scores(pipeline, rows):
    return pipeline.predict_proba(train.model_input(rows))[:, 1]


def test_quality_floor_on_held_out_data(loaded, held_out):
    pipeline, _ = loaded
    scores = fraud_scores(pipeline, held_out)
    assert roc_auc_score(held_out[train.TARGET], scores) >= 0.85
    assert 0.4 <= average_precision_score(held_out[train.TARGET], scores) <= 0.9  # useful, and no leak


def test_the_metadata_reports_what_the_model_really_does(loaded, held_out):
    pipeline, metadata = loaded
    measured = roc_auc_score(held_out[train.TARGET], fraud_scores(pipeline, held_out))
    assert measured == pytest.approx(metadata["metrics"]["model"]["test"]["roc_auc"], abs=1e-4)


@pytest.mark.parametrize(
    "factor",
    [
        {"hour": 3},
        {"account_age_days": 3},
        {"transactions_last_24h": 10},
        {"amount": 3000.0},
        {"merchant_category": "electronics", "is_online": True},
    ],
)
def test_directional_each_risk_factor_raises_the_score(client, transaction, factor, auth):
    ordinary = client.post("/api/v1/predict", json=transaction, headers=auth.valid).get_json()["fraud_probability"]
    risky = client.post("/api/v1/predict", json={**transaction, **factor},
                        headers=auth.valid).get_json()["fraud_probability"]
    assert risky > ordinary


@pytest.mark.parametrize("same", [{"amount": 42.5}, {"amount": 42.50000000001}])
def test_invariance_tiny_changes_do_not_change_the_answer(client, transaction, same, auth):
    base = client.post("/api/v1/predict", json=transaction, headers=auth.valid).get_json()
    assert client.post("/api/v1/predict", json={**transaction, **same}, headers=auth.valid).get_json() == base


def test_invariance_the_order_of_the_fields_does_not_matter(client, transaction):
    reordered = dict(reversed(list(transaction.items())))
    assert (
        client.post("/api/v1/predict", json=reordered).get_json()
        == client.post("/api/v1/predict", json=transaction).get_json()
    )


def test_the_artefact_is_the_one_its_metadata_describes(model_path, loaded):
    _, metadata = loaded
    assert sha256_of(model_path) == metadata["artefact"]["sha256"]
    assert metadata["model_version"].endswith(metadata["artefact"]["sha256"][:8])
