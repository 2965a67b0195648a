"""Configuration: defaults, overridden by environment variables, overridden by a mapping.

| key | environment variable | accepts | default |
|---|---|---|---|
| MODEL_PATH | FRAUD_MODEL_PATH | a path | models/fraud_model.pkl (from the working directory) |
| MODEL_SHA256 | FRAUD_MODEL_SHA256 | 64 hex digits: the artefact digest to accept | unset: not pinned (logged) |
| DATABASE_URL | DATABASE_URL | postgresql://USER:PASSWORD@HOST/NAME or sqlite:///PATH | unset: use DATABASE |
| DATABASE | FRAUD_DATABASE | a path | instance/predictions.sqlite3 (from the working directory) |
| DB_TIMEOUT | FRAUD_DB_TIMEOUT_SECONDS | a whole number, 2 to 60: PostgreSQL's deadlines (fraud_app.db) | 3 |
| API_TOKEN | FRAUD_API_TOKEN | tokens of 16 characters or more, separated by commas | unset: private parts refuse |
| METRICS_TOKEN | FRAUD_METRICS_TOKEN | the same: scrape-only tokens, for GET /metrics and nothing else | unset |
| MAX_CONTENT_LENGTH | FRAUD_MAX_BODY_BYTES | a whole number, 1024 to 104857600 | 1 MiB |
| MAX_BATCH | FRAUD_MAX_BATCH | a whole number, 1 to 100000 | 1000 transactions per request |
| LOG_LEVEL | FRAUD_LOG_LEVEL | DEBUG, INFO, WARNING, ERROR or CRITICAL | INFO |
| METRICS | FRAUD_METRICS | on or off: GET /metrics and the counts behind it (fraud_app.metrics) | on |
| ENV | FRAUD_ENV | production or development: production is treated as a platform for the artefact | development |
| ALLOW_VERSION_SKEW | FRAUD_ALLOW_VERSION_SKEW | on or off: production serves an artefact of other versions | off |
| RATE_LIMIT | FRAUD_RATE_LIMIT | N/second, /minute, /hour, /day (N up to 10**6); off (not on a platform) | 60/minute |
| OPEN_DEMO | FRAUD_OPEN_DEMO | on or off: on, anonymous clients get the probability too (not on a platform) | off |

Every setting is checked by ``load_config``, at start-up: a bad value raises :class:`ConfigError`,
whose message is one line naming the variable and what it accepts (the WSGI entry point prints it and
exits with status 1). The value is shown, except for secrets, which are never repeated.

FRAUD_API_TOKEN may hold several tokens, ``new,old``: to rotate one without downtime, deploy both, move
every client to the new one, then deploy the new one alone. FRAUD_METRICS_TOKEN is what Prometheus holds:
it reads /metrics and nothing else, so a leaked scrape configuration cannot read or delete predictions.
A token shorter than MIN_TOKEN_CHARS stops the app at start-up: it could be guessed.

Secrets such as the token only ever come from the environment (or a test's mapping), never
from code or files in the repository. DATABASE_URL has no FRAUD_ prefix: platforms set it under that
name when they attach a database (Heroku Postgres, Render, Fly.io); it may hold a password too.

PLATFORM is detected, not set: the name of the first of PLATFORM_VARIABLES that the environment holds
(Heroku sets DYNO, Cloud Run K_SERVICE, Fly.io FLY_APP_NAME, Render RENDER, Hugging Face Spaces SPACE_ID).
On a platform the app trusts its proxy's X-Forwarded-Proto and wants HTTPS (fraud_app.security).

PRODUCTION is detected too: on a platform, or with FRAUD_ENV=production (a server of your own). There the
model artefact fails closed (fraud_app.model): no FRAUD_MODEL_SHA256 pin, or other library versions than
the artefact's (unless FRAUD_ALLOW_VERSION_SKEW=on), stop the app before anything is unpickled.
RATE_LIMIT is how many transactions a client without the token may score (fraud_app.ratelimit: per client
address, per worker process). OPEN_DEMO=on gives clients without the token the fraud probability, which by
default only token holders get (fraud_app.disclosure): for a demo on one's own machine, such as chapter 04's.
On a platform both FRAUD_OPEN_DEMO=on and FRAUD_RATE_LIMIT=off stop the app at start-up.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

DEFAULTS: dict[str, Any] = {
    "MODEL_PATH": "models/fraud_model.pkl",
    "MODEL_SHA256": None,
    "DATABASE_URL": None,
    "DATABASE": "instance/predictions.sqlite3",
    "DB_TIMEOUT": 3,
    "API_TOKEN": None,
    "METRICS_TOKEN": None,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "MAX_BATCH": 1000,
    "LOG_LEVEL": "INFO",
    "METRICS": True,
    "RATE_LIMIT": "60/minute",
    "OPEN_DEMO": False,
    "PAGE_LIMIT_DEFAULT": 20,
    "PAGE_LIMIT_MAX": 100,
    "PLATFORM": None,
    "ENV": "development",
    "ALLOW_VERSION_SKEW": False,
    "PRODUCTION": False,
}

PLATFORM_VARIABLES = ("DYNO", "K_SERVICE", "FLY_APP_NAME", "RENDER", "SPACE_ID")
MIN_TOKEN_CHARS = 16
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A setting has a value the app cannot use; the message names the variable and what it accepts."""


