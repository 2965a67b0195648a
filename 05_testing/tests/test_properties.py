"""Property-based tests: whatever JSON a client sends, the API answers 2xx or 4xx, never 5xx.

Instead of a list of examples, hypothesis generates hundreds of inputs from a description of
their shape (any JSON value; transactions with one field replaced by anything) and looks for
one that breaks the property. derandomize=True makes every run try the same inputs, so the
suite is reproducible; database=None keeps no state between runs.
"""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fraud_app import create_app
from train import FEATURE_NAMES as FIELDS  # the model's fields, in the schema's order

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
# 150 inputs per property in `make test`; chapter 05's notebook asks for fewer, to stay quick.
examples = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "150")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def client(model_path, tmp_path_factory):
    """One app for all generated inputs (hypothesis calls each test many times)."""
    database = tmp_path_factory.mktemp("properties") / "predictions.sqlite3"
    return create_app({"MODEL_PATH": str(model_path), "DATABASE": str(database),
                       "API_TOKEN": "properties-token-01"}).test_client()


#: The token: the answer carries the probability, and hundreds of inputs are not rate-limited.
AUTH = {"Authorization": "Bearer properties-token-01"}


def assert_client_error_or_success(response):
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json
    if response.status_code >= 400:
        assert set(response.get_json()["error"]) >= {"code", "message"}


@examples
@given(body=json_values)
def test_any_json_body_gets_a_2xx_or_a_4xx(client, body):
    for path in ("/api/v1/predict", "/api/v1/predictions"):
        assert_client_error_or_success(client.post(path, json=body, headers=AUTH))


@examples
@given(field=st.sampled_from(FIELDS), value=json_values)
def test_a_transaction_with_any_value_in_one_field_gets_a_2xx_or_a_4xx(client, transaction, field, value):
    response = client.post("/api/v1/predict", json={**transaction, field: value}, headers=AUTH)
    assert_client_error_or_success(response)
    if response.status_code == 200:  # then the value was valid, and the answer is a probability
        assert 0.0 <= response.get_json()["fraud_probability"] <= 1.0


@examples
@given(text=st.text(max_size=200))
def test_any_text_as_a_body_gets_a_4xx(client, text):
    response = client.post("/api/v1/predict", data=text, content_type="application/json", headers=AUTH)
    assert_client_error_or_success(response)
    # Short random text is never a whole valid transaction: always a client error, never a 2xx.
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    try:
        json.loads(text)
    except ValueError:
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "malformed_json"


@examples
@given(batch=st.lists(st.fixed_dictionaries({}, optional={f: json_values for f in FIELDS}), max_size=5))
def test_any_batch_gets_a_2xx_or_a_4xx(client, batch):
    assert_client_error_or_success(client.post("/api/v1/predict", json={"transactions": batch}, headers=AUTH))
