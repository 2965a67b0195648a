"""Checks for the exercises of chapter 04. The notebook calls ``exercises.check_1(answer)`` and so on.

Each check prints whether the answer is right and, if not, a hint about this particular answer.
``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
The samples of exercises 2, 4 and 5 need a trained model, so ``SAMPLES`` is built the first time it is
read (by the tests), never when the notebook imports this module.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import tempfile
import unittest.mock
from pathlib import Path

import course
import course.build

ORDINARY = {"amount": 42.5, "hour": 14, "merchant_category": "grocery", "distance_from_home_km": 3.2,
            "is_online": False, "is_foreign": False, "transactions_last_24h": 2, "account_age_days": 900}
RISKY = {"amount": 2400.0, "hour": 3, "merchant_category": "electronics", "distance_from_home_km": 800.0,
         "is_online": True, "is_foreign": True, "transactions_last_24h": 9, "account_age_days": 5}


def check_1(status):
    def hint(answer):
        if answer == 201:
            return "that request carried a token: send it without the headers=... argument"
        if isinstance(answer, str) and answer.strip() == "401":
            return "that is the right code, written as a string: answer with an int, 401, not \"401\""
        if answer == 403:
            return "403 means 'I know who you are and you may not'; here the server does not know who you are"
        return "which status code says 'send credentials first'? Look at the POST without a token above"

    course.check("Exercise 1", status, lambda a: type(a) is int and a == 401, hint)


# --- Exercise 2: one request for three transactions; the check reads the request the response answered. ---

def _sent(response) -> tuple[str, str, object]:
    """(method, path, JSON body) of the request that ``response`` answers: test client or requests."""
    request = response.request
    if hasattr(request, "environ"):  # Flask's test client: the body it sent is kept in the WSGI environ
        method, path, raw = request.method, request.path, request.environ["wsgi.input"].getvalue()
    else:  # requests: a PreparedRequest
        from urllib.parse import urlsplit

        method, path, raw = request.method, urlsplit(request.url).path, request.body or b""
    try:
        return method, path, json.loads(raw)
    except ValueError:
        return method, path, None


def _received(response):
    return response.get_json() if hasattr(response, "get_json") else response.json()


def _decisions(response) -> list | None:
    body = _received(response)
    if not (isinstance(body, dict) and isinstance(body.get("predictions"), list)):
        return None
    return [item.get("is_fraud") if isinstance(item, dict) else None for item in body["predictions"]]


def check_2(response):
    def right(answer):
        method, path, sent = _sent(answer)
        return (method == "POST" and path.endswith("/api/v1/predict") and answer.status_code == 200
                and sent == {"transactions": [ORDINARY, RISKY, ORDINARY]}
                and _decisions(answer) == [False, True, False]
                and all(type(decision) is bool for decision in _decisions(answer)))

    def hint(answer):
        if isinstance(answer, list | dict):
            return ("store the response itself (what client.post(...) returns), not the decisions or the JSON: "
                    "the check reads the request it answered too")
        method, path, sent = _sent(answer)
        if method != "POST" or not path.endswith("/api/v1/predict"):
            return f"that answers {method} {path}; the batch is scored by POST /api/v1/predict"
        if answer.status_code == 400:
            return ("the API refused that batch with 400 (read its error message): a batch is a JSON object "
                    "whose 'transactions' holds the list, {\"transactions\": [ordinary, risky, ordinary]}")
        if not (isinstance(sent, dict) and isinstance(sent.get("transactions"), list)):
            return ("that request scored one transaction; one request scores several when its body is "
                    "{'transactions': [...]}")
        if sent != {"transactions": [ORDINARY, RISKY, ORDINARY]}:
            return f"the request sent {len(sent['transactions'])} transaction(s); send [ordinary, risky, ordinary]"
        return f"the server answered {answer.status_code}; read its error message"

    course.check("Exercise 2", response, right, hint)


def check_3(message):
    expected = "field 'hour' must be between 0 and 23, got -1"

    def hint(answer):
        if isinstance(answer, dict):
            return "take the 'message' inside response.get_json()['error']"
        return "post {**ordinary, 'hour': -1} to /api/v1/predict and read error.message"

    course.check("Exercise 3", message, lambda a: a == expected, hint)


# --- Exercise 4: a blueprint with a route of your own, on the app that fraud_app.create_app makes. ---

SKELETON_4 = '''\
from flask import Blueprint, current_app

import fraud_app
from fraud_app.auth import require_token  # the decorator the app puts on its private routes

extra = Blueprint("extra", __name__, url_prefix="/api/v1")


@extra.get("/threshold")
# ...: only clients with the token may read it (put the decorator on the line above the def)
def threshold():
    ...  # answer {"threshold": ..., "model_version": ...} of current_app.extensions["fraud_model"]


def create_app():
    app = fraud_app.create_app()  # its settings come from the environment, as on a platform
    ...  # register the blueprint on the app
    return app
'''

PATH_4 = "/api/v1/threshold"


def _card(app, headers=None) -> dict:
    response = app.get("/api/v1/model", headers=headers or {})
    course.build.expect_status(response, 200, app=app)
    return course.build.json_body(response)


def _is_fraud_app(app):
    app.fraud_app = False
    health = app.get("/health")
    if health.status_code == 404:
        raise course.build.Unmet("GET /health answers 404, so this is not the fraud app: make the app with "
                                 "app = fraud_app.create_app(), then register your blueprint on it")
    course.build.expect_status(health, 200, app=app)
    if not str(course.build.json_body(health).get("model_version", "")):
        raise course.build.Unmet("GET /health answers without a model_version: "
                                 "make the app with fraud_app.create_app()")
    _card(app)
    app.fraud_app = True


def _get_threshold(app, headers):
    """GET /api/v1/threshold; a 404 or a borrowed-settings crash said in this exercise's words."""
    if not getattr(app, "fraud_app", False):
        raise course.build.Unmet("this needs the fraud app and its settings: see the first line")
    response = app.get(PATH_4, headers=headers)
    if response.status_code == 404:
        raise course.build.Unmet(f"GET {PATH_4} answers 404: is the blueprint registered on the app "
                                 f"(app.register_blueprint), and is its url_prefix /api/v1?")
    return response


