"""The API describes itself: an OpenAPI 3.0.3 description built from the same models that validate.

``GET /api/v1/openapi.json`` answers :func:`describe`'s document. Its request and response schemas
are the JSON Schema of fraud_app.contract's pydantic models, which are built from the model's feature
schema: the description, the validation and the form cannot disagree. What it holds:

- every operation of the API, with its parameters, request body, and each answer it can give
  (the error shape included), and the bearer-token security on the operations that need it;
- the features' ranges and categories, and two real examples: an ordinary and a risky transaction;
- OpenAPI ``links`` from the creation of a prediction to reading, labelling and deleting it, so that a
  tool (schemathesis, chapter 05) can follow a resource through its life as a client would.

Why 3.0.3 and not 3.1: the docs page (Swagger UI 4.15, from the swagger-ui-bundle package) renders
OpenAPI 3.0, and so do most tools still. pydantic writes JSON Schema 2020-12, the dialect of OpenAPI 3.1;
:func:`to_openapi_30` rewrites the few keywords that OpenAPI 3.0's older dialect spells otherwise
(``nullable`` instead of a null type, one ``example`` instead of ``examples``, ``enum`` for ``const``).

The server is given as ``../..``: relative to the description's own URL, so it names this app wherever it
is served, behind a path prefix such as Binder's ``/proxy/8000/`` too.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, current_app
from pydantic.json_schema import models_json_schema

from fraud_app import contract, monitoring

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

API_VERSION = "1"
REF = "#/components/schemas/{model}"

#: Two real transactions: one the model scores low, one it flags (tests/test_openapi.py checks both).
EXAMPLES = {
    "ordinary": {
        "summary": "An ordinary purchase: groceries near home, in the afternoon",
        "value": {"amount": 42.5, "hour": 14, "merchant_category": "grocery", "distance_from_home_km": 3.2,
                  "is_online": False, "is_foreign": False, "transactions_last_24h": 2, "account_age_days": 900},
    },
    "risky": {
        "summary": "A risky one: electronics bought online, abroad, at 3 am, on a five-day-old account",
        "value": {"amount": 2400.0, "hour": 3, "merchant_category": "electronics", "distance_from_home_km": 800.0,
                  "is_online": True, "is_foreign": True, "transactions_last_24h": 9, "account_age_days": 5},
    },
}


# --- JSON Schema 2020-12 (pydantic) -> OpenAPI 3.0's schema objects ------------------------------------------

def to_openapi_30(schema: Any) -> Any:
    """A copy of ``schema`` (pydantic's JSON Schema) in the dialect of OpenAPI 3.0's schema objects."""
    if isinstance(schema, list):
        return [to_openapi_30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: to_openapi_30(value) for key, value in schema.items() if key not in ("$schema", "$defs")}
    for variant in ("anyOf", "oneOf"):  # X | None  ->  X, nullable
        options = out.get(variant)
        if options and {"type": "null"} in options:
            rest = [option for option in options if option != {"type": "null"}]
            out.pop(variant)
            if len(rest) == 1 and "$ref" not in rest[0]:
                out.update(rest[0])
            else:
                out[variant] = rest
            out["nullable"] = True
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if "examples" in out:
        examples = out.pop("examples")
        out["example"] = examples[0] if isinstance(examples, list) else examples
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if type(out.get(bound)) in (int, float):  # 2020-12: a number; 3.0: a flag on minimum/maximum
            out[plain], out[bound] = out[bound], True
    if "$ref" in out and len(out) > 1:  # 3.0 ignores the siblings of a $ref
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    if isinstance(out.get("type"), list):  # pragma: no cover - pydantic writes no type lists for these models
        raise ValueError(f"a list of types has no OpenAPI 3.0 form: {out['type']}")
    return out


def component_schemas(schema, max_batch: int) -> dict:
    """Every model of the contract as OpenAPI 3.0 components, named by their titles."""
    models = [
        contract.transaction_model(schema), contract.batch_model(schema, max_batch), contract.Prediction,
        contract.PredictionBatch, contract.stored_model(schema), contract.page_model(schema), contract.Label,
        contract.Error, contract.Health, contract.ModelCard,
    ]
    _, document = models_json_schema([(model, "validation") for model in models], ref_template=REF)
    return {name: to_openapi_30(definition) for name, definition in sorted(document["$defs"].items())}


# --- The description -----------------------------------------------------------------------------------------

def ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def json_content(schema: dict, **extra) -> dict:
    return {"content": {"application/json": {"schema": schema, **extra}}}


def error(description: str, headers: dict | None = None) -> dict:
    answer = {"description": description, **json_content(ref("Error"))}
    if headers:
        answer["headers"] = headers
    return answer


#: The errors several operations share (components.responses).
ERRORS = {
    "BadRequest": error("The body or a parameter breaks a rule: each problem names its field and rule"),
    "Unauthorized": error(
        "No token, or not the right one",
        {"WWW-Authenticate": {"description": "Always Bearer", "required": True,
                              "schema": {"type": "string", "enum": ["Bearer"]}}},
    ),
    "NotFound": error("No stored prediction has this id (never created, or deleted)"),
    "PayloadTooLarge": error("The body is larger than the server accepts (FRAUD_MAX_BODY_BYTES)"),
    "UnsupportedMediaType": error("The body is not labelled Content-Type: application/json"),
    "TooManyRequests": error(
        "A client without the token has scored as many transactions as FRAUD_RATE_LIMIT allows (per client "
        "address, per worker process); the token is not limited",
        {"Retry-After": {"description": "Seconds to wait before the client may score again", "required": True,
                         "schema": {"type": "integer", "minimum": 1}}},
    ),
    "Unavailable": error(
        "The database does not answer, or the server has no token configured (FRAUD_API_TOKEN)",
        {"Retry-After": {"description": "Seconds to wait before trying again (a database outage)",
                         "schema": {"type": "integer", "minimum": 0}}},
    ),
}


def responses(ok: dict, *errors: str) -> dict:
    """``ok`` (status -> answer) and the shared errors named, under their status codes."""
    status = {"BadRequest": "400", "Unauthorized": "401", "NotFound": "404", "PayloadTooLarge": "413",
              "UnsupportedMediaType": "415", "TooManyRequests": "429", "Unavailable": "503"}
    return {**ok, **{status[name]: {"$ref": f"#/components/responses/{name}"} for name in errors}}


def body(schema: dict, examples: dict | None = None, description: str = "") -> dict:
    content = {"schema": schema}
    if examples:
        content["examples"] = examples
    return {"required": True, "description": description, "content": {"application/json": content}}


PRIVATE = [{"bearerAuth": []}]
#: Open to anyone, and the token adds to the answer: {} is OpenAPI's "or no security at all".
TOKEN_OPTIONAL = [{}, {"bearerAuth": []}]
JSON_BODY_ERRORS = ("BadRequest", "PayloadTooLarge", "UnsupportedMediaType")
ID = {"name": "prediction_id", "in": "path", "required": True, "description": "The id the creation answered",
      "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
#: From a created prediction (201) to the operations on it: its id is the answer's id.
LINKS = {
    "GetPrediction": {"operationId": "getPrediction", "parameters": {"prediction_id": "$response.body#/id"},
                      "description": "Read the prediction just stored"},
    "LabelPrediction": {"operationId": "labelPrediction", "parameters": {"prediction_id": "$response.body#/id"},
                        "description": "Record its confirmed outcome"},
    "DeletePrediction": {"operationId": "deletePrediction", "parameters": {"prediction_id": "$response.body#/id"},
                         "description": "Remove it"},
}


def nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


READY = {
    "type": "object", "required": ["status", "model_version", "checks"], "additionalProperties": False,
    "properties": {
        "status": {"type": "string", "enum": ["ready", "unavailable"]},
        "model_version": {"type": "string"},
        "checks": {"type": "object", "required": ["database", "model"], "additionalProperties": False,
                   "properties": {"database": {"type": "string", "enum": ["ok", "unavailable"]},
                                  "model": {"type": "string", "enum": ["ok", "failed"]}}},
    },
}
RATIO = nullable({"type": "number", "minimum": 0, "maximum": 1})
COUNT = {"type": "integer", "minimum": 0}


def monitoring_schema(feature_names: list[str]) -> dict:
    """The answer of GET /api/v1/monitoring (fraud_app.monitoring says what each figure means)."""
    verdict = nullable({"type": "boolean"})
    return {
        "type": "object",
        "required": ["model_version", "threshold", "window", "counts", "performance", "drift"],
        "properties": {
            "model_version": {"type": "string"},
            "threshold": {"type": "number", "minimum": 0, "maximum": 1},
            "window": {"type": "object", "required": ["last", "since", "first_at", "last_at", "model_versions"],
                       "properties": {
                           "last": {"type": "integer", "minimum": 1,
                                    "description": "The window's bound: the query's last, else the default"},
                           "since": nullable({"type": "string", "format": "date-time"}),
                           "first_at": nullable({"type": "string", "format": "date-time"}),
                           "last_at": nullable({"type": "string", "format": "date-time"}),
                           "model_versions": {"type": "array", "items": {"type": "string"}}}},
            "counts": {"type": "object", "required": ["predictions", "labelled", "flagged"],
                       "properties": {"predictions": COUNT, "labelled": COUNT, "flagged": COUNT}},
            "performance": nullable({
                "type": "object", "description": "Null when no prediction of the window is labelled",
                "required": ["precision", "recall", "true_positives", "false_positives", "false_negatives",
                             "true_negatives"],
                "properties": {"precision": RATIO, "recall": RATIO, "true_positives": COUNT,
                               "false_positives": COUNT, "false_negatives": COUNT, "true_negatives": COUNT}}),
            "drift": {
                "type": "object", "required": ["method", "threshold", "rows", "min_rows", "drifted", "features"],
                "description": "Population stability index of each feature against the training data; "
                               "no verdict (null) under min_rows rows",
                "properties": {
                    "method": {"type": "string", "enum": ["psi"]}, "threshold": {"type": "number"},
                    "rows": COUNT, "min_rows": COUNT, "drifted": verdict,
                    "features": {"type": "object", "required": feature_names, "additionalProperties": False,
                                 "properties": {name: {
                                     "type": "object", "required": ["score", "drifted"],
                                     "properties": {"score": nullable({"type": "number", "minimum": 0}),
                                                    "drifted": verdict}} for name in feature_names}}}},
        },
    }


def observing(feature_names: list[str], metrics: bool) -> dict:
    """GET /api/v1/monitoring, and GET /metrics when the app keeps metrics (FRAUD_METRICS=on)."""
    described = {"/api/v1/monitoring": {"get": {
        "operationId": "monitoring", "tags": ["monitoring"], "security": PRIVATE,
        "summary": "Is the model still right? Counts, live performance from labels, input drift",
        "description": f"Over a window of stored predictions: by default the {monitoring.LAST_DEFAULT:,} most recent "
                       f"(`last` changes it, up to {monitoring.LAST_MAX:,}; `since` starts it at a time). Answers "
                       "carry `Cache-Control: no-store`.",
        "parameters": [
            {"name": "last", "in": "query",
             "description": "Only the most recent N stored predictions (of those since `since`). Without it, the "
                            f"window is the {monitoring.LAST_DEFAULT:,} most recent: never the whole table",
             "schema": {"type": "integer", "minimum": 1, "maximum": monitoring.LAST_MAX,
                        "default": monitoring.LAST_DEFAULT}},
            {"name": "since", "in": "query",
             "description": "Only those stored at or after this ISO 8601 time (UTC when it has no zone)",
             "schema": {"type": "string", "format": "date-time", "maxLength": monitoring.SINCE_MAX_CHARS}},
        ],
        "responses": responses({"200": {"description": "OK", **json_content(monitoring_schema(feature_names))}},
                               "BadRequest", "Unauthorized", "Unavailable"),
    }}}
    if metrics:
        described["/metrics"] = {"get": {
            "operationId": "metrics", "tags": ["monitoring"], "security": [*PRIVATE, {"metricsAuth": []}],
            "summary": "The service's metrics in Prometheus's text format (for Prometheus to scrape)",
            "responses": responses({"200": {"description": "Prometheus's text exposition format 0.0.4",
                                            "content": {"text/plain": {"schema": {"type": "string"}}}}},
                                   "Unauthorized", "Unavailable"),
        }}
    return described


def paths(max_batch: int, page_max: int) -> dict:
    ok = {"description": "OK"}
    stored = {"200": {**ok, **json_content(ref("StoredPrediction"))}}
    examples = {name: dict(example) for name, example in EXAMPLES.items()}
    batch_example = {"batch": {"summary": "Both examples in one request",
                               "value": {"transactions": [example["value"] for example in EXAMPLES.values()]}}}
    return {
        "/api/v1/": {"get": {
            "operationId": "apiRoot", "tags": ["service"], "summary": "The API's root: where everything is",
            "responses": {"200": {**ok, **json_content({"type": "object", "additionalProperties": True,
                                                        "required": ["links"]})}},
        }},
        "/api/v1/openapi.json": {"get": {
            "operationId": "openapiDescription", "tags": ["service"], "summary": "This description",
            "responses": {"200": {**ok, **json_content({"type": "object", "required": ["openapi", "paths"]})}},
        }},
        "/health": {"get": {
            "operationId": "health", "tags": ["service"],
            "summary": "Liveness, and the model's version (never touches the database)",
            "responses": {"200": {**ok, **json_content(ref("Health"))}},
        }},
        "/ready": {"get": {
            "operationId": "ready", "tags": ["service"],
            "summary": "Readiness: the database answers and one smoke prediction works",
            "description": "For a load balancer or a platform's check: 503 while this instance should not take "
                           "traffic (its database does not answer). /health is liveness and touches nothing else.",
            "responses": {
                "200": {"description": "Ready", **json_content(READY)},
                "503": {"description": "Not ready: `checks` says which part failed",
                        "headers": {"Retry-After": {"description": "Seconds to wait before asking again",
                                                    "schema": {"type": "integer", "minimum": 0}}},
                        **json_content(READY)},
            },
        }},
        "/api/v1/model": {"get": {
            "operationId": "modelCard", "tags": ["model"], "summary": "The model card",
            "security": TOKEN_OPTIONAL,
            "description": "The model's metadata. Without the token, its public part: what the model is and takes "
                           "(feature schema, library versions, digest), and `withheld`, the keys the token adds. "
                           "With the token, all of it: threshold, metrics, reference distributions, seed.",
            "responses": {"200": {**ok, **json_content(ref("ModelCard"))}},
        }},
        "/api/v1/predict": {"post": {
            "operationId": "predict", "tags": ["predict"], "summary": "Score one transaction, or a batch",
            "security": TOKEN_OPTIONAL,
            "description": "RPC style: nothing is stored. Send one transaction, or "
                           f'{{"transactions": [...]}} with 1 to {max_batch} of them. Without the token, each '
                           "answer is the decision (`is_fraud`, `model_version`), and a client may score so many "
                           "transactions (FRAUD_RATE_LIMIT; a batch counts each, a refused request one), then "
                           "429 with Retry-After. With the token: `fraud_probability` and `threshold` too, and "
                           "no limit. A server running the open demo (FRAUD_OPEN_DEMO=on, never on a platform) "
                           "gives everyone the probability.",
            "requestBody": body({"oneOf": [ref("Transaction"), ref("TransactionBatch")]},
                                {**examples, **batch_example}),
            "responses": responses(
                {"200": {"description": "The prediction, or for a batch the predictions in order",
                         **json_content({"oneOf": [ref("Prediction"), ref("PredictionBatch")]})}},
                *JSON_BODY_ERRORS, "TooManyRequests",
            ),
        }},
        "/api/v1/predictions": {
            "post": {
                "operationId": "createPrediction", "tags": ["predictions"], "security": PRIVATE,
                "summary": "Score a transaction and store the prediction",
                "requestBody": body(ref("Transaction"), examples),
                "responses": responses(
                    {"201": {"description": "Stored; Location is its address, relative to this request's URL",
                             "headers": {"Location": {"required": True, "description": "predictions/{id}",
                                                      "schema": {"type": "string"}}},
                             "links": LINKS, **json_content(ref("StoredPrediction"))}},
                    *JSON_BODY_ERRORS, "Unauthorized", "Unavailable",
                ),
            },
            "get": {
                "operationId": "listPredictions", "tags": ["predictions"], "security": PRIVATE,
                "summary": "List stored predictions, oldest first, a page at a time",
                "description": "Keyset pages: follow `next` (`predictions?limit=N&after=ID`, the predictions whose "
                               "id is above ID), which never skips nor repeats a prediction when others are deleted "
                               "or stored between pages. `total` is counted on the first page only (null with "
                               "`after`). `offset` still works, for older clients, with those flaws. Answers carry "
                               "`Cache-Control: no-store`.",
                "parameters": [
                    {"name": "limit", "in": "query", "description": "How many to answer at most",
                     "schema": {"type": "integer", "minimum": 1, "maximum": page_max, "default": 20}},
                    {"name": "after", "in": "query",
                     "description": "Only predictions whose id is above this one (the last id of the previous page)",
                     "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}},
                    {"name": "offset", "in": "query",
                     "description": "How many to skip (older clients; prefer `after`, which stays right when "
                                    "predictions are deleted between pages)",
                     "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1, "default": 0}},
                ],
                "responses": responses({"200": {**ok, **json_content(ref("PredictionPage"))}},
                                       "BadRequest", "Unauthorized", "Unavailable"),
            },
        },
        "/api/v1/predictions/{prediction_id}": {
            "parameters": [ID],
            "get": {
                "operationId": "getPrediction", "tags": ["predictions"], "security": PRIVATE,
                "summary": "One stored prediction",
                "responses": responses(stored, "Unauthorized", "NotFound", "Unavailable"),
            },
            "delete": {
                "operationId": "deletePrediction", "tags": ["predictions"], "security": PRIVATE,
                "summary": "Remove a stored prediction",
                "responses": responses({"204": {"description": "Removed; no body"}},
                                       "Unauthorized", "NotFound", "Unavailable"),
            },
        },
        "/api/v1/predictions/{prediction_id}/label": {
            "parameters": [ID],
            "put": {
                "operationId": "labelPrediction", "tags": ["predictions"], "security": PRIVATE,
                "summary": "Record the confirmed outcome (the same label twice changes nothing)",
                "requestBody": body(ref("Label"), {"fraud": {"value": {"is_fraud": True}},
                                                   "legitimate": {"value": {"is_fraud": False}}}),
                "responses": responses(stored, *JSON_BODY_ERRORS, "Unauthorized", "NotFound", "Unavailable"),
            },
        },
    }


def describe(model, max_batch: int, page_max: int, metrics: bool = True) -> dict:
    """The OpenAPI 3.0.3 description of the API serving ``model`` (a FraudModel)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Fraud detection API",
            "version": API_VERSION,
            "description": (
                "Scores card transactions for fraud (a course project on synthetic data: not for real decisions). "
                f"Model {model.version}; its card is at /api/v1/model. "
                "Stored predictions, monitoring and metrics are private: "
                "send the header `Authorization: Bearer <token>` (one of the server's FRAUD_API_TOKEN, a list "
                "separated by commas during a rotation); /metrics also takes the scrape-only FRAUD_METRICS_TOKEN. "
                "/health is liveness (never touches the database), /ready readiness. "
                "Scoring is open, but without the token it answers the decision only and is rate-limited "
                "(429 with Retry-After), and the model card keeps its threshold, metrics and training "
                "distributions for token holders. An error lists at most 20 problems in `details`; "
                "`omitted` says how many more were found."
            ),
        },
        "servers": [{"url": "../..", "description": "This app, relative to the description's own address"}],
        "tags": [
            {"name": "predict", "description": "Score transactions (nothing is stored)"},
            {"name": "predictions", "description": "Stored predictions: a REST resource (token)"},
            {"name": "model", "description": "The model behind the answers"},
            {"name": "monitoring", "description": "Watching the service and the model (token)"},
            {"name": "service", "description": "The service itself"},
        ],
        "paths": {**paths(max_batch, page_max), **observing(model.schema.names, metrics)},
        "components": {
            "schemas": component_schemas(model.schema, max_batch),
            "responses": copy.deepcopy(ERRORS),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "One of the server's FRAUD_API_TOKEN"},
                "metricsAuth": {"type": "http", "scheme": "bearer",
                                "description": "The server's scrape-only FRAUD_METRICS_TOKEN: GET /metrics only"},
            },
        },
    }


