"""The web form, its result page, /health, the model card, and errors for people and programs."""

import re

import pytest

from fraud_app import create_app
from train import FEATURE_NAMES as FIELDS  # the model's fields, in the schema's order


def form_data(transaction):
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in transaction.items()}


def test_health(client, app):
    assert client.get("/health").get_json() == {"status": "ok", "model_version": app.extensions["fraud_model"].version}


def test_model_card_is_the_metadata_for_token_holders(client, app, auth):
    card = client.get("/api/v1/model", headers=auth.valid).get_json()
    assert card == app.extensions["fraud_model"].metadata
    assert [f["name"] for f in card["features"]] == FIELDS


def test_the_anonymous_model_card_has_no_threshold_metrics_reference_or_seed(client, app, auth):
    card = client.get("/api/v1/model").get_json()
    metadata = app.extensions["fraud_model"].metadata
    for secret in ("threshold", "threshold_goal", "metrics", "reference", "seed", "training_data"):
        assert secret in metadata
        assert secret not in card
        assert secret in card["withheld"]
    assert str(round(metadata["threshold"], 4)) not in client.get("/api/v1/model").get_data(as_text=True)
    assert [f["name"] for f in card["features"]] == FIELDS  # what it takes stays public
    assert (card["model_version"], card["artefact_sha256"]) == (metadata["model_version"], metadata["artefact_sha256"])
    wrong = client.get("/api/v1/model", headers=auth.wrong).get_json()
    assert wrong == card  # a wrong token is no token


def test_the_form_has_one_labelled_field_per_feature(client):
    page = client.get("/").get_data(as_text=True)
    for name in FIELDS:
        assert f'name="{name}"' in page
        assert f'<label for="{name}">' in page
        assert f'id="{name}-help"' in page
    assert "http://" not in page  # nothing from a CDN or any other site
    assert "https://" not in page
    assert 'href="static/style.css"' in page  # relative: works behind a path prefix


def test_the_stylesheet_is_served_by_the_app(client):
    with client.get("/static/style.css") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"


def test_submitting_the_form_with_the_token_shows_probability_decision_threshold_and_inputs(client, transaction,
                                                                                             auth):
    response = client.post("/", data=form_data(transaction), headers=auth.valid)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    probability = float(re.search(r'id="fraud-probability" data-probability="([0-9.e-]+)"', page).group(1))
    api = client.post("/api/v1/predict", json=transaction, headers=auth.valid).get_json()
    assert probability == api["fraud_probability"]
    assert f"{probability * 100:.1f} %" in page
    assert 'id="fraud-decision" data-is-fraud="false"' in page
    assert "looks legitimate" in page
    assert "or more)" in page
    assert "grocery" in page


def test_the_anonymous_form_shows_the_decision_only(client, transaction, risky, app):
    for sent, decision in ((transaction, "looks legitimate"), (risky, "flag as fraud")):
        page = client.post("/", data=form_data(sent)).get_data(as_text=True)
        assert re.search(r'<p class="decision" id="fraud-decision" data-is-fraud="(true|false)">', page)
        assert decision in page
        assert 'id="fraud-probability"' not in page
        assert "data-probability" not in page and "or more)" not in page and " %" not in page  # noqa: PT018
        assert f"{app.extensions['fraud_model'].threshold * 100:.1f}" not in page


def test_the_open_demo_shows_the_probability_to_anyone(model_path, tmp_path, transaction):
    app = create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "p.sqlite3"), "OPEN_DEMO": True})
    page = app.test_client().post("/", data=form_data(transaction)).get_data(as_text=True)
    assert 'id="fraud-probability" data-probability="' in page
    assert 'id="fraud-decision"' in page


def test_a_risky_submission_is_flagged(client, risky):
    page = client.post("/", data=form_data(risky)).get_data(as_text=True)
    assert "flag as fraud" in page
    assert 'data-is-fraud="true"' in page


@pytest.mark.parametrize(("typed", "message"), [
    ("9" * 300, "Hour of the day must be between 0 and 23; you entered a number of 300 digits"),  # was a 500
    ("1_4", "Hour of the day must be a whole number, such as 3; you entered &#39;1_4&#39;"),  # int() reads 14
    ("\u0665", "Hour of the day must be a whole number, such as 3; you entered &#39;\u0665&#39;"),  # an Arabic-Indic 5
    ("\uff11\uff14", "Hour of the day must be a whole number, such as 3; you entered &#39;\uff11\uff14&#39;"),
])
def test_the_form_reads_whole_numbers_as_the_api_does(client, transaction, typed, message):
    response = client.post("/", data={**form_data(transaction), "hour": typed})
    assert response.status_code == 400
    assert re.search(r'id="hour-error">([^<]*)<', response.get_data(as_text=True)).group(1) == message
    api = client.post("/api/v1/predict", data=f'{{"hour": {typed}}}'.encode(), content_type="application/json")
    assert api.status_code == 400  # the API refuses each as well


