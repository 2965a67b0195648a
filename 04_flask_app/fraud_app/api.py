"""The JSON API under /api/v1.

    GET    /api/v1/model                      the model card (what it is and takes; all of it with the token)
    POST   /api/v1/predict                    score one transaction, or {"transactions": [...]} (rate-limited)
    POST   /api/v1/predictions                score and store a prediction (token)   201 + Location
    GET    /api/v1/predictions                list stored predictions (?limit=&after=) (token)
    GET    /api/v1/predictions/<id>           one stored prediction (token)          200 / 404
    PUT    /api/v1/predictions/<id>/label     record the confirmed outcome (token)   200 / 404
    DELETE /api/v1/predictions/<id>           remove it (token)                      204 / 404

/predict is RPC-style (an action: "score this"); /predictions is a REST resource. /predict and the model card
are open, but a client without the token learns only the decision (fraud_app.disclosure) and is rate-limited
(fraud_app.ratelimit); chapter 04 shows why, with the search an exact probability allows (oracle.py).

Stored predictions are card transactions: reading them needs the same bearer token as writing them.
One token, not a separate read-only one (FRAUD_READ_TOKEN): the course has one client, which both
writes and reads, and every extra secret is one more to set, rotate and leak. A team with a read-only
consumer (a dashboard) would add a second token, or scopes from an identity provider (OAuth 2).
"""

from __future__ import annotations

import json

import pydantic
from flask import Blueprint, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from fraud_app import contract, db, disclosure, ratelimit
from fraud_app.auth import require_token
from fraud_app.contract import MAX_INT_DIGITS
from fraud_app.errors import ApiError
from fraud_app.metrics import count_predictions
from fraud_app.schema import ValidationError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def model():
    return current_app.extensions["fraud_model"]


def read_json():
    """The request's JSON body: 415 if not labelled JSON, 400 if malformed, 413 if too large."""
    return parse_json(read_text())


def read_text() -> str:
    """The request's body as text: 415 if not labelled JSON, 400 if not UTF-8, 413 if too large."""
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", "send the body as JSON with the header 'Content-Type: application/json'"
        )
    data = body_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(400, "malformed_json", f"the body is not valid UTF-8 (byte {error.start})") from None


def parse_json(text: str):
    """``text`` as JSON, or 400 naming json's own position and reason (no NaN, no 101-digit integers)."""
    try:
        return json.loads(text, parse_constant=refuse_constant, parse_int=parse_int)
    except json.JSONDecodeError as error:
        # Only json's own position and reason: never a message from deeper in Python.
        where = f"line {error.lineno}, column {error.colno}"
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {error.msg} ({where})") from None
    except ValueError as error:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise ApiError(400, "malformed_json", "the body is not valid JSON: it is nested too deeply") from None


