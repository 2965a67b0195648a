"""GET /api/v1/monitoring: counts, live performance from the stored labels, input drift, its window
(?last=, ?since=), bad queries and the token; on SQLite and on PostgreSQL."""

import itertools
import json
import time
from datetime import datetime, timedelta, timezone

import pytest

import train
from fraud_app import create_app, drift
from fraud_app import monitoring as monitoring_module
from fraud_app.monitoring import LAST_DEFAULT, LAST_MAX

TOKEN = "monitoring-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

ORDINARY = {"amount": 42.5, "hour": 14, "merchant_category": "grocery", "distance_from_home_km": 3.2,
            "is_online": False, "is_foreign": False, "transactions_last_24h": 2, "account_age_days": 900}
RISKY = {"amount": 2400.0, "hour": 3, "merchant_category": "electronics", "distance_from_home_km": 800.0,
         "is_online": True, "is_foreign": True, "transactions_last_24h": 9, "account_age_days": 5}


DATABASES = itertools.count()  # a new PostgreSQL database for each test


@pytest.fixture(params=["sqlite"])
def app(request, model_path, tmp_path):
    url = None
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres")
        url = server.create_database(f"monitoring_{next(DATABASES)}")
    app = create_app({"TESTING": True, "MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3"),
                      "DATABASE_URL": url, "API_TOKEN": TOKEN})
    yield app
    app.extensions["fraud_db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def monitoring(client, query: str = "") -> dict:
    answer = client.get(f"/api/v1/monitoring{query}", headers=AUTH)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json


def store(client, transaction: dict, label: bool | None = None) -> dict:
    stored = client.post("/api/v1/predictions", json=transaction, headers=AUTH).json
    if label is not None:
        stored = client.put(f"/api/v1/predictions/{stored['id']}/label", json={"is_fraud": label}, headers=AUTH).json
    return stored


def test_an_empty_database_answers_zeros_and_nulls(client, app):
    model = app.extensions["fraud_model"]
    body = monitoring(client)
    assert body == {
        "model_version": model.version,
        "threshold": round(model.threshold, 6),
        "window": {"last": LAST_DEFAULT, "since": None, "first_at": None, "last_at": None, "model_versions": []},
        "counts": {"predictions": 0, "labelled": 0, "flagged": 0},
        "performance": None,
        "drift": drift.report(model.metadata["reference"], []),
    }
    assert body["drift"]["drifted"] is None
    assert all(f == {"score": None, "drifted": None} for f in body["drift"]["features"].values())


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_monitoring_needs_the_token(client, headers):
    answer = client.get("/api/v1/monitoring", headers=headers)
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "unauthorized"


@pytest.fixture
def labelled(client):
    """Seven stored predictions, five of them labelled, as a fraud team would have confirmed them:

    | stored | model says | label | outcome |
    |---|---|---|---|
    | RISKY | fraud | fraud | true positive |
    | RISKY | fraud | legit | false positive |
    | RISKY | fraud | none | - |
    | ORDINARY | legit | fraud | false negative |
    | ORDINARY | legit | legit | true negative |
    | ORDINARY | legit | legit | true negative |
    | ORDINARY | legit | none | - |
    """
    plan = [(RISKY, True), (RISKY, False), (RISKY, None), (ORDINARY, True), (ORDINARY, False), (ORDINARY, False),
            (ORDINARY, None)]
    stored = [store(client, transaction, label) for transaction, label in plan]
    assert [s["is_fraud"] for s in stored] == [True] * 3 + [False] * 4, "the model flags RISKY, not ORDINARY"
    return stored


@pytest.mark.parametrize("app", ["sqlite", "postgresql"], indirect=True)
def test_performance_is_what_the_stored_labels_say(client, labelled):
    body = monitoring(client)
    assert body["counts"] == {"predictions": 7, "labelled": 5, "flagged": 3}
    assert body["performance"] == {"precision": 0.5, "recall": 0.5, "true_positives": 1, "false_positives": 1,
                                   "false_negatives": 1, "true_negatives": 2}
    assert body["window"]["first_at"] == labelled[0]["created_at"]
    assert body["window"]["last_at"] == labelled[-1]["created_at"]
    assert body["window"]["model_versions"] == [labelled[0]["model_version"]]


@pytest.mark.parametrize("app", ["sqlite", "postgresql"], indirect=True)
def test_a_corrected_label_and_a_deleted_prediction_change_the_figures(client, labelled):
    client.put(f"/api/v1/predictions/{labelled[1]['id']}/label", json={"is_fraud": True}, headers=AUTH)  # fp -> tp
    client.delete(f"/api/v1/predictions/{labelled[3]['id']}", headers=AUTH)  # the false negative
    body = monitoring(client)
    assert body["counts"] == {"predictions": 6, "labelled": 4, "flagged": 3}
    assert body["performance"] == {"precision": 1.0, "recall": 1.0, "true_positives": 2, "false_positives": 0,
                                   "false_negatives": 0, "true_negatives": 2}


@pytest.mark.parametrize("app", ["sqlite", "postgresql"], indirect=True)
def test_last_takes_the_most_recent_predictions(client, labelled):
    body = monitoring(client, "?last=3")  # ORDINARY legit, ORDINARY legit, ORDINARY unlabelled
    assert body["window"]["last"] == 3
    assert body["window"]["first_at"] == labelled[4]["created_at"]
    assert body["counts"] == {"predictions": 3, "labelled": 2, "flagged": 0}
    assert body["performance"] == {"precision": None, "recall": None, "true_positives": 0, "false_positives": 0,
                                   "false_negatives": 0, "true_negatives": 2}
    assert monitoring(client, "?last=1000")["counts"]["predictions"] == 7, "fewer stored than asked: all of them"


def test_precision_is_null_when_nothing_labelled_was_flagged_and_recall_when_nothing_was_fraud(client):
    store(client, ORDINARY, True)  # a missed fraud: nothing flagged
    assert monitoring(client)["performance"] == {"precision": None, "recall": 0.0, "true_positives": 0,
                                                 "false_positives": 0, "false_negatives": 1, "true_negatives": 0}
    store(client, RISKY, False)  # a false alarm
    assert monitoring(client, "?last=1")["performance"] == {
        "precision": 0.0, "recall": None, "true_positives": 0, "false_positives": 1, "false_negatives": 0,
        "true_negatives": 0}


def test_unlabelled_predictions_give_counts_and_no_performance(client):
    store(client, RISKY)
    store(client, ORDINARY)
    body = monitoring(client)
    assert body["counts"] == {"predictions": 2, "labelled": 0, "flagged": 1}
    assert body["performance"] is None


@pytest.mark.parametrize("app", ["sqlite", "postgresql"], indirect=True)
def test_since_keeps_the_predictions_made_at_or_after_that_time(client):
    early = store(client, RISKY, True)
    time.sleep(0.01)  # stored times are to the millisecond
    later = [store(client, ORDINARY, False), store(client, ORDINARY)]
    moment = later[0]["created_at"]
    body = monitoring(client, f"?since={moment}")
    assert body["window"]["since"] == moment
    assert body["counts"] == {"predictions": 2, "labelled": 1, "flagged": 0}
    # The same moment in another zone, and without a zone (taken as UTC), is the same window.
    utc = datetime.fromisoformat(moment)
    in_paris = utc.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert monitoring(client, f"?since={in_paris.replace('+', '%2B')}")["counts"]["predictions"] == 2
    assert monitoring(client, f"?since={utc.replace(tzinfo=None).isoformat()}")["counts"]["predictions"] == 2
    assert monitoring(client, f"?since={early['created_at']}")["counts"]["predictions"] == 3
    future = (utc + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert monitoring(client, f"?since={future}")["counts"] == {"predictions": 0, "labelled": 0, "flagged": 0}
    assert monitoring(client, f"?since={early['created_at']}&last=1")["counts"]["predictions"] == 1


@pytest.mark.parametrize(("query", "message"), [
    ("?last=0", f"query parameter 'last' must be an integer between 1 and {LAST_MAX}, got '0'"),
    ("?last=-5", f"query parameter 'last' must be an integer between 1 and {LAST_MAX}, got '-5'"),
    ("?last=ten", f"query parameter 'last' must be an integer between 1 and {LAST_MAX}, got 'ten'"),
    ("?last=2.5", f"query parameter 'last' must be an integer between 1 and {LAST_MAX}, got '2.5'"),
    ("?last=", f"query parameter 'last' must be an integer between 1 and {LAST_MAX}, got ''"),
    (f"?last={LAST_MAX + 1}",
     f"query parameter 'last' must be an integer between 1 and {LAST_MAX}, got '{LAST_MAX + 1}'"),
    ("?last=" + "9" * 30, f"query parameter 'last' must be an integer between 1 and {LAST_MAX}, got '{'9' * 30}'"),
    ("?last=%D9%A5", f"query parameter 'last' must be an integer between 1 and {LAST_MAX}, got '\u0665'"),
    ("?since=yesterday", "query parameter 'since' must be an ISO 8601 time such as 2026-05-20T09:30:00Z, "
                         "got 'yesterday'"),
    ("?since=2026-13-01", "query parameter 'since' must be an ISO 8601 time such as 2026-05-20T09:30:00Z, "
                          "got '2026-13-01'"),
    ("?since=", "query parameter 'since' must be an ISO 8601 time such as 2026-05-20T09:30:00Z, got ''"),
    ("?since=0001-01-01T00:00:00%2B01:00", "query parameter 'since' must be an ISO 8601 time such as "
                                           "2026-05-20T09:30:00Z, got '0001-01-01T00:00:00+01:00'"),
    ("?since=" + "2" * 100, "query parameter 'since' must be an ISO 8601 time such as 2026-05-20T09:30:00Z, "
                            f"got '{'2' * 64}…'"),
], ids=["zero", "negative", "word", "fraction", "empty", "over the cap", "huge", "arabic-indic digit",
        "word since", "month 13", "empty since", "before year 1 in UTC", "too long"])
def test_a_bad_query_is_a_400_in_the_api_error_shape(client, query, message):
    answer = client.get(f"/api/v1/monitoring{query}", headers=AUTH)
    assert answer.status_code == 400
    assert answer.json == {"error": {"code": "bad_query", "message": message}}


def test_without_last_the_window_is_bounded_by_the_default(client, monkeypatch):
    """No `last`: the LAST_DEFAULT most recent, never the whole table (300,000 rows took 7 s)."""
    monkeypatch.setattr(monitoring_module, "LAST_DEFAULT", 3)
    stored = [store(client, ORDINARY) for _ in range(5)]
    body = monitoring(client)
    assert body["window"]["last"] == 3
    assert body["counts"]["predictions"] == 3
    assert body["window"]["first_at"] == stored[2]["created_at"]
    assert monitoring(client, f"?since={stored[0]['created_at']}")["counts"]["predictions"] == 3
    assert monitoring(client, "?last=5")["counts"]["predictions"] == 5


def test_monitoring_answers_are_never_cached(client):
    for query in ("", "?last=0"):  # an answer, and an error
        assert client.get(f"/api/v1/monitoring{query}", headers=AUTH).headers["Cache-Control"] == "no-store"


def test_the_cap_itself_is_accepted(client):
    assert monitoring(client, f"?last={LAST_MAX}")["window"]["last"] == LAST_MAX


@pytest.fixture(scope="module")
def held_out() -> list[dict]:
    """Transactions the model never saw, drawn like its training data: the test split's first rows."""
    test = train.split(train.load_data(), seed=42).test
    return json.loads(test[train.FEATURE_NAMES].head(drift.MIN_ROWS + 20).to_json(orient="records"))


def test_traffic_like_the_training_data_has_not_drifted(client, held_out):
    for transaction in held_out:
        store(client, transaction)
    result = monitoring(client)["drift"]
    assert result["rows"] == len(held_out)
    assert result["drifted"] is False
    assert not any(f["drifted"] for f in result["features"].values())


def test_traffic_with_larger_amounts_has_drifted_in_amount(client, held_out):
    for transaction in held_out:
        store(client, {**transaction, "amount": round(transaction["amount"] * 2, 2)})
    result = monitoring(client)["drift"]
    assert result["drifted"] is True
    assert [name for name, f in result["features"].items() if f["drifted"]] == ["amount"]
    # The window sees the change come: the most recent like-training traffic has not drifted.
    for transaction in held_out:
        store(client, transaction)
    assert monitoring(client, f"?last={len(held_out)}")["drift"]["drifted"] is False


@pytest.mark.parametrize("app", ["sqlite", "postgresql"], indirect=True)
def test_stored_inputs_are_read_a_batch_at_a_time_with_the_same_result(client, held_out, monkeypatch):
    from fraud_app import db

    for transaction in held_out[:20]:
        store(client, transaction)
    whole = monitoring(client)["drift"]
    batches = []
    original = drift.DriftCounter.add
    monkeypatch.setattr(db, "INPUT_BATCH", 7)
    monkeypatch.setattr(drift.DriftCounter, "add", lambda self, rows: (batches.append(len(rows)), original(self, rows)))
    assert monitoring(client)["drift"] == whole
    assert batches == [7, 7, 6]
