"""The FastAPI twin of POST /api/v1/predict (04_flask_app/twin/), against real uvicorn processes on loopback.

The reference is the Flask app itself (its test client: the same model file, the same contract), so every
assertion compares the twin with what the Flask app answers, not with numbers typed here.
"""

import json
import socket
import statistics
import time

import pytest
import requests

import course
import fraud_app
import twin
from artefact import ArtefactError
from fraud_app.config import ConfigError
from twin import compare

ROOT = compare.ROOT
ORDINARY = compare.ORDINARY
RISKY = {"amount": 2400.0, "hour": 3, "merchant_category": "electronics", "distance_from_home_km": 800.0,
         "is_online": True, "is_foreign": True, "transactions_last_24h": 9, "account_age_days": 5}

# Where the twin answers otherwise than the Flask app, and why (chapter 04 shows the same table):
DIFFERENT = {
    # Python's JSON parser takes NaN; the Flask app refuses it while parsing, the twin when validating.
    "NaN for a number": ("400 malformed_json", "400 validation_failed"),
    # Starlette's JSON parsing fails before the contract sees it; the twin says only that it could not parse it.
    "a number of 5,000 digits": ("400 malformed_json", "400 bad_request"),
    # FastAPI's body limit answers 413 itself, in plain text, before any of the app's handlers can word it.
    "a body of 2 MB": ("413 payload_too_large", "413 text/plain: 'Content Too Large'"),
}


@pytest.fixture(scope="module")
def flask_client(model_path, tmp_path_factory):
    """The Flask app, through its test client: the reference the twin is compared with."""
    # The open demo, without a rate limit: the twin is chapter 04's local demo, which answers the probability to
    # anyone (it has no token); the Flask app is compared with it answer for answer.
    app = fraud_app.create_app({"MODEL_PATH": str(model_path), "LOG_LEVEL": "ERROR", "OPEN_DEMO": True,
                                "RATE_LIMIT": "off", "DATABASE": str(tmp_path_factory.mktemp("flask") / "p.sqlite3")})
    yield app.test_client()
    app.extensions["fraud_db"].dispose()


@pytest.fixture(scope="module")
def served(model_path):
    """The twin under uvicorn, two worker processes, as chapter 04 runs it."""
    server = course.serve_command(compare.UVICORN, name="twin (uvicorn)", cwd=ROOT / "04_flask_app",
                                  env={"FRAUD_MODEL_PATH": str(model_path)}, ready_path="/docs", timeout=60,
                                  announce=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fastapi_errors(model_path):
    """The same twin with FastAPI's default error answers, served by uvicorn in a thread."""
    server = course.serve_asgi(twin.create_app({"MODEL_PATH": str(model_path)}, errors="fastapi"),
                               name="twin (FastAPI errors)", announce=False)
    yield server
    server.stop()


def predict(server, body):
    return requests.post(server.url + "/api/v1/predict", json=body, timeout=10)


def test_an_ordinary_transaction_is_answered_as_the_flask_app_answers_it(served, flask_client):
    response = predict(served, ORDINARY)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    expected = flask_client.post("/api/v1/predict", json=ORDINARY).get_json()
    assert response.json() == expected
    assert expected["is_fraud"] is False


def test_a_risky_transaction_is_flagged(served, flask_client):
    answer = predict(served, RISKY).json()
    assert answer == flask_client.post("/api/v1/predict", json=RISKY).get_json()
    assert answer["is_fraud"] is True


def test_a_batch_gets_the_flask_apps_probabilities_in_order(served, flask_client):
    rows = [json.loads(body) for body in compare.bodies(50)]
    twin_answer = predict(served, {"transactions": rows})
    flask_answer = flask_client.post("/api/v1/predict", json={"transactions": rows}).get_json()
    assert twin_answer.status_code == 200
    assert twin_answer.json() == flask_answer
    assert len({p["fraud_probability"] for p in flask_answer["predictions"]}) > 10  # not one number 50 times


def test_each_row_alone_scores_as_in_the_batch(served):
    rows = [json.loads(body) for body in compare.bodies(5)]
    batch = predict(served, {"transactions": rows}).json()["predictions"]
    assert [predict(served, row).json() for row in rows] == batch


@pytest.mark.parametrize(("label", "request_kwargs"), compare.BAD_INPUTS,
                         ids=[label for label, _ in compare.BAD_INPUTS])
def test_every_bad_input_is_refused_as_the_flask_app_refuses_it(served, flask_client, label, request_kwargs):
    response = compare.post(served.url, request_kwargs)
    assert 400 <= response.status_code < 500, response.text
    flask = flask_client.post("/api/v1/predict", **_test_client_kwargs(request_kwargs))
    if label in DIFFERENT:
        assert (_words(flask), compare.answer_of(response)) == DIFFERENT[label]
        return
    assert response.status_code == flask.status_code
    assert response.json() == flask.get_json()  # the same code, message and details: one contract


def _test_client_kwargs(request_kwargs: dict) -> dict:
    """requests' keyword arguments, as Flask's test client takes them."""
    kwargs = dict(request_kwargs)
    headers = kwargs.pop("headers", {})
    if "Content-Type" in headers:
        kwargs["content_type"] = headers["Content-Type"]
    return kwargs


def _words(flask_response) -> str:
    return f"{flask_response.status_code} {flask_response.get_json()['error']['code']}"


def test_unknown_routes_and_wrong_methods_answer_json_in_the_apps_shape(served):
    missing = requests.get(served.url + "/api/v1/no-such-thing", timeout=5)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    wrong = requests.get(served.url + "/api/v1/predict", timeout=5)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "method_not_allowed")
    assert wrong.headers["Allow"] == "POST"


