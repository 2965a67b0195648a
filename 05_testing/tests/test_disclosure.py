"""No oracle for strangers: anonymous clients learn the decision, are rate-limited; token holders get the rest.

An exact probability at every request lets a search walk a flagged transaction under the threshold in a few
dozen requests (chapter 04, oracle.py). So /api/v1/predict and the form answer a client without the token the
decision only, and so many transactions a client (FRAUD_RATE_LIMIT, 429 with Retry-After past it); the model
card keeps its threshold, metrics and training distributions for token holders.
"""

import json
from pathlib import Path

import pytest

from fraud_app import create_app
from fraud_app.config import ConfigError, load_config
from fraud_app.ratelimit import Buckets, RateLimited

PUBLIC = {"is_fraud", "model_version"}
FULL = {"fraud_probability", "is_fraud", "model_version", "threshold"}


@pytest.fixture
def limited(model_path, tmp_path, auth):
    """The app with a small limit: 3 transactions an hour for a client without the token."""
    def make(**settings):
        return create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "p.sqlite3"),
                           "API_TOKEN": auth.token, "RATE_LIMIT": "3/hour", **settings})
    return make


# --- What a client learns -------------------------------------------------------------------------------------

def test_an_anonymous_client_gets_the_decision_only(client, transaction, risky):
    assert set(client.post("/api/v1/predict", json=risky).get_json()) == PUBLIC
    batch = client.post("/api/v1/predict", json={"transactions": [transaction, risky]}).get_json()["predictions"]
    assert [set(answer) for answer in batch] == [PUBLIC, PUBLIC]
    assert [answer["is_fraud"] for answer in batch] == [False, True]


def test_the_token_gets_the_probability_and_the_threshold(client, auth, transaction, risky):
    single = client.post("/api/v1/predict", json=risky, headers=auth.valid).get_json()
    assert set(single) == FULL
    assert single["is_fraud"] is (single["fraud_probability"] >= single["threshold"])
    batch = client.post("/api/v1/predict", json={"transactions": [transaction, risky]}, headers=auth.valid)
    assert [set(answer) for answer in batch.get_json()["predictions"]] == [FULL, FULL]


def test_a_wrong_token_is_no_token(client, auth, risky):
    answer = client.post("/api/v1/predict", json=risky, headers=auth.wrong)
    assert answer.status_code == 200  # an open endpoint: not a 401, only the anonymous answer
    assert set(answer.get_json()) == PUBLIC


def test_the_open_demo_gives_anyone_the_probability_but_not_the_card(model_path, tmp_path, risky):
    app = create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "p.sqlite3"), "OPEN_DEMO": True})
    client = app.test_client()
    assert set(client.post("/api/v1/predict", json=risky).get_json()) == FULL
    assert "threshold" not in client.get("/api/v1/model").get_json()


# --- The rate limit -------------------------------------------------------------------------------------------

def test_an_anonymous_client_is_limited_then_answered_429_with_retry_after(limited, transaction):
    client = limited().test_client()
    assert [client.post("/api/v1/predict", json=transaction).status_code for _ in range(3)] == [200] * 3
    refused = client.post("/api/v1/predict", json=transaction)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert "3 transactions per hour" in refused.get_json()["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 1200  # one transaction back: a third of an hour at most
    assert refused.headers["X-Content-Type-Options"] == "nosniff"  # an answer of the app like any other


def test_token_holders_are_not_limited(limited, transaction, auth):
    client = limited().test_client()
    answers = [client.post("/api/v1/predict", json=transaction, headers=auth.valid).status_code for _ in range(10)]
    assert answers == [200] * 10


def test_a_batch_costs_one_per_transaction_and_bad_input_costs_one(limited, transaction):
    client = limited().test_client()
    assert client.post("/api/v1/predict", json={"transactions": [transaction] * 2}).status_code == 200
    assert client.post("/api/v1/predict", json={**transaction, "hour": 99}).status_code == 400  # the third
    assert client.post("/api/v1/predict", json=transaction).status_code == 429


def test_a_batch_larger_than_the_limit_is_told_so(limited, transaction):
    refused = limited().test_client().post("/api/v1/predict", json={"transactions": [transaction] * 5})
    assert refused.status_code == 429
    assert "this batch holds 5" in refused.get_json()["error"]["message"]


def test_the_form_is_limited_too_with_a_page(limited, transaction):
    client = limited().test_client()
    form = {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in transaction.items()}
    assert [client.post("/", data=form).status_code for _ in range(3)] == [200] * 3
    refused = client.post("/", data=form)
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "429 Too Many Requests" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) >= 1