def body_bytes() -> bytes:
    """The whole body, or 413: never a body cut at the limit.

    Werkzeug checks Content-Length against MAX_CONTENT_LENGTH before reading; a chunked body has no
    Content-Length, and Werkzeug then stops reading at the limit, silently. So read one byte more than
    the limit: if it comes, the body is too large, however it was sent.
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None:
        return request.get_data(cache=True)  # werkzeug raises 413 past MAX_CONTENT_LENGTH
    # The server's own stream (gunicorn, waitress and Werkzeug's server de-chunk it): request.stream
    # would already be cut at the limit.
    stream = request.environ["wsgi.input"]
    data = stream.read(limit + 1) if limit is not None else stream.read()
    if limit is not None and len(data) > limit:
        raise RequestEntityTooLarge()
    return data


def parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def refuse_constant(name: str):
    # Python's json module would accept NaN and Infinity, which are not JSON and not numbers a model can use.
    raise ValueError(f"{name} is not allowed in JSON")


def validate_one(data) -> dict:
    try:
        return model().schema.validate(data)
    except ValidationError as error:
        raise ApiError(400, "validation_failed", str(error), error.details, omitted=error.omitted) from None


def validate_batch(items) -> list[dict]:
    try:
        return model().schema.validate_batch(items, current_app.config["MAX_BATCH"])
    except ValidationError as error:
        # The array itself (not an array, empty, too long): the message alone, as before.
        details = error.details if error.details and "index" in error.details[0] else None
        raise ApiError(400, "validation_failed", str(error), details, omitted=error.omitted) from None


ANSWERS = pydantic.TypeAdapter(dict)


def batch_answer(predictions: list[dict]):
    """``{"predictions": [...]}`` as a JSON response, written by pydantic's core.

    For a batch of 1,000, Python's json module spent more time writing the answers than the model took to
    compute them; pydantic writes the same JSON value (the same keys in the same order, the same numbers) in
    about a fifth of the time. Only the spelling of small numbers differs (``1.2e-5`` for ``1.2e-05``).
    """
    return current_app.response_class(ANSWERS.dump_json({"predictions": predictions}) + b"\n",
                                      mimetype="application/json")


@bp.get("/model")
def model_card():
    return disclosure.card(model().metadata)  # without the token: no threshold, metrics, reference or seed


@bp.post("/predict")
def predict():
    ratelimit.take(1)  # a client without the token pays for every request, a refused one too, before it is read
    text = read_text()
    # A valid batch, parsed and validated in one pass by pydantic's core (a batch of 1,000 spent most of its time
    # in json.loads and in validating the objects it built). Anything it does not accept, a single transaction
    # included, takes the path below, which gives every answer and every error as before (contract.valid_batch).
    # ("transactions" not in the text: not worth trying; if it is there escaped, the usual path still serves it.)
    transactions = None
    if '"transactions"' in text:
        transactions = contract.valid_batch(model().schema, text, current_app.config["MAX_BATCH"])
    if transactions is None:
        body = parse_json(text)
        if not (isinstance(body, dict) and set(body) == {"transactions"}):
            return disclosure.answers(count_predictions(model().score([validate_one(body)])))[0]
        transactions = validate_batch(body["transactions"])
    ratelimit.take(len(transactions) - 1, batch=len(transactions))  # and one per transaction of a batch
    return batch_answer(disclosure.answers(count_predictions(model().score(transactions))))


@bp.post("/predictions")
@require_token
def create_prediction():
    transaction = validate_one(read_json())
    stored = db.create(transaction, count_predictions(model().score([transaction]))[0])
    # A relative reference, resolved against this request's URL: it stays right behind a path
    # prefix (such as Binder's /proxy/8000/) that the app itself cannot see.
    return stored, 201, {"Location": f"predictions/{stored['id']}"}


def int_arg(name: str, default: int, low: int, high: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    # ASCII digits only: int() would also take "٥" (an Arabic-Indic five), "1_0" and " 7 ".
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 20 else None
    if value is None or value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(400, "bad_query", f"query parameter '{name}' must be an integer {bounds}, got '{raw}'")
    return value


@bp.get("/predictions")
@require_token
def list_predictions():
    """A page of stored predictions, oldest first; ``next`` is the link to the following page.

    Pages are keyset pages: ``?after=<id>`` answers the predictions whose id is above it, so a prediction
    deleted (or stored) between two pages never makes the next one skip or repeat a row, as an ``offset``
    would, and no page is slower than the first. ``offset`` is still accepted (older clients); ``total`` is
    counted on the first page only (without ``after``), null on the following ones.
    """
    limit = int_arg("limit", current_app.config["PAGE_LIMIT_DEFAULT"], 1, current_app.config["PAGE_LIMIT_MAX"])
    offset = int_arg("offset", 0, 0, db.MAX_ID)  # no more rows than ids
    after = int_arg("after", None, 0, db.MAX_ID)
    items, total, more = db.page(limit, offset, after)
    # A relative reference, resolved against this request's URL: right behind a path prefix too.
    following = f"predictions?limit={limit}&after={items[-1]['id']}" if more else None
    return {"items": items, "total": total, "limit": limit, "offset": offset, "after": after, "next": following}


@bp.after_request
def no_store(response):
    """Stored predictions are card transactions: no cache (a browser's, a proxy's) keeps a copy of any answer."""
    if request.path.startswith("/api/v1/predictions"):
        response.headers["Cache-Control"] = "no-store"
    return response


def found(prediction: dict | None, prediction_id: int) -> dict:
    if prediction is None:
        raise ApiError(404, "not_found", f"prediction {prediction_id} does not exist")
    return prediction


@bp.get("/predictions/<int:prediction_id>")
@require_token
def get_prediction(prediction_id: int):
    return found(db.get(prediction_id), prediction_id)


@bp.put("/predictions/<int:prediction_id>/label")
@require_token
def put_label(prediction_id: int):
    try:
        label = contract.Label.model_validate(read_json())  # exactly {"is_fraud": <true or false>}
    except pydantic.ValidationError:
        raise ApiError(
            400,
            "validation_failed",
            'the body must be {"is_fraud": true} or {"is_fraud": false}',
            [{"field": "is_fraud", "rule": "type", "message": "field 'is_fraud' must be a boolean"}],
        ) from None
    return found(db.set_label(prediction_id, label.is_fraud), prediction_id)


@bp.delete("/predictions/<int:prediction_id>")
@require_token
def delete_prediction(prediction_id: int):
    if not db.delete(prediction_id):
        found(None, prediction_id)
    response = current_app.response_class(status=204)
    del response.headers["Content-Type"]  # 204 has no body, so no body type either
    return response
