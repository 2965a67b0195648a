"""A FastAPI twin of the fraud app's ``POST /api/v1/predict``, built from the same schema.

Chapter 04 runs it under uvicorn beside the Flask app and compares the two. It is a twin, not a second
app: it loads the same verified artefact through the same ``FraudModel`` (so its probabilities are the
Flask app's, to the last digit), it reads the same settings (``fraud_app.config``: the model's path and
pin, the body and batch limits), and it declares its request body with the same pydantic models
(``fraud_app.contract``) that the Flask app validates with and describes in its OpenAPI description.
What FastAPI adds by itself: it validates the body against the type of the endpoint's parameter before
the function runs, and it writes ``/openapi.json`` and a docs page at ``/docs``.

Errors. FastAPI answers a body that breaks the model with **422** and its own shape::

    {"detail": [{"type": "less_than_equal", "loc": ["body", "hour"], "msg": "Input should be ...", "input": 24}]}

The Flask app answers **400** with ``{"error": {"code", "message", "details": [{"field", "rule", "message"}]}}``.
``create_app()`` adds exception handlers that answer in the Flask app's shape and words, for two reasons:

1. one contract: a client written for the Flask API (chapter 05's tests, your own scripts) works against the
   twin unchanged; ``loc``/``msg`` and ``field``/``rule`` cannot both be the contract;
2. FastAPI's default echoes each bad value back in ``input``, and a ``NaN`` (which Python's JSON parser
   accepts) cannot be written back as JSON: the default answer to ``{"amount": NaN, ...}`` is a
   **500 Internal Server Error**, not a 4xx. ``create_app(errors="fastapi")`` keeps the defaults, so
   chapter 04 can show both side by side.

    uvicorn --factory twin:create_app --port 8001          # from 04_flask_app/, FRAUD_MODEL_PATH set
    uvicorn --factory twin:create_app_with_fastapi_errors  # the same twin with FastAPI's own error answers
"""

# No `from __future__ import annotations` here: FastAPI reads the types of an endpoint's parameters at run
# time, and the body's type is made inside create_app, where a postponed (string) annotation cannot see it.
import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Discriminator, Field, Tag
from starlette.exceptions import HTTPException

from fraud_app import contract
from fraud_app.config import load_config
from fraud_app.errors import CODES
from fraud_app.model import FraudModel

__all__ = ["Prediction", "Predictions", "create_app", "create_app_with_fastapi_errors"]


class Prediction(BaseModel):
    """The answer for one transaction, as the Flask app gives it."""

    fraud_probability: float = Field(ge=0, le=1, description="the model's probability that it is fraud")
    is_fraud: bool = Field(description="fraud_probability >= threshold")
    threshold: float = Field(ge=0, le=1, description="the decision threshold of the model")
    model_version: str


class Predictions(BaseModel):
    """The answers for a batch, in the order of its transactions."""

    predictions: list[Prediction]


def is_batch(body: Any) -> bool:
    """The Flask app's rule: a body that is exactly ``{"transactions": ...}`` is a batch, anything else one."""
    return isinstance(body, dict) and set(body) == {"transactions"}