def _refuses(headers, says):
    def test(app):
        response = _get_threshold(app, headers)
        if response.status_code == 200:
            raise course.build.Unmet(f"it answered 200 to a request {says}: put @require_token on the route")
        course.build.expect_status(response, 401, app=app)
        body = course.build.json_body(response)
        if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
            raise course.build.Unmet("the 401 is not the app's JSON error; use fraud_app.auth.require_token")
    return test


def _answers(app):
    token = {"Authorization": f"Bearer {os.environ['FRAUD_API_TOKEN']}"}
    response = _get_threshold(app, token)
    course.build.expect_status(response, 200, app=app)
    body = course.build.json_body(response)
    if not isinstance(body, dict):
        raise course.build.Unmet(f"the body is {type(body).__name__}, "
                                 f"not a JSON object with threshold and model_version")
    card = _card(app, token)  # the whole card: without the token it keeps the threshold to itself
    value = body.get("threshold")
    # The app itself shows the threshold to six decimals; any rounding at least as fine is the same threshold.
    if type(value) not in (int, float) or abs(value - card["threshold"]) > 5e-7:
        raise course.build.Unmet(f"threshold is {value!r}; the model's own is {card['threshold']:.6f} "
                                 f"(read it from the model, never type it)")
    if body.get("model_version") != card["model_version"]:
        raise course.build.Unmet(f"model_version is {body.get('model_version')!r}, "
                                 f"the model's is {card['model_version']!r}")


EXPECTATIONS_4 = [
    ("the app is the fraud app (fraud_app.create_app): GET /health and GET /api/v1/model answer 200", _is_fraud_app),
    ("GET /api/v1/threshold without a token answers 401 JSON", _refuses({}, "without a token")),
    ("GET /api/v1/threshold with a wrong token answers 401 JSON",
     _refuses({"Authorization": "Bearer not-the-token"}, "with a wrong token")),
    ("GET /api/v1/threshold with the token answers 200 with the model's threshold and model_version", _answers),
]


@functools.cache
def _model_for_checks() -> str:
    """A model for checks that get none (the tests): trained once per process, as the notebook's Setup does.

    $FRAUD_TEST_MODEL names one already trained that way instead (as for the course's test suites).
    """
    if os.environ.get("FRAUD_TEST_MODEL"):
        return os.environ["FRAUD_TEST_MODEL"]
    import train

    folder = tempfile.mkdtemp(prefix="exercises-04-")
    path = Path(folder) / "fraud_model.pkl"
    train.train(Path(train.__file__).resolve().parent.parent / "data" / "transactions.csv", path, seed=42)
    return str(path)


