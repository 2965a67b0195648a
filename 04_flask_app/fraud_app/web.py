"""The web pages: the form a person fills in, its result, and the health and readiness checks."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request

from fraud_app import db
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


def form_values(schema, submitted=None) -> dict[str, str]:
    """What each field shows: what the person typed, else the schema's default."""
    values = {}
    for feature in schema.features:
        default = feature.get("default", "")
        if feature["type"] == "bool":
            default = "true" if default else "false"
        values[feature["name"]] = (submitted or {}).get(feature["name"], str(default))
    return values


@bp.route("/", methods=["GET", "POST"])
def form():
    model = current_app.extensions["fraud_model"]
    if request.method == "GET":
        return render_template("form.html", model=model, values=form_values(model.schema), errors={})
    transaction, errors = model.schema.parse_form(request.form)
    if errors:
        # 400: the page is still a form, with what was typed kept and each message beside its field.
        values = form_values(model.schema, request.form)
        return render_template("form.html", model=model, values=values, errors=errors), 400
    outcome = count_predictions(model.score([transaction]))[0]
    return render_template(
        "form.html",
        model=model,
        values=form_values(model.schema, request.form),
        errors={},
        transaction=transaction,
        outcome=outcome,
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