def test_each_client_address_has_its_own_bucket_and_x_forwarded_for_counts_only_on_a_platform(limited, transaction,
                                                                                                model_path):
    def spend(app, forwarded_for):
        headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"}
        return [app.test_client().post("/api/v1/predict", json=transaction, headers=headers).status_code
                for _ in range(4)]

    local = limited()  # no platform: the peer's address is the client; a header cannot change it
    assert spend(local, "203.0.113.1") == [200, 200, 200, 429]
    assert spend(local, "203.0.113.2") == [429] * 4
    # Behind the platform's proxy its X-Forwarded-For names the client (and there the artefact must be pinned).
    pin = json.loads(Path(model_path).with_suffix(".json").read_text())["artefact_sha256"]
    platform = limited(PLATFORM="DYNO", MODEL_SHA256=pin)
    assert spend(platform, "203.0.113.1") == [200, 200, 200, 429]
    assert spend(platform, "203.0.113.2") == [200, 200, 200, 429]


def test_the_bucket_refills_at_its_rate():
    now = [0.0]
    buckets = Buckets(capacity=3, period=60, clock=lambda: now[0])
    for _ in range(3):
        buckets.take("a")
    with pytest.raises(RateLimited) as refused:
        buckets.take("a")
    assert refused.value.retry_after == 20  # one token every 20 s
    buckets.take("b")  # another client: its own bucket
    now[0] = 20.0
    buckets.take("a")  # one token back
    with pytest.raises(RateLimited):
        buckets.take("a")
    now[0] = 10_000.0
    for _ in range(3):  # never more than the capacity, however long the wait
        buckets.take("a")
    with pytest.raises(RateLimited):
        buckets.take("a")


def test_the_table_of_clients_is_bounded():
    buckets = Buckets(capacity=1, period=3600, max_clients=100)
    for client in range(1000):
        buckets.take(f"198.51.100.{client}")
    assert len(buckets.clients) == 100
    assert next(iter(buckets.clients)) == "198.51.100.900"  # the least recently seen were forgotten


# --- The settings ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "parsed"), [("60/minute", (60, 60)), (" 5/Second ", (5, 1)), ("1/day", (1, 86400)),
                                             ("off", None)])
def test_the_rate_limit_setting_is_read(raw, parsed):
    assert load_config(environ={"FRAUD_RATE_LIMIT": raw})["RATE_LIMIT"] == parsed


@pytest.mark.parametrize("raw", ["60", "60/min", "0/minute", "-1/hour", "1e3/hour", "٦٠/minute", "lots"])
def test_a_bad_rate_limit_stops_the_app_with_one_line(raw):
    with pytest.raises(ConfigError) as refused:
        load_config(environ={"FRAUD_RATE_LIMIT": raw})
    assert str(refused.value) == (f"FRAUD_RATE_LIMIT={raw!r} is not valid: it accepts N/second, N/minute, N/hour or "
                                  "N/day with N a whole number from 1 to 1000000, or off")


def test_the_default_is_safe():
    config = load_config(environ={})
    assert (config["RATE_LIMIT"], config["OPEN_DEMO"]) == ((60, 60), False)


@pytest.mark.parametrize(("variable", "value"), [("FRAUD_OPEN_DEMO", "on"), ("FRAUD_RATE_LIMIT", "off")])
def test_in_production_the_open_demo_and_no_limit_are_refused(variable, value):
    assert load_config(environ={variable: value})  # on one's own machine: allowed
    with pytest.raises(ConfigError, match=f"^{variable}={value} is refused in production \\(DYNO is set\\)"):
        load_config(environ={variable: value, "DYNO": "web.1"})
    with pytest.raises(ConfigError, match=f"^{variable}={value} is refused in production \\(FRAUD_ENV=production\\)"):
        load_config(environ={variable: value, "FRAUD_ENV": "production"})