@contextlib.contextmanager
def environment_4(model_path=None):
    """The settings exercise 4's app reads from its environment, as a platform would set them; yields the token.

    The check serves the app inside this; to try your create_app() in the notebook first::

        with exercises.environment_4(MODEL_PATH) as token:
            client = create_app().test_client()
    """
    token = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="exercise-04-db-") as folder, unittest.mock.patch.dict(os.environ, {
        "FRAUD_MODEL_PATH": str(model_path or _model_for_checks()),
        "FRAUD_DATABASE": str(Path(folder) / "predictions.sqlite3"),
        "FRAUD_API_TOKEN": token,
    }):
        yield token


def check_4(create_app, model_path=None):
    """Serve the learner's create_app in a fresh process whose environment names the model, a database and a token."""
    if create_app is ...:
        course.build.check_app("Exercise 4", create_app, EXPECTATIONS_4, skeleton=SKELETON_4)
        return
    with environment_4(model_path):
        course.build.check_app("Exercise 4", create_app, EXPECTATIONS_4, skeleton=SKELETON_4)


_TODO_TOKEN, _TODO_ANSWER, _TODO_REGISTER = (
    line for line in SKELETON_4.splitlines() if line.strip().startswith(("...", "# ..."))
)
RIGHT_4 = (SKELETON_4
           .replace(_TODO_TOKEN, "@require_token")
           .replace(_TODO_ANSWER, '    model = current_app.extensions["fraud_model"]\n'
                                  '    return {"threshold": model.threshold, "model_version": model.version}')
           .replace(_TODO_REGISTER, "    app.register_blueprint(extra)"))

# Another right answer: the blueprint made inside the factory, its prefix given when it is registered,
# the values read from the metadata and rounded as the app's own answers round them.
RIGHT_4_OTHER = '''\
import flask

import fraud_app
import fraud_app.auth


def create_app():
    app = fraud_app.create_app()
    threshold_bp = flask.Blueprint("threshold_bp", __name__)

    @threshold_bp.route("/threshold", methods=["GET"])
    @fraud_app.auth.require_token
    def read_threshold():
        metadata = flask.current_app.extensions["fraud_model"].metadata
        return flask.jsonify(threshold=round(metadata["threshold"], 6), model_version=metadata["model_version"])

    app.register_blueprint(threshold_bp, url_prefix="/api/v1")
    return app
'''

WRONG_4_NOT_REGISTERED = RIGHT_4.replace("    app.register_blueprint(extra)\n", "")
WRONG_4_OPEN = RIGHT_4.replace("@require_token\n", "")
WRONG_4_TYPED = RIGHT_4.replace('"threshold": model.threshold', '"threshold": 0.5')
WRONG_4_NO_PREFIX = RIGHT_4.replace('Blueprint("extra", __name__, url_prefix="/api/v1")',
                                    'Blueprint("extra", __name__)')
WRONG_4_OWN_FLASK = (RIGHT_4.replace("from flask import Blueprint, current_app", "from flask import Blueprint, Flask, "
                                     "current_app")
                     .replace("app = fraud_app.create_app()", "app = Flask(__name__)\n    fraud_app.create_app()"))
# A hand-written check that only asks whether the header is there: any token passes.
WRONG_4_ANY_TOKEN = RIGHT_4.replace("from flask import Blueprint, current_app",
                                    "from flask import Blueprint, current_app, request").replace(
    "@require_token\ndef threshold():\n",
    "def threshold():\n    if 'Authorization' not in request.headers:\n"
    "        return {'error': {'code': 'unauthorized', 'message': 'token please'}}, 401\n")


# --- Exercise 5: a FastAPI endpoint of your own, its body the contract's model, answering the decision only. ---

SKELETON_5 = '''\
import os

from fastapi import FastAPI

from fraud_app.contract import transaction_model
from fraud_app.model import FraudModel


def create_app():
    model = FraudModel.load(os.environ["FRAUD_MODEL_PATH"])  # the verified artefact, as the Flask app loads it
    Transaction = ...  # the pydantic model of one transaction, built from model.schema
    app = FastAPI(title="Decisions only")

    @app.post("/decide")
    def decide(transaction: Transaction):  # FastAPI validates the body against this model before the call
        outcome = model.score([...])[0]  # in place of ...: the transaction, as model.score takes it (see twin)
        return {"decision": ... if outcome["is_fraud"] else ...}  # "decline" or "approve", and nothing else

    return app
'''

PATH_5 = "/decide"
#: Between the model's threshold and 0.5 (tests/test_twin_exercise.py checks it): a threshold typed as 0.5
#: would let it through; the model's own flags it.
BORDERLINE = {"amount": 150.0, "hour": 9, "merchant_category": "fuel", "distance_from_home_km": 800.0,
              "is_online": True, "is_foreign": True, "transactions_last_24h": 1, "account_age_days": 5}


