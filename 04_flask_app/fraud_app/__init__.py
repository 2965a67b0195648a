"""The fraud-detection service: a Flask app with a web form and a JSON API.

``create_app`` builds the app: it reads the configuration, loads and verifies the model once,
prepares the database and registers the routes. Nothing happens per request that could happen
here instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from fraud_app import api, db, docs, errors, logs, metrics, monitoring, openapi, ratelimit, security, web
from fraud_app.config import load_config
from fraud_app.model import FraudModel

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app. ``config`` overrides the defaults and the environment (tests use it).

    Raises :class:`fraud_app.config.ConfigError` for a setting with a bad value. Raises
    :class:`artefact.ArtefactError` when the model artefact is missing or fails its
    checks: the app must not start without a model it can trust. Raises
    :class:`fraud_app.db.DatabaseError` when the database cannot be used.
    """
    app = Flask(__name__)
    app.config.from_mapping(load_config(config))
    logs.init_app(app)

    model = app.extensions["fraud_model"] = FraudModel.load(
        app.config["MODEL_PATH"], app.config["MODEL_SHA256"], production=app.config["PRODUCTION"],
        allow_version_skew=app.config["ALLOW_VERSION_SKEW"],
    )
    db.init_app(app)

    security.init_app(app)
    ratelimit.init_app(app)  # anonymous scoring: so many transactions per client (FRAUD_RATE_LIMIT)
    app.register_blueprint(web.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)  # GET /api/v1/ and /api/v1/openapi.json
    app.register_blueprint(docs.bp)  # GET /api/docs
    app.register_blueprint(monitoring.bp)  # GET /api/v1/monitoring
    metrics.init_app(app)  # GET /metrics
    errors.init_app(app)
    announce(app, model)
    return app


def announce(app: Flask, model: FraudModel) -> None:
    """The start-up lines: what runs, on what storage (password hidden), and what is not safe yet."""
    pinned = "pinned by FRAUD_MODEL_SHA256" if app.config["MODEL_SHA256"] else "NOT pinned"
    log.info(
        "fraud_app ready: model %s (artefact_sha256 %s, %s), storage %s",
        model.version, model.digest, pinned, db.describe_storage(app),
    )
    if app.config["OPEN_DEMO"]:
        log.warning("FRAUD_OPEN_DEMO is on: clients without the token get the fraud probability (a demo only)")
    if not app.config["MODEL_SHA256"]:
        log.warning(
            "the model artefact is not pinned: set FRAUD_MODEL_SHA256=%s to refuse any other artefact", model.digest
        )
    if app.config["PLATFORM"] and not (app.config.get("DATABASE_URL") or "").strip():
        log.warning(
            "running on a platform (%s is set) without DATABASE_URL: stored predictions are in a local SQLite "
            "file and will be lost at the next restart; attach a database and set DATABASE_URL",
            app.config["PLATFORM"],
        )