def whole_number(low: int, high: int) -> Callable[[str], int]:
    def convert(raw: str) -> int:
        text = raw.strip()
        if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
            raise ValueError(f"a whole number from {low} to {high}")
        return int(text)

    return convert


def text(raw: str) -> str:
    return raw


def log_level(raw: str) -> str:
    if raw.strip().upper() not in LOG_LEVELS:
        raise ValueError(", ".join(LOG_LEVELS[:-1]) + " or " + LOG_LEVELS[-1])
    return raw.strip().upper()


def on_off(raw: str) -> bool:
    if raw.strip().lower() not in ("on", "off"):
        raise ValueError("on or off")
    return raw.strip().lower() == "on"


def tokens(raw: str) -> tuple[str, ...]:
    """One or more bearer tokens, separated by commas, each at least MIN_TOKEN_CHARS characters."""
    found = tuple(token.strip() for token in raw.split(","))
    if not all(len(token) >= MIN_TOKEN_CHARS and token.isprintable() and " " not in token for token in found):
        raise ValueError(
            f"tokens of at least {MIN_TOKEN_CHARS} characters without spaces, separated by commas (a long random "
            "secret: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return found


def environment_name(raw: str) -> str:
    if raw.strip().lower() not in ("production", "development"):
        raise ValueError("production or development")
    return raw.strip().lower()
RATE_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def rate_limit(raw: str) -> tuple[int, int] | None:
    """"60/minute" as (60, 60): so many transactions per so many seconds; "off" as None."""
    text = raw.strip().lower()
    if text == "off":
        return None
    count, _, period = text.partition("/")
    count = count.strip()
    if not (count.isascii() and count.isdigit() and 1 <= int(count) <= 1_000_000 and period.strip() in RATE_PERIODS):
        raise ValueError("N/second, N/minute, N/hour or N/day with N a whole number from 1 to 1000000, or off")
    return int(count), RATE_PERIODS[period.strip()]


def sha256_hex(raw: str) -> str:
    if not re.fullmatch(r"[0-9a-fA-F]{64}", raw.strip()):
        raise ValueError("a SHA-256 digest: 64 hexadecimal digits (the model card's artefact_sha256)")
    return raw.strip().lower()


#: key: (environment variable, converter that raises ValueError("what it accepts"), is it a secret)
ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any], bool]] = {
    "MODEL_PATH": ("FRAUD_MODEL_PATH", text, False),
    "MODEL_SHA256": ("FRAUD_MODEL_SHA256", sha256_hex, False),
    "DATABASE_URL": ("DATABASE_URL", text, True),
    "DATABASE": ("FRAUD_DATABASE", text, False),
    "DB_TIMEOUT": ("FRAUD_DB_TIMEOUT_SECONDS", whole_number(2, 60), False),
    "API_TOKEN": ("FRAUD_API_TOKEN", tokens, True),
    "METRICS_TOKEN": ("FRAUD_METRICS_TOKEN", tokens, True),
    "MAX_CONTENT_LENGTH": ("FRAUD_MAX_BODY_BYTES", whole_number(1024, 100 * 1024 * 1024), False),
    "MAX_BATCH": ("FRAUD_MAX_BATCH", whole_number(1, 100_000), False),
    "LOG_LEVEL": ("FRAUD_LOG_LEVEL", log_level, False),
    "METRICS": ("FRAUD_METRICS", on_off, False),
    "ENV": ("FRAUD_ENV", environment_name, False),
    "ALLOW_VERSION_SKEW": ("FRAUD_ALLOW_VERSION_SKEW", on_off, False),
    "RATE_LIMIT": ("FRAUD_RATE_LIMIT", rate_limit, False),
    "OPEN_DEMO": ("FRAUD_OPEN_DEMO", on_off, False),
}