@functools.cache
def _model_decisions(model_path: str) -> dict[str, str]:
    """What the model itself decides for the check's transactions: never typed in here."""
    from fraud_app.model import FraudModel

    model = FraudModel.load(model_path)
    named = {"ordinary": ORDINARY, "risky": RISKY, "borderline": BORDERLINE}
    outcomes = model.score(list(named.values()))
    return {name: "decline" if outcome["is_fraud"] else "approve" for name, outcome in zip(named, outcomes,
                                                                                           strict=True)}


def _decides(name: str, transaction: dict):
    def test(app):
        response = app.post(PATH_5, json=transaction)
        if response.status_code == 404:
            raise course.build.Unmet(f"POST {PATH_5} answers 404: is the route @app.post(\"{PATH_5}\")?")
        error = app.last_error() if response.status_code >= 500 else None
        if error and "TypeError" in error and "Transaction" in error:
            raise course.build.Unmet("it answered 500: model.score takes a list of dicts, and FastAPI hands your "
                                     "function a pydantic object; turn it into a dict of its fields first "
                                     "(pydantic's model_dump, as twin/ does)")
        course.build.expect_status(response, 200, app=app)
        body = course.build.json_body(response)
        expected = _model_decisions(os.environ["FRAUD_MODEL_PATH"])[name]
        if not isinstance(body, dict) or body.get("decision") != expected:
            decision = body.get("decision") if isinstance(body, dict) else body
            raise course.build.Unmet(f"the decision is {decision!r}; the model decides {expected!r} (decide with "
                                     f"is_fraud from model.score, which uses the model's own threshold)")
        if set(body) != {"decision"}:
            extra = ", ".join(sorted(set(body) - {"decision"}))
            raise course.build.Unmet(f"the answer also says {extra}: answer the decision only, nothing a "
                                     f"fraudster could tune against")
    return test


def _refuses(says: str, transaction: dict):
    def test(app):
        response = app.post(PATH_5, json=transaction)
        if response.status_code == 200:
            raise course.build.Unmet(f"it accepted {says}: annotate the parameter with the model that "
                                     f"transaction_model(model.schema) builds, not dict or a model of your own")
        course.build.expect_status(response, 422, app=app)
    return test


def _describes(app):
    response = app.get("/openapi.json")
    course.build.expect_status(response, 200, app=app)
    schemas = course.build.json_body(response).get("components", {}).get("schemas", {})
    wanted = [feature["name"] for feature in _features()]
    if list(schemas.get("Transaction", {}).get("properties", {})) != wanted:
        raise course.build.Unmet("the description has no Transaction body with one property per feature: "
                                 "build the model with transaction_model(model.schema)")


def _features() -> list[dict]:
    path = Path(os.environ["FRAUD_MODEL_PATH"]).with_suffix(".json")
    return json.loads(path.read_text())["features"]


EXPECTATIONS_5 = [
    ("POST /decide with an ordinary transaction answers the model's decision, and only it",
     _decides("ordinary", ORDINARY)),
    ("POST /decide with a risky transaction answers the model's decision, and only it", _decides("risky", RISKY)),
    ("POST /decide with a borderline transaction answers the model's decision (its threshold, not one typed in)",
     _decides("borderline", BORDERLINE)),
    ("hour 24 is refused with 422, before your function runs", _refuses("hour 24", {**ORDINARY, "hour": 24})),
    ('"42.5", a string, for the amount is refused with 422', _refuses('"42.5" for the amount',
                                                                     {**ORDINARY, "amount": "42.5"})),
    ("GET /openapi.json describes the body: a Transaction with one property per feature of the schema", _describes),
]


def check_5(create_app, model_path=None):
    """Serve the learner's FastAPI app in a fresh process (uvicorn) whose environment names the model."""
    if create_app is ...:
        course.build.check_app("Exercise 5", create_app, EXPECTATIONS_5, skeleton=SKELETON_5)
        return
    with environment_4(model_path):
        course.build.check_app("Exercise 5", create_app, EXPECTATIONS_5, skeleton=SKELETON_5)


_TODO_MODEL_5, _TODO_SCORE_5, _TODO_ANSWER_5 = (line for line in SKELETON_5.splitlines() if "..." in line)
RIGHT_5 = (SKELETON_5
           .replace(_TODO_MODEL_5, "    Transaction = transaction_model(model.schema)")
           .replace(_TODO_SCORE_5, "        outcome = model.score([transaction.model_dump()])[0]")
           .replace(_TODO_ANSWER_5, '        return {"decision": "decline" if outcome["is_fraud"] else "approve"}'))

