"""Configuration: defaults, overridden by environment variables, overridden by a mapping.

| key | environment variable | default |
|---|---|---|
| MODEL_PATH | FRAUD_MODEL_PATH | models/fraud_model.pkl (from the working directory) |
| DATABASE_URL | DATABASE_URL | unset: use DATABASE; postgresql://USER:PASSWORD@HOST/NAME for PostgreSQL |
| DATABASE | FRAUD_DATABASE | instance/predictions.sqlite3 (from the working directory) |
| API_TOKEN | FRAUD_API_TOKEN | unset: write endpoints then refuse every request |
| MAX_CONTENT_LENGTH | FRAUD_MAX_BODY_BYTES | 1 MiB |
| MAX_BATCH | FRAUD_MAX_BATCH | 1000 transactions per request |
| LOG_LEVEL | FRAUD_LOG_LEVEL | INFO |

Secrets such as the token only ever come from the environment (or a test's mapping), never
from code or files in the repository. DATABASE_URL has no FRAUD_ prefix: platforms set it under that
name when they attach a database (Heroku Postgres, Render, Fly.io); it may hold a password too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

DEFAULTS: dict[str, Any] = {
    "MODEL_PATH": "models/fraud_model.pkl",
    "DATABASE_URL": None,
    "DATABASE": "instance/predictions.sqlite3",
    "API_TOKEN": None,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "MAX_BATCH": 1000,
    "LOG_LEVEL": "INFO",
    "PAGE_LIMIT_DEFAULT": 20,
    "PAGE_LIMIT_MAX": 100,
}

ENVIRONMENT = {
    "MODEL_PATH": ("FRAUD_MODEL_PATH", str),
    "DATABASE_URL": ("DATABASE_URL", str),
    "DATABASE": ("FRAUD_DATABASE", str),
    "API_TOKEN": ("FRAUD_API_TOKEN", str),
    "MAX_CONTENT_LENGTH": ("FRAUD_MAX_BODY_BYTES", int),
    "MAX_BATCH": ("FRAUD_MAX_BATCH", int),
    "LOG_LEVEL": ("FRAUD_LOG_LEVEL", str),
}


def load_config(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] = os.environ) -> dict:
    """The app's configuration: defaults < environment < ``overrides``."""
    config = dict(DEFAULTS)
    for key, (variable, convert) in ENVIRONMENT.items():
        if environ.get(variable):
            try:
                config[key] = convert(environ[variable])
            except ValueError:
                raise ValueError(
                    f"environment variable {variable}={environ[variable]!r} is not a valid {convert.__name__}"
                ) from None
    config.update(overrides or {})
    return config
