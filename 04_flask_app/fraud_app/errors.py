"""Errors: JSON under /api/ (never an HTML page or a stack trace), HTML pages elsewhere.

Every API error has the same shape::

    {"error": {"code": "validation_failed", "message": "...", "details": [...]}}

``code`` is a stable machine-readable name; the HTTP status carries the class of error. ``details`` lists at
most 20 problems (fraud_app.contract.MAX_PROBLEMS); ``omitted``, when present, says how many more were found.
An error answer stays a few kilobytes, whatever the request: the client pays for bad input, not the server.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

log = logging.getLogger(__name__)

# Machine-readable codes for the HTTP errors werkzeug raises by itself.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
}

RETRY_AFTER_SECONDS = 5  # a database outage: when a client may try again


class ApiError(Exception):
    """An error the API reports to its client as JSON."""

    def __init__(self, status: int, code: str, message: str, details=None, headers=None, omitted: int = 0):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers, self.omitted = details, headers or {}, omitted


def json_body(status: int, code: str, message: str, details=None, headers=None, omitted: int = 0):
    error = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    if omitted:
        error["omitted"] = omitted  # problems found beyond those in details
    return {"error": error}, status, headers or {}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def handle_api_error(error: ApiError):
    return json_body(error.status, error.code, error.message, error.details, error.headers, error.omitted)


def handle_http_exception(error: HTTPException):
    if not wants_json():
        # The error's own headers (Allow on a 405, WWW-Authenticate...) are kept; its Content-Type is the page's.
        headers = [(key, value) for key, value in error.get_headers() if key != "Content-Type"]
        return render_template("error.html", error=error), error.code, headers
    # Allow lists the methods a 405'd URL does accept; sorted, so that it reads the same every time.
    headers = {key: ", ".join(sorted(value.split(", "))) for key, value in error.get_headers() if key == "Allow"}
    message = error.description
    if error.code == 413:
        message = f"the request body is larger than {request.max_content_length} bytes"
    return json_body(error.code, CODES.get(error.code, "http_error"), message, headers=headers)


def is_outage(error: sa.exc.DBAPIError) -> bool:
    """Is this the database being away (503), rather than a bug (500)?

    A connection that died, or PostgreSQL's OperationalError (refused, gone, shutting down, too many
    connections); on SQLite only a locked file: its OperationalError also says "no such table", a bug.
    """
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa.exc.OperationalError):
        return False
    if type(error.orig).__module__.startswith("sqlite3"):
        return "locked" in str(error.orig)
    return True


def handle_database_down(error: sa.exc.DBAPIError | sa.exc.TimeoutError):
    """The database does not answer (an outage, a restart): 503 with Retry-After, not a 500 that looks like a bug.

    The engine's pool pre-ping replaces dead connections, so the app recovers by itself once the
    database is back. The log line names the error class only: never the SQL or its parameters.
    """
    if isinstance(error, sa.exc.TimeoutError):  # no connection of the pool came free in time
        cause = "pool timeout"
    elif is_outage(error):
        cause = type(error.orig).__name__
    else:
        return handle_unexpected(error)
    log.error("database unavailable on %s %s: %s", request.method, request.path, cause)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if not wants_json():
        return render_template("error.html", error=ServiceUnavailable()), 503, headers
    return json_body(
        503, "database_unavailable", "the database is not answering; try again in a few seconds", headers=headers
    )


def handle_unexpected(error: Exception):
    # The full story goes to the server's log; the client gets no internals.
    log.exception("unhandled error on %s %s", request.method, request.path)
    if isinstance(error, HTTPException):  # pragma: no cover - handled above
        return handle_http_exception(error)
    if not wants_json():
        return render_template("error.html", error=InternalServerError()), 500
    return json_body(500, "internal_error", "the server failed to answer; the error has been logged")


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(sa.exc.DBAPIError, handle_database_down)
    app.register_error_handler(sa.exc.TimeoutError, handle_database_down)
    app.register_error_handler(Exception, handle_unexpected)