def create_app(config: Mapping[str, Any] | None = None, errors: Literal["app", "fastapi"] = "app") -> FastAPI:
    """The twin: the model loaded and verified once, ``POST /api/v1/predict``, and ``/docs``.

    ``config`` overrides the environment as for ``fraud_app.create_app``; ``errors="fastapi"`` keeps
    FastAPI's own 422 answers instead of the Flask app's error shape.
    """
    settings = load_config(config)
    model = FraudModel.load(settings["MODEL_PATH"], settings["MODEL_SHA256"])
    transaction = contract.transaction_model(model.schema)
    batch = contract.batch_model(model.schema, settings["MAX_BATCH"])
    # One transaction or a batch, told apart by the Flask app's rule (not by trying both: pydantic would
    # then report the errors of both alternatives for every bad transaction).
    body_type = Annotated[
        Annotated[transaction, Tag("transaction")] | Annotated[batch, Tag("batch")],
        Discriminator(lambda body: "batch" if is_batch(body) else "transaction"),
    ]

    app = FastAPI(
        title="Fraud detection: the FastAPI twin",
        version=model.version,
        description="POST /api/v1/predict of the Flask app, again in FastAPI, from the same schema.",
        max_body_size=settings["MAX_CONTENT_LENGTH"],  # as the Flask app: 413 past FRAUD_MAX_BODY_BYTES
    )

    @app.post("/api/v1/predict", response_model=Prediction | Predictions, summary="Score one or many transactions")
    def predict(body: Annotated[body_type, Body()]):
        # A plain def, not async: FastAPI runs it in its thread pool, so a prediction (CPU work that never
        # awaits) does not stop the event loop answering other requests.
        if isinstance(body, batch):
            return {"predictions": model.score([item.model_dump() for item in body.transactions])}
        return model.score([body.model_dump()])[0]

    if errors == "app":
        add_app_errors(app, model, settings["MAX_BATCH"])
    return app


def create_app_with_fastapi_errors() -> FastAPI:
    """The twin with FastAPI's default error answers (for ``uvicorn --factory``)."""
    return create_app(errors="fastapi")


def error_response(status: int, code: str, message: str, details: list | None = None, headers=None,
                   omitted: int = 0) -> JSONResponse:
    """The Flask app's error shape (fraud_app.errors.json_body)."""
    error = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    if omitted:
        error["omitted"] = omitted
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def add_app_errors(app: FastAPI, model: FraudModel, max_batch: int) -> None:
    """Answer errors as the Flask app does: 400/415 with field and rule, JSON for 404/405/413 and 500."""

    async def refuse_body(request: Request, error: RequestValidationError) -> JSONResponse:
        malformed = [item for item in error.errors() if item["type"] == "json_invalid"]
        if malformed:  # FastAPI keeps json's reason and position, and the text: said as the Flask app says it
            where = json.JSONDecodeError(malformed[0]["ctx"]["error"], error.body, malformed[0]["loc"][-1])
            return error_response(400, "malformed_json", f"the body is not valid JSON: {where.msg} "
                                  f"(line {where.lineno}, column {where.colno})")
        if isinstance(error.body, bytes | str):  # not labelled JSON, so FastAPI did not parse it
            return error_response(
                415, "unsupported_media_type",
                "send the body as JSON with the header 'Content-Type: application/json'",
            )
        # The contract says what is wrong, in the API's words: the body is checked again by the functions
        # the Flask app uses, so both apps give the same message and the same details.
        try:
            if is_batch(error.body):
                contract.validate_batch(model.schema, error.body["transactions"], max_batch)
            else:
                contract.validate_transaction(model.schema, error.body)
        except contract.ValidationError as problems:
            details = problems.details
            if is_batch(error.body) and not (details and "index" in details[0]):
                details = None  # the array itself is wrong (not an array, empty, too long): the message alone
            return error_response(400, "validation_failed", str(problems), details, omitted=problems.omitted)
        return error_response(400, "validation_failed", "the body does not match the schema")  # pragma: no cover

    async def refuse_http(request: Request, error: HTTPException) -> JSONResponse:
        message = error.detail if isinstance(error.detail, str) else "the request was refused"
        if error.status_code == 413:
            message = f"the request body is larger than {app.max_body_size} bytes"
        return error_response(error.status_code, CODES.get(error.status_code, "http_error"), message,
                              headers=getattr(error, "headers", None))

    async def fail(request: Request, error: Exception) -> JSONResponse:
        # Starlette logs the traceback; the client gets no internals.
        return error_response(500, "internal_error", "the server failed to answer; the error has been logged")

    app.add_exception_handler(RequestValidationError, refuse_body)
    app.add_exception_handler(HTTPException, refuse_http)
    app.add_exception_handler(Exception, fail)