@pytest.mark.parametrize("typed", ["1_000.5", "\u0664\u0662.5", "0x10", "4 2"])
def test_the_form_reads_decimals_as_the_api_does(client, transaction, typed):
    response = client.post("/", data={**form_data(transaction), "amount": typed})
    assert response.status_code == 400
    assert "Amount must be a number, such as 42.50" in response.get_data(as_text=True)


def test_a_form_with_far_more_fields_than_the_form_has_is_refused(client, transaction):
    data = {**form_data(transaction), **{f"x{i}": "1" for i in range(100)}}
    response = client.post("/", data=data)
    assert response.status_code == 400
    assert "the form has more than 16 fields" in response.get_data(as_text=True)


def test_the_form_refuses_a_body_that_is_not_a_form(client, transaction):
    response = client.post("/", data="amount=1", content_type="text/plain")
    assert response.status_code == 415
    assert response.mimetype == "text/html"


def test_a_long_typed_value_is_not_echoed_whole(client, transaction):
    response = client.post("/", data={**form_data(transaction), "amount": "x" * 100_000})
    assert response.status_code == 400
    assert len(response.data) < 20_000


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("amount", "lots", "Amount must be a number, such as 42.50; you entered &#39;lots&#39;"),
        ("amount", "-5", "Amount must be between 0 EUR and 100,000 EUR; you entered -5"),
        ("amount", "12,50", "Amount: write decimals with a dot (12.50) and no thousands separator"),
        ("hour", "7.5", "Hour of the day must be a whole number, such as 3; you entered &#39;7.5&#39;"),
        ("hour", "", "Hour of the day is required"),
        ("hour", "25", "Hour of the day must be between 0 and 23; you entered 25"),
        ("merchant_category", "casino", "choose one of the merchant category options in the list"),
        ("is_online", "maybe", "Online payment: choose yes or no"),
        ("amount", "nan", "Amount must be a finite number; you entered &#39;nan&#39;"),
    ],
)
def test_bad_input_answers_400_keeps_what_was_typed_and_says_why(client, transaction, field, typed, message):
    data = {**form_data(transaction), field: typed}
    response = client.post("/", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error">' in page
    error_line = re.search(rf'id="{field}-error">([^<]*)<', page).group(1)
    assert error_line == message
    assert 'id="fraud-probability"' not in page
    if field in ("amount", "hour"):
        assert f'value="{typed}"' in page


def test_unknown_pages_are_html_for_people(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "404 Not Found" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/v1/nothing", 404, "not_found"),
        ("get", "/api/v2/predict", 404, "not_found"),
        ("get", "/api/v1/predict", 405, "method_not_allowed"),
        ("delete", "/api/v1/predictions", 405, "method_not_allowed"),
        ("patch", "/api/v1/predictions/1", 405, "method_not_allowed"),
    ],
)
def test_api_errors_are_json(client, method, path, status, code):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.is_json
    assert response.get_json()["error"]["code"] == code
    if status == 405:
        assert "Allow" in response.headers


def test_a_server_error_is_logged_and_answered_without_internals(client, app, transaction, monkeypatch, caplog):
    def broken(self, transactions):
        raise RuntimeError("secret internals: /srv/model.pkl")

    monkeypatch.setattr(type(app.extensions["fraud_model"]), "score", broken)
    response = client.post("/api/v1/predict", json=transaction)
    assert response.status_code == 500
    assert response.get_json() == {
        "error": {"code": "internal_error", "message": "the server failed to answer; the error has been logged"}
    }
    assert "secret" not in response.get_data(as_text=True)
    assert "secret internals" in caplog.text
    page = client.post("/", data=form_data(transaction))
    assert page.status_code == 500
    assert "secret" not in page.get_data(as_text=True)


def test_every_problem_of_a_form_is_shown_at_once(client, transaction):
    data = {
        **form_data(transaction),
        "amount": "",
        "hour": "14.5",
        "merchant_category": "casino",
        "distance_from_home_km": "-1",
    }
    page = client.post("/", data=data).get_data(as_text=True)
    assert "Please correct the 4 fields marked below." in page
    for field in ("amount", "hour", "merchant_category", "distance_from_home_km"):
        assert f'id="{field}-error"' in page


def test_error_pages_link_back_at_any_depth(client):
    page = client.get("/no/such/page").get_data(as_text=True)
    assert 'href="../../static/style.css"' in page
    assert 'href="../../">Back to the fraud check' in page