def description() -> dict:
    """This app's description, built once (the first time it is asked for) and kept."""
    app = current_app
    if "fraud_openapi" not in app.extensions:
        app.extensions["fraud_openapi"] = describe(
            app.extensions["fraud_model"], app.config["MAX_BATCH"], app.config["PAGE_LIMIT_MAX"],
            app.config["METRICS"],
        )
    return app.extensions["fraud_openapi"]


@bp.get("/openapi.json")
def openapi_json():
    return description()


@bp.get("/")
def root():
    """The API's front door: what it is, and relative links to everything (they hold behind a prefix too)."""
    model = current_app.extensions["fraud_model"]
    return {
        "name": "Fraud detection API",
        "version": API_VERSION,
        "model_version": model.version,
        "links": {
            "description": {"href": "openapi.json", "type": "application/vnd.oai.openapi+json;version=3.0"},
            "docs": {"href": "../docs", "type": "text/html"},
            "model": {"href": "model"},
            "predict": {"href": "predict", "methods": ["POST"]},
            "predictions": {"href": "predictions", "methods": ["GET", "POST"], "token": True},
            "monitoring": {"href": "monitoring", "token": True},
            "health": {"href": "../../health"},
        },
        "note": "Links are relative to this URL. The description says every operation; the docs page shows it.",
    }


@bp.get("", strict_slashes=True)
def root_without_slash():
    """``/api/v1`` is the root too: redirect to ``/api/v1/`` with a relative Location, which holds behind a path
    prefix (Werkzeug's own redirect names the host and path it sees, without the prefix), and a JSON body."""
    return {"links": {"root": {"href": "v1/"}}}, 308, {"Location": "v1/"}
