"""The web pages: the form a person fills in, its result, and the health and readiness checks."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from fraud_app import db, disclosure, ratelimit
from fraud_app.api import body_bytes
from fraud_app.errors import RETRY_AFTER_SECONDS
from fraud_app.metrics import count_predictions
from fraud_app.model import smoke_transaction
from fraud_app.schema import number_text

bp = Blueprint("web", __name__)
log = logging.getLogger(__name__)


@bp.app_context_processor
def relative_base() -> dict:
    """``base``: the way from this page back to the app's root, as a relative path ("", "../", ...).

    Links written as ``{{ base }}static/style.css`` then work at any depth and behind any path
    prefix (such as Binder's /proxy/8000/), which the app itself cannot see.
    """
    return {"base": "../" * (request.path.count("/") - 1)}


@bp.app_template_filter("number")
def number_filter(value, feature) -> str:
    return number_text(value, feature)


#: What the form re-shows of a typed value: no field needs more, and a page need not echo a megabyte back.
MAX_SHOWN = 100


def form_values(schema, submitted=None) -> dict[str, str]:
    """What each field shows: what the person typed (its first MAX_SHOWN characters), else the schema's default."""
    values = {}
    for feature in schema.features:
        default = feature.get("default", "")
        if feature["type"] == "bool":
            default = "true" if default else "false"
        values[feature["name"]] = (submitted or {}).get(feature["name"], str(default))[:MAX_SHOWN]
    return values


FORM_TYPE = "application/x-www-form-urlencoded"


def read_form(schema) -> MultiDict:
    """The submitted form, read as the API reads a body: whole or 413, however it is sent.

    Werkzeug's own form parsing stops silently at MAX_CONTENT_LENGTH when a body comes chunked (no
    Content-Length) and scores what it read; so the body is read here, by the function the API uses
    (fraud_app.api.body_bytes), then parsed: UTF-8, ``application/x-www-form-urlencoded`` (what the page's
    form sends; anything else is 415), and at most twice as many fields as the form has (400).
    """
    data = body_bytes()
    if not data:
        return MultiDict()
    if request.mimetype != FORM_TYPE:
        raise UnsupportedMediaType(f"send the form as {FORM_TYPE}, as this page's form does")
    most = 2 * len(schema.features)
    try:
        return MultiDict(parse_qsl(data.decode("utf-8"), keep_blank_values=True, errors="strict",
                                   max_num_fields=most))
    except UnicodeDecodeError:
        raise BadRequest("the form is not valid UTF-8") from None
    except ValueError:  # max_num_fields
        raise BadRequest(f"the form has more than {most} fields; the fraud check has {len(schema.features)}") from None


@bp.route("/", methods=["GET", "POST"])
def form():
    model = current_app.extensions["fraud_model"]
    if request.method == "GET":
        return render_template("form.html", model=model, values=form_values(model.schema), errors={})
    ratelimit.take(1)  # as the API: a client without the token scores so many transactions (429 past it)
    submitted = read_form(model.schema)
    transaction, errors = model.schema.parse_form(submitted)
    if errors:
        # 400: the page is still a form, with what was typed kept and each message beside its field.
        values = form_values(model.schema, submitted)
        return render_template("form.html", model=model, values=values, errors=errors), 400
    outcome = count_predictions(model.score([transaction]))[0]
    return render_template(
        "form.html",
        model=model,
        values=form_values(model.schema, submitted),
        errors={},
        transaction=transaction,
        outcome=outcome,
        # The decision for everyone; the probability with the token or in the open demo (fraud_app.disclosure).
        show_probability=disclosure.shows_probability(),
    )


@bp.get("/health")
def health():
    model = current_app.extensions["fraud_model"]
    return {"status": "ok", "model_version": model.version}


@bp.get("/ready")
def ready():
    """Readiness: may this instance take traffic? The database answers and the model scores one transaction.

    /health is liveness (the process answers: never restart it while it does) and touches nothing else;
    /ready is what a load balancer or a platform's check asks before sending requests here: 503 while
    the database does not answer (within FRAUD_DB_TIMEOUT_SECONDS), so traffic goes elsewhere, and no
    restart. The smoke prediction is not counted in the metrics.
    """
    model = current_app.extensions["fraud_model"]
    checks = {"database": "ok", "model": "ok"}
    try:
        with db.engine().connect() as connection:
            connection.execute(sa.select(1))
    except sa.exc.SQLAlchemyError as error:
        log.error("not ready: the database does not answer: %s", type(getattr(error, "orig", None) or error).__name__)
        checks["database"] = "unavailable"
    try:
        outcome = model.score([smoke_transaction(model.schema)])[0]
        if not 0.0 <= outcome["fraud_probability"] <= 1.0:
            raise ValueError("a probability outside [0, 1]")
    except Exception as error:  # noqa: BLE001 - whatever breaks the model makes the instance not ready
        log.error("not ready: the smoke prediction failed: %s", type(error).__name__)
        checks["model"] = "failed"
    ok = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ok else "unavailable", "model_version": model.version, "checks": checks}
    headers = {"Cache-Control": "no-store"}
    if not ok:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return body, 200 if ok else 503, headers