def load_config(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] = os.environ) -> dict:
    """The app's configuration: defaults < environment < ``overrides``; raises ConfigError for a bad value."""
    config = dict(DEFAULTS)
    config["PLATFORM"] = next((name for name in PLATFORM_VARIABLES if environ.get(name)), None)
    for key, (variable, convert, secret) in ENVIRONMENT.items():
        if environ.get(variable):
            try:
                config[key] = convert(environ[variable])
            except ValueError as accepts:
                shown = "" if secret else f"={environ[variable]!r}"
                raise ConfigError(f"{variable}{shown} is not valid: it accepts {accepts}") from None
    config.update(overrides or {})
    for key in ("MAX_CONTENT_LENGTH", "MAX_BATCH", "DB_TIMEOUT"):  # a test's mapping is checked too
        if type(config[key]) is not int or config[key] < 1:
            raise ConfigError(f"{ENVIRONMENT[key][0]} is not valid: it accepts a whole number of at least 1")
    for key in ("API_TOKEN", "METRICS_TOKEN"):  # a test's mapping may give one token as a string
        if isinstance(config[key], str):
            try:
                config[key] = tokens(config[key])
            except ValueError as accepts:
                raise ConfigError(f"{ENVIRONMENT[key][0]} is not valid: it accepts {accepts}") from None
    config["PRODUCTION"] = bool(config["PRODUCTION"] or config["PLATFORM"] or config["ENV"] == "production")
    for key in ("METRICS", "OPEN_DEMO"):
        if type(config[key]) is not bool:
            raise ConfigError(f"{ENVIRONMENT[key][0]} is not valid: it accepts on or off")
    if isinstance(config["RATE_LIMIT"], str):  # the default, or a test's mapping: "60/minute"
        try:
            config["RATE_LIMIT"] = rate_limit(config["RATE_LIMIT"])
        except ValueError as accepts:
            raise ConfigError(f"FRAUD_RATE_LIMIT={config['RATE_LIMIT']!r} is not valid: it accepts {accepts}") from None
    if config["PRODUCTION"]:
        # What is open on one's own machine for a demo is never open by mistake in production.
        where = f"{config['PLATFORM']} is set" if config["PLATFORM"] else "FRAUD_ENV=production"
        if config["OPEN_DEMO"]:
            raise ConfigError(f"FRAUD_OPEN_DEMO=on is refused in production ({where}): "
                              "it would give every anonymous client the fraud probability")
        if config["RATE_LIMIT"] is None:
            raise ConfigError(f"FRAUD_RATE_LIMIT=off is refused in production ({where}): "
                              "anonymous scoring must be rate-limited there")
    return config
