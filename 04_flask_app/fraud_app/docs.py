"""The docs page, ``/api/docs``: Swagger UI reading the API's own description (fraud_app.openapi).

Swagger UI's files come from the swagger-ui-bundle package that pip installed with the app, served by
the app itself: the page works with no network at all (no CDN), in the bundle and in the image.
Every URL on the page is relative (``base``, fraud_app.web), so it works behind a path prefix such as
Binder's ``/proxy/8000/`` too.

The page runs script, which the rest of the app never does, so it gets its own Content-Security-Policy,
as narrow as Swagger UI allows: scripts only from the app itself (Swagger UI's bundle, and our
``static/docs.js`` that starts it: no inline script), its requests (the description, "Try it out") only
to the app, and ``data:`` images, which are the icons inside Swagger UI's stylesheet. Every other page
keeps the app's policy (fraud_app.security), which allows no script at all.
"""

from __future__ import annotations

import swagger_ui_bundle
from flask import Blueprint, abort, render_template, send_from_directory

bp = Blueprint("docs", __name__, url_prefix="/api/docs")

#: The files of swagger-ui-bundle the page uses; nothing else of the package is served.
ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"}

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@bp.get("")
def page():
    return render_template("docs.html"), 200, {"Content-Security-Policy": CSP}


@bp.get("/assets/<name>")
def asset(name: str):
    if name not in ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, name, max_age=3600)
