"""The web pages: the form a person fills in, its result, and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from fraud_app.metrics import count_predictions
from fraud_app.schema import number_text

bp = Blueprint("web", __name__)


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
