"""GET /metrics in one process (the Flask test client): what is counted, how it is labelled, who may read it,
and FRAUD_METRICS. tests/test_metrics_gunicorn.py checks the sums over gunicorn's workers."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from fraud_app import create_app
from fraud_app.config import ConfigError, load_config

TOKEN = "metrics-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

ORDINARY = {"amount": 42.5, "hour": 14, "merchant_category": "grocery", "distance_from_home_km": 3.2,
            "is_online": False, "is_foreign": False, "transactions_last_24h": 2, "account_age_days": 900}
RISKY = {"amount": 2400.0, "hour": 3, "merchant_category": "electronics", "distance_from_home_km": 800.0,
         "is_online": True, "is_foreign": True, "transactions_last_24h": 9, "account_age_days": 5}


@pytest.fixture
def app(model_path, tmp_path):
    app = create_app({"TESTING": True, "MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3"),
                      "API_TOKEN": TOKEN})
    yield app
    app.extensions["fraud_db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def samples(client) -> dict:
    """Every sample of /metrics, as {(name, ((label, value), ...)): value}."""
    answer = client.get("/metrics", headers=AUTH)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.get_data(as_text=True))
        for sample in family.samples
    }


def decisions(client) -> dict:
    found = samples(client)
    return {d: found[("fraud_predictions_total", (("decision", d),))] for d in ("fraud", "legit")}


def test_metrics_answer_prometheus_text_with_both_decisions_at_zero(client):
    answer = client.get("/metrics", headers=AUTH)
    assert answer.status_code == 200
    assert answer.content_type == "text/plain; version=0.0.4; charset=utf-8"
    assert decisions(client) == {"fraud": 0, "legit": 0}


@pytest.mark.parametrize(("headers", "message"), [
    ({}, "this endpoint needs the header 'Authorization: Bearer <token>'"),
    ({"Authorization": "Bearer not-the-token"}, "the token is not valid"),
    ({"Authorization": f"Basic {TOKEN}"}, "this endpoint needs the header 'Authorization: Bearer <token>'"),
])
def test_metrics_need_the_token(client, headers, message):
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert answer.json == {"error": {"code": "unauthorized", "message": message}}
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_every_scored_transaction_is_counted_by_its_decision(client):
    single = client.post("/api/v1/predict", json=RISKY).json
    batch = client.post("/api/v1/predict", json={"transactions": [ORDINARY, RISKY, ORDINARY]}).json["predictions"]
    stored = client.post("/api/v1/predictions", json=ORDINARY, headers=AUTH).json
    form = {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in RISKY.items()}
    assert client.post("/", data=form).status_code == 200
    outcomes = [single["is_fraud"], *(p["is_fraud"] for p in batch), stored["is_fraud"], True]  # the form: RISKY
    assert outcomes.count(True) >= 3, "the risky transaction is flagged: both decisions are exercised"
    assert decisions(client) == {"fraud": outcomes.count(True), "legit": outcomes.count(False)}


def test_refused_requests_score_nothing_and_count_nothing(client):
    assert client.post("/api/v1/predict", json={**ORDINARY, "amount": -1}).status_code == 400
    assert client.post("/api/v1/predict", json={"transactions": [ORDINARY, {}]}).status_code == 400
    assert client.post("/api/v1/predictions", json=ORDINARY).status_code == 401
    assert client.post("/", data={"amount": "lots"}).status_code == 400
    assert decisions(client) == {"fraud": 0, "legit": 0}


def test_request_durations_are_labelled_by_view_and_status_never_by_path(client):
    client.get("/health")
    for prediction_id in (1, 2, 99999):
        client.get(f"/api/v1/predictions/{prediction_id}", headers=AUTH)
    client.get("/api/v1/no/such/page")
    client.get("/made-up-path-1")
    found = samples(client)
    counts = {labels: value for (name, labels), value in found.items()
              if name == "fraud_request_duration_seconds_count"}
    assert counts == {
        (("endpoint", "web.health"), ("status", "200")): 1,
        (("endpoint", "api.get_prediction"), ("status", "404")): 3,
        (("endpoint", "unmatched"), ("status", "404")): 2,
    }  # (the scrape being answered is timed once it is answered: it shows in the next one)
    labels = {value for (_, pairs) in found for _, value in pairs}
    assert not any("/" in value for value in labels), "no URL path is ever a label value"


def test_the_histogram_buckets_hold_each_request_once(client):
    for _ in range(4):
        client.get("/health")
    found = samples(client)
    health = (("endpoint", "web.health"), ("status", "200"))
    assert found[("fraud_request_duration_seconds_bucket", tuple(sorted((*health, ("le", "+Inf")))))] == 4
    assert 0 < found[("fraud_request_duration_seconds_sum", health)] < 4 * 5


def test_the_model_served_is_an_info_metric(client, app):
    model = app.extensions["fraud_model"]
    found = samples(client)
    info = {labels: value for (name, labels), value in found.items() if name == "fraud_model_info"}
    assert info == {(("digest", model.digest), ("version", model.version)): 1}


def test_each_app_counts_its_own_predictions(model_path, tmp_path, client):
    client.post("/api/v1/predict", json=ORDINARY)
    other = create_app({"TESTING": True, "MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "other.sqlite3"),
                        "API_TOKEN": TOKEN})
    try:
        assert decisions(other.test_client()) == {"fraud": 0, "legit": 0}
    finally:
        other.extensions["fraud_db"].dispose()
    assert decisions(client) == {"fraud": 0, "legit": 1}


SCRAPE = "scrape-only-token-0123456789"


@pytest.fixture
def scraped_app(model_path, tmp_path):
    app = create_app({"TESTING": True, "MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3"),
                      "API_TOKEN": TOKEN, "METRICS_TOKEN": SCRAPE})
    yield app
    app.extensions["fraud_db"].dispose()


def test_the_metrics_token_reads_metrics_and_nothing_else(scraped_app):
    client = scraped_app.test_client()
    scrape = {"Authorization": f"Bearer {SCRAPE}"}
    assert client.get("/metrics", headers=scrape).status_code == 200
    assert client.get("/metrics", headers=AUTH).status_code == 200  # the API token reads metrics too
    for method, path in [("GET", "/api/v1/predictions"), ("GET", "/api/v1/predictions/1"),
                         ("DELETE", "/api/v1/predictions/1"), ("PUT", "/api/v1/predictions/1/label"),
                         ("POST", "/api/v1/predictions"), ("GET", "/api/v1/monitoring")]:
        answer = client.open(path, method=method, headers=scrape, json=ORDINARY)
        assert answer.status_code == 401, (method, path, answer.get_data(as_text=True))
        assert answer.json["error"]["code"] == "unauthorized"


def test_a_metrics_token_alone_lets_prometheus_scrape(model_path, tmp_path):
    app = create_app({"TESTING": True, "MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3"),
                      "METRICS_TOKEN": SCRAPE})
    try:
        client = app.test_client()
        assert client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE}"}).status_code == 200
        refused = client.get("/api/v1/predictions", headers={"Authorization": f"Bearer {SCRAPE}"})
        assert refused.status_code == 503  # no API token configured: stored predictions are closed
    finally:
        app.extensions["fraud_db"].dispose()


def test_without_a_configured_token_metrics_are_refused(model_path, tmp_path):
    app = create_app({"TESTING": True, "MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3")})
    try:
        assert app.test_client().get("/metrics", headers=AUTH).status_code == 503
    finally:
        app.extensions["fraud_db"].dispose()


def test_fraud_metrics_off_serves_no_metrics_and_still_predicts(model_path, tmp_path, monkeypatch):
    monkeypatch.setenv("FRAUD_METRICS", "off")
    app = create_app({"TESTING": True, "MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3"),
                      "API_TOKEN": TOKEN})
    try:
        client = app.test_client()
        assert client.post("/api/v1/predict", json=ORDINARY).status_code == 200
        assert client.get("/metrics", headers=AUTH).status_code == 404
        assert "fraud_metrics" not in app.extensions
    finally:
        app.extensions["fraud_db"].dispose()


@pytest.mark.parametrize(("raw", "expected"), [("on", True), ("off", False), (" OFF ", False), ("On", True)])
def test_fraud_metrics_accepts_on_and_off(raw, expected):
    assert load_config(environ={"FRAUD_METRICS": raw})["METRICS"] is expected


@pytest.mark.parametrize("raw", ["yes", "1", "true", "of"])
def test_fraud_metrics_refuses_anything_else_in_one_line(raw):
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"FRAUD_METRICS": raw})
    assert str(caught.value) == f"FRAUD_METRICS={raw!r} is not valid: it accepts on or off"


def test_a_test_mapping_is_checked_too():
    with pytest.raises(ConfigError, match="FRAUD_METRICS is not valid"):
        load_config({"METRICS": "off"}, environ={})


def test_a_multiprocess_folder_that_does_not_exist_stops_the_app(model_path, tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match=r"^PROMETHEUS_MULTIPROC_DIR='.*missing' is not valid: it accepts an"):
        create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3")})


def test_a_multiprocess_folder_set_too_late_stops_the_app(model_path, tmp_path, monkeypatch):
    # prometheus_client is imported already, in memory mode: numbers would never reach the folder's files.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="set after prometheus_client was imported"):
        create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3")})
