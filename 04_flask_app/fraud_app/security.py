"""HTTP hardening: security headers on every response, HTTPS behind a platform's proxy.

Every response carries:

- ``X-Content-Type-Options: nosniff``: a browser takes the Content-Type as sent, never guesses.
- ``Content-Security-Policy``: this app's pages load only its own stylesheet, run no script at all,
  post their form only to the app itself and are never shown in another site's frame
  (``frame-ancestors 'none'``, the modern form of X-Frame-Options).
- ``Referrer-Policy: no-referrer``: a link followed from a page does not tell the other site which page.

On a platform (config PLATFORM, see fraud_app.config) the app sits behind the platform's proxy, which ends
TLS and forwards plain HTTP with ``X-Forwarded-Proto``. Werkzeug's ``ProxyFix`` (a well-kept library
piece, not hand-written here) makes ``request.is_secure`` believe that header, so that:

- a request over HTTPS gets ``Strict-Transport-Security``: the browser uses HTTPS from then on;
- a write (or any request with a token) that arrived over plain HTTP is refused with 403 JSON, not
  redirected: its token has already crossed the network in clear, and a redirect would teach the
  client that this works. Rotate a token that was sent this way.

Run locally (no PLATFORM), nothing of this second part applies: 127.0.0.1 speaks plain HTTP.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from fraud_app.errors import ApiError

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HSTS = "max-age=31536000"  # one year; no includeSubDomains: the app does not own its platform's domain
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def add_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def refuse_plain_http():
    """On a platform: 403 for a write, or a request carrying a token, that came over plain HTTP."""
    if request.is_secure:
        return
    if request.method not in SAFE_METHODS or request.authorization is not None:
        raise ApiError(
            403,
            "https_required",
            "this request must be sent over HTTPS: use the https:// address "
            "(a token sent over plain HTTP should be replaced)",
        )


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
    if app.config.get("PLATFORM"):
        # One proxy (the platform's router) in front of the app: trust one hop of X-Forwarded-*.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)
        app.before_request(refuse_plain_http)
