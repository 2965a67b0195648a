"""Logging: configured once, to stdout, one line per event with time, level and request id.

    2026-05-20 09:30:00,123 INFO [3f2a...] fraud_app: fraud_app ready: model 1.0.0 ...

Platforms (Heroku, Docker, Cloud Run) collect a process's stdout; a file inside the container would be
lost. The request id is the client's ``X-Request-ID`` (Heroku's router sets one on every request), or a
new one, and it is sent back in the response: a user's complaint, the router's log and the app's log
then name the same request. gunicorn.conf.py sends gunicorn's own lines through the same format.

No log line carries a transaction's values or SQL parameters: the engine is created with
``hide_parameters=True`` (fraud_app.db), and the app logs names and error classes, never bodies.
Teams often use structlog or python-json-logger for JSON lines; the standard library is enough here.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid

from flask import Flask, g, has_request_context, request

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,200}")  # what a router sends; anything else is replaced

_handler: logging.Handler | None = None


class OneLineFormatter(logging.Formatter):
    """One line per event, a traceback included (its line breaks written as ``\\n``): a log collector
    that splits on newlines (Heroku's, Docker's) keeps an error and its traceback together."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\\n")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record: the current request's, or "-" outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class StdoutHandler(logging.StreamHandler):
    """Writes to ``sys.stdout`` as it is when a line is logged, not as it was when the handler was made:
    a test runner or a notebook that swaps stdout (and closes its copy later) never gets a dead stream."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ sets it; stdout is looked up instead
        pass


def handler() -> logging.Handler:
    """The one stdout handler every logger of the app (and gunicorn's) writes through."""
    global _handler
    if _handler is None:
        _handler = StdoutHandler()
        _handler.setFormatter(OneLineFormatter(FORMAT))
        _handler.addFilter(RequestIdFilter())
    return _handler


def configure(level: str) -> None:
    """Send the ``fraud_app`` loggers to stdout at ``level``; calling it again only changes the level."""
    logger = logging.getLogger("fraud_app")
    if handler() not in logger.handlers:
        logger.addHandler(handler())
    logger.setLevel(level)
    logger.propagate = False  # one line per event, not a second copy through the root logger


def take_request_id() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def send_request_id(response):
    response.headers["X-Request-ID"] = g.get("request_id", "")
    return response


def init_app(app: Flask) -> None:
    configure(app.config["LOG_LEVEL"])
    app.before_request(take_request_id)
    app.after_request(send_request_id)
