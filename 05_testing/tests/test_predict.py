"""POST /api/v1/predict: RPC-style scoring of one transaction or a batch, and every way to get it wrong."""

import json

import pytest

from train import FEATURE_NAMES as FIELDS  # the model's fields, in the schema's order


def test_predict_one(client, transaction, app, auth):
    response = client.post("/api/v1/predict", json=transaction, headers=auth.valid)  # the token: the probability
    assert response.status_code == 200
    body = response.get_json()
    assert 0.0 <= body["fraud_probability"] <= 1.0
    assert body["is_fraud"] is (body["fraud_probability"] >= app.extensions["fraud_model"].threshold)
    assert body["model_version"] == app.extensions["fraud_model"].version


def test_a_risky_transaction_scores_higher_and_is_flagged(client, transaction, risky, auth):
    ordinary = client.post("/api/v1/predict", json=transaction, headers=auth.valid).get_json()
    flagged = client.post("/api/v1/predict", json=risky, headers=auth.valid).get_json()
    assert flagged["fraud_probability"] > ordinary["fraud_probability"]
    assert flagged["is_fraud"] is True
    assert ordinary["is_fraud"] is False


def test_a_batch_answers_in_input_order(client, transaction, risky):
    batch = [transaction, risky, transaction]
    answers = client.post("/api/v1/predict", json={"transactions": batch}).get_json()["predictions"]
    singles = [client.post("/api/v1/predict", json=t).get_json() for t in batch]
    assert answers == singles


def test_integers_are_accepted_for_decimal_fields(client, transaction):
    assert client.post("/api/v1/predict", json={**transaction, "amount": 42}).status_code == 200


def error_of(response):
    assert response.is_json, response.data
    return response.get_json()["error"]


@pytest.mark.parametrize(
    ("change", "field", "rule", "message"),
    [
        ({"amount": "42.5"}, "amount", "type", "field 'amount' must be a number, got a string"),
        ({"amount": True}, "amount", "type", "field 'amount' must be a number, got a boolean"),
        ({"amount": None}, "amount", "type", "field 'amount' must be a number, got null"),
        ({"amount": -1}, "amount", "range", "field 'amount' must be between"),
        ({"amount": 1e308}, "amount", "range", "field 'amount' must be between"),
        ({"hour": 24}, "hour", "range", "field 'hour' must be between 0 and 23, got 24"),
        ({"hour": 3.5}, "hour", "type", "field 'hour' must be an integer, got a number"),
        ({"hour": False}, "hour", "type", "field 'hour' must be an integer, got a boolean"),
        ({"merchant_category": "casino"}, "merchant_category", "category", "must be one of"),
        ({"merchant_category": 3}, "merchant_category", "type", "must be a string, got an integer"),
        (
            {"is_online": "yes"},
            "is_online",
            "type",
            "field 'is_online' must be a boolean (true or false), got a string",
        ),
        ({"is_foreign": 1}, "is_foreign", "type", "must be a boolean (true or false), got an integer"),
        ({"transactions_last_24h": -3}, "transactions_last_24h", "range", "must be between"),
        ({"account_age_days": [1]}, "account_age_days", "type", "must be an integer, got an array"),
        ({"colour": "red"}, "colour", "unknown", "unknown field 'colour'"),
    ],
)
def test_each_rule_is_named_with_its_field(client, transaction, change, field, rule, message):
    response = client.post("/api/v1/predict", json={**transaction, **change})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert {"field": field, "rule": rule} == {k: error["details"][0][k] for k in ("field", "rule")}
    assert message in error["details"][0]["message"]
    assert message in error["message"]


def test_every_missing_field_is_listed(client):
    error = error_of(client.post("/api/v1/predict", json={"amount": 10.0}))
    assert error["message"] == "missing required field(s): " + ", ".join(FIELDS[1:])
    assert [(d["field"], d["rule"]) for d in error["details"]] == [(field, "required") for field in FIELDS[1:]]


def test_every_problem_is_reported_at_once(client, transaction):
    error = error_of(client.post("/api/v1/predict", json={**transaction, "hour": 99, "amount": "x", "zzz": 1}))
    assert sorted(d["field"] for d in error["details"]) == ["amount", "hour", "zzz"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_rejected(client, transaction, constant):
    text = json.dumps(transaction).replace("42.5", constant)
    response = client.post("/api/v1/predict", data=text, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "malformed_json",
        "message": f"the body is not valid JSON: {constant} is not allowed in JSON",
    }


def test_a_number_too_large_for_a_float_is_rejected(client, transaction):
    text = json.dumps(transaction).replace("42.5", "1e999")  # parses as infinity
    assert (
        error_of(client.post("/api/v1/predict", data=text, content_type="application/json"))["details"][0]["rule"]
        == "finite"
    )


@pytest.mark.parametrize("body", ["[1, 2]", '"a string"', "42", "null"])
def test_a_body_that_is_not_an_object_is_refused(client, body):
    response = client.post("/api/v1/predict", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "must be a JSON object" in error_of(response)["message"]


@pytest.mark.parametrize("text", ["{", "{'amount': 1}", "", '{"amount": 1,}'])
def test_malformed_json_is_a_400(client, text):
    response = client.post("/api/v1/predict", data=text, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_json"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_labelled_json_is_a_415(client, transaction, content_type):
    response = client.post("/api/v1/predict", data=json.dumps(transaction), content_type=content_type)
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_a_body_over_the_size_limit_is_a_413(client, app):
    text = '{"x": "' + "a" * app.config["MAX_CONTENT_LENGTH"] + '"}'
    response = client.post("/api/v1/predict", data=text, content_type="application/json")
    assert response.status_code == 413
    assert error_of(response) == {
        "code": "payload_too_large",
        "message": f"the request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes",
    }


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ([], "'transactions' must hold between 1 and 1000 transactions, got 0"),
        ("nope", "'transactions' must be an array, got a string"),
        ({"amount": 1}, "'transactions' must be an array, got an object"),
    ],
)
def test_batches_are_bounded(client, batch, message):
    assert error_of(client.post("/api/v1/predict", json={"transactions": batch}))["message"] == message


def test_an_over_long_batch_is_refused(client, transaction, app):
    app.config["MAX_BATCH"] = 3
    error = error_of(client.post("/api/v1/predict", json={"transactions": [transaction] * 4}))
    assert error["message"] == "'transactions' must hold between 1 and 3 transactions, got 4"


def test_invalid_items_of_a_batch_are_named_by_index(client, transaction):
    batch = [transaction, {**transaction, "hour": -1}, transaction, {**transaction, "is_online": "no"}]
    error = error_of(client.post("/api/v1/predict", json={"transactions": batch}))
    assert error["message"] == "2 of 4 transactions are invalid"
    assert [(d["index"], d["field"]) for d in error["details"]] == [(1, "hour"), (3, "is_online")]
