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

from fraud_app import api, db, errors, web
from fraud_app.config import load_config
from fraud_app.model import FraudModel

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app. ``config`` overrides the defaults and the environment (tests use it).

    Raises :class:`artefact.ArtefactError` when the model artefact is missing or fails its
    checks: the app must not start without a model it can trust. Raises
    :class:`fraud_app.db.DatabaseError` when the database cannot be used.
    """
    app = Flask(__name__)
    app.config.from_mapping(load_config(config))
    if not app.debug:
        logging.getLogger(__name__).setLevel(app.config["LOG_LEVEL"])

    app.extensions["fraud_model"] = FraudModel.load(app.config["MODEL_PATH"])
    db.init_app(app)

    app.register_blueprint(web.bp)
    app.register_blueprint(api.bp)
    errors.init_app(app)
    return app
