"""The form is fuzzed too: whatever a client posts to it, the page answers 2xx or 4xx, never 5xx.

As test_properties.py does for the JSON API, hypothesis generates the bodies: each field of the form given any
text (digits of every script, hundreds of them, signs, underscores, nothing), fields missing or added, and
bodies that are not a form at all. derandomize=True: every run tries the same inputs.
"""

from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_properties import examples  # the JSON API's settings: as many inputs, the same each run

from fraud_app import create_app
from train import FEATURE_NAMES as FIELDS

#: What a person (or a script) might type into a field: any text, and numbers written in every odd way.
typed = (
    st.text(max_size=40)
    | st.from_regex(r"\A[-+]?[0-9_]{0,400}(\.[0-9_]*)?([eE][-+]?[0-9]{0,5})?\Z")
    | st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=10)  # digits of any script: ٥, ७
    | st.sampled_from(["nan", "inf", "-Infinity", "1e999", "0x1A", "1_4", " 7 ", "true", "false", "", "12,50"])
    | st.builds(lambda digit, count: digit * count, st.sampled_from("0123456789"), st.integers(1, 5000))  # long
)


@pytest.fixture(scope="module")
def client(model_path, tmp_path_factory):
    """One app for all generated inputs; no rate limit, so that every input reaches the form's checks."""
    database = tmp_path_factory.mktemp("form-properties") / "predictions.sqlite3"
    app = create_app({"MODEL_PATH": str(model_path), "DATABASE": str(database), "RATE_LIMIT": "off"})
    return app.test_client()


def assert_page_without_server_error(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/html"
    if response.status_code == 200:
        assert 'id="fraud-decision"' in response.get_data(as_text=True)
        assert 'id="fraud-probability"' not in response.get_data(as_text=True)  # anonymous: the decision only


@examples
@given(form=st.fixed_dictionaries({}, optional={field: typed for field in FIELDS}),
       extra=st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=12))
def test_any_form_gets_a_page_never_a_server_error(client, form, extra):
    body = urlencode(list(form.items()) + list(extra.items()))
    response = client.post("/", data=body, content_type="application/x-www-form-urlencoded")
    assert_page_without_server_error(response)


@examples
@given(field=st.sampled_from(FIELDS), value=typed)
def test_a_valid_form_with_anything_typed_in_one_field_gets_a_page_never_a_server_error(client, field, value):
    form = {"amount": "42.5", "hour": "14", "merchant_category": "grocery", "distance_from_home_km": "3.2",
            "is_online": "false", "is_foreign": "false", "transactions_last_24h": "2", "account_age_days": "900"}
    response = client.post("/", data={**form, field: value})
    assert_page_without_server_error(response)


@examples
@given(body=st.binary(max_size=300), content_type=st.sampled_from(
    ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", "application/json"]))
def test_any_bytes_posted_to_the_form_get_a_page_never_a_server_error(client, body, content_type):
    assert_page_without_server_error(client.post("/", data=body, content_type=content_type))