# Another right answer: the threshold compared by hand, with the model's own threshold and the rounding the
# model's answers use; the model built at import, outside the factory.
RIGHT_5_OTHER = '''\
import os

import fastapi

import fraud_app.contract
import fraud_app.model


def create_app():
    fraud = fraud_app.model.FraudModel.load(os.environ["FRAUD_MODEL_PATH"])
    Body = fraud_app.contract.transaction_model(fraud.schema)
    api = fastapi.FastAPI()

    @api.post("/decide")
    async def decide(body: Body) -> dict:
        [answer] = fraud.score([dict(body)])
        return {"decision": ("approve", "decline")[answer["fraud_probability"] >= answer["threshold"]]}

    return api
'''

WRONG_5_LEAKS = RIGHT_5.replace('return {"decision": "decline" if outcome["is_fraud"] else "approve"}',
                                'return {**outcome, "decision": "decline" if outcome["is_fraud"] else "approve"}')
WRONG_5_TYPED = RIGHT_5.replace('"decline" if outcome["is_fraud"] else "approve"',
                                '"decline" if outcome["fraud_probability"] >= 0.5 else "approve"')
WRONG_5_DICT = RIGHT_5.replace("def decide(transaction: Transaction):", "def decide(transaction: dict):").replace(
    "transaction.model_dump()", "transaction")
# The pydantic object itself passed to model.score, which reads dicts: a TypeError inside the model.
WRONG_5_OBJECT = RIGHT_5.replace("transaction.model_dump()", "transaction")
# A model of one's own, written by hand: lax types, no ranges, so it lets "42.5" and hour 24 through.
WRONG_5_OWN_MODEL = RIGHT_5.replace("from fastapi import FastAPI\n", """from fastapi import FastAPI
from pydantic import BaseModel


class Payment(BaseModel):
    amount: float
    hour: int
    merchant_category: str
    distance_from_home_km: float
    is_online: bool
    is_foreign: bool
    transactions_last_24h: int
    account_age_days: int
""").replace("def decide(transaction: Transaction):", "def decide(transaction: Payment):")


def _sample_responses_2(model_path: str) -> dict:
    """Real responses of the chapter's app, through Flask's test client: the check reads responses."""
    import fraud_app

    with tempfile.TemporaryDirectory(prefix="exercises-04-") as folder:
        client = fraud_app.create_app({"MODEL_PATH": model_path, "DATABASE": str(Path(folder) / "db.sqlite3"),
                                       "API_TOKEN": "sample-token-0123456789"}).test_client()
        batch = {"transactions": [ORDINARY, RISKY, ORDINARY]}
        return {
            "right": [client.post("/api/v1/predict", json=batch)],
            "wrong": [
                client.post("/api/v1/predict", json=RISKY),                                 # one of the three
                client.post("/api/v1/predict", json={"transactions": [ORDINARY, RISKY]}),   # two, not three
                client.post("/api/v1/predict", json=[ORDINARY, RISKY, ORDINARY]),           # a bare list: 400
                client.post("/api/v1/predictions", json=RISKY, headers={"Authorization": "Bearer sample-token"}),
                [False, True, False],                                                        # typed by hand
                [0, 1, 0],
            ],
        }


@functools.cache
def _samples() -> dict:
    responses_2 = _sample_responses_2(_model_for_checks())
    return {
        check_1: {"right": [401], "wrong": [201, 403, "401"]},
        check_2: responses_2,
        check_3: {"right": ["field 'hour' must be between 0 and 23, got -1"],
                  "wrong": ["bad request", {"message": "x"}, None]},
        check_4: {"right": [RIGHT_4, RIGHT_4_OTHER],
                  "wrong": [WRONG_4_NOT_REGISTERED, WRONG_4_OPEN, WRONG_4_TYPED, WRONG_4_NO_PREFIX,
                            WRONG_4_OWN_FLASK, WRONG_4_ANY_TOKEN]},
        check_5: {"right": [RIGHT_5, RIGHT_5_OTHER],
                  "wrong": [WRONG_5_LEAKS, WRONG_5_TYPED, WRONG_5_DICT, WRONG_5_OBJECT, WRONG_5_OWN_MODEL]},
    }


def __getattr__(name: str):
    # SAMPLES is made when first read (PEP 562): its responses need a trained model.
    if name == "SAMPLES":
        return _samples()
    raise AttributeError(name)