def test_fastapis_default_answers_422_and_fails_on_nan(fastapi_errors):
    """What chapter 04 says of FastAPI's defaults, and the reason the twin words its own errors."""
    out_of_range = predict(fastapi_errors, {**ORDINARY, "hour": 24})
    assert out_of_range.status_code == 422
    assert out_of_range.json()["detail"][0]["type"] == "less_than_equal"
    assert out_of_range.json()["detail"][0]["input"] == 24  # the bad value is sent back
    nan = requests.post(fastapi_errors.url + "/api/v1/predict", timeout=5,
                        data=json.dumps({**ORDINARY, "amount": float("nan")}), headers=compare.JSON)
    assert (nan.status_code, nan.text) == (500, "Internal Server Error")
    deadline = time.monotonic() + 5
    while "Out of range float values are not JSON compliant" not in fastapi_errors.log():
        assert time.monotonic() < deadline, "the 500's traceback never reached the server's log"
        time.sleep(0.05)


def test_the_docs_page_and_description_come_from_the_contracts_models(served, model_path):
    docs = requests.get(served.url + "/docs", timeout=5)
    assert docs.status_code == 200
    # FastAPI's automatic page loads Swagger UI from a CDN (chapter 04 says so): it needs the network.
    assert "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js" in docs.text
    description = requests.get(served.url + "/openapi.json", timeout=5).json()
    body = description["paths"]["/api/v1/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert [ref["$ref"].rsplit("/", 1)[1] for ref in body["oneOf"]] == ["Transaction", "TransactionBatch"]
    model = fraud_app.model.FraudModel.load(str(model_path))
    transaction = fraud_app.contract.transaction_model(model.schema)
    assert description["components"]["schemas"]["Transaction"]["properties"] == \
        transaction.model_json_schema()["properties"]
    assert list(description["components"]["schemas"]["Transaction"]["properties"]) == model.schema.names


def test_the_twin_loads_only_a_verified_artefact(model_path, tmp_path):
    with pytest.raises(ArtefactError):
        twin.create_app({"MODEL_PATH": str(model_path), "MODEL_SHA256": "0" * 64})
    with pytest.raises(ArtefactError):
        twin.create_app({"MODEL_PATH": str(tmp_path / "missing.pkl")})


def test_the_twin_checks_its_settings_as_the_flask_app_does(model_path, monkeypatch):
    monkeypatch.setenv("FRAUD_MAX_BATCH", "lots")
    with pytest.raises(ConfigError, match="FRAUD_MAX_BATCH='lots' is not valid"):
        twin.create_app({"MODEL_PATH": str(model_path)})


def test_the_batch_limit_is_the_setting(model_path):
    app = twin.create_app({"MODEL_PATH": str(model_path), "MAX_BATCH": 2})
    with course.serve_asgi(app, name="twin (batch of 2)", announce=False) as server:
        refused = predict(server, {"transactions": [ORDINARY] * 3})
        assert refused.status_code == 400
        assert refused.json()["error"]["message"] == "'transactions' must hold between 1 and 2 transactions, got 3"
        assert predict(server, {"transactions": [ORDINARY] * 2}).status_code == 200


def keep_alive_ms(url: str, times: int = 9) -> float:
    """The median time of a request on a kept-alive connection (the first, which connects, left out)."""
    with requests.Session() as session:
        session.get(url, timeout=5)
        timings = []
        for _ in range(times):
            started = time.perf_counter()
            session.get(url, timeout=5)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def test_kept_alive_requests_do_not_wait_for_a_delayed_ack(served, fastapi_errors):
    """uvicorn --workers leaves Nagle's algorithm on (uvicorn issue #3149): ~40 ms per request; twin.serve fixes it."""
    for server in (served, fastapi_errors):
        assert keep_alive_ms(server.url + "/openapi.json") < 25


def test_serve_asgi_stops_and_frees_its_port(model_path):
    server = course.serve_asgi(twin.create_app({"MODEL_PATH": str(model_path)}), name="twin (thread)", announce=False)
    assert predict(server, ORDINARY).status_code == 200
    server.stop()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", server.port)) != 0
    server.stop()  # twice is harmless


def test_code_lines_counts_code_only():
    def example(x):
        """A docstring of
        two lines."""
        # a comment

        return (x +
                1)  # a comment after code

    assert compare._code_lines(compare.textwrap.dedent(compare.inspect.getsource(example))) == 3
    assert compare.code_lines([example]) == 3


def test_serve_command_without_waiting_returns_at_once_and_can_be_waited_for(model_path):
    server = course.serve_command(compare.UVICORN, name="twin (not waited for)", cwd=ROOT / "04_flask_app",
                                  env={"FRAUD_MODEL_PATH": str(model_path)}, announce=False, wait=False)
    try:
        with pytest.raises(requests.ConnectionError):  # still importing FastAPI and loading the model
            requests.get(server.url + "/docs", timeout=5)
        course.servers.wait_until_ready(server, "/docs", timeout=60)
        assert predict(server, ORDINARY).status_code == 200
    finally:
        server.stop()
