"""Bearer-token authentication for the endpoints that write, for reading stored predictions, and for /metrics.

The tokens come from the environment (fraud_app.config): FRAUD_API_TOKEN, one or several separated by
commas (two during a rotation), for everything private; FRAUD_METRICS_TOKEN, scrape-only, for
GET /metrics and nothing else. A token is compared in constant time with every accepted one, each
comparison made whatever the others gave: an attacker learns nothing, character by character, from how
long a refusal takes (the SHA-256 of both sides is compared, so not even a token's length shows).
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from flask import current_app, request

from fraud_app.errors import ApiError


def _configured(key: str) -> tuple[str, ...]:
    value = current_app.config.get(key)
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def matches(given: str, accepted: tuple[str, ...]) -> bool:
    """Is ``given`` one of ``accepted``? Every comparison is made, each in constant time."""
    digest = hashlib.sha256(given.encode()).digest()
    results = [hmac.compare_digest(digest, hashlib.sha256(token.encode()).digest()) for token in accepted]
    return any(results)


def has_api_token() -> bool:
    """Does this request carry one of the API tokens (FRAUD_API_TOKEN)?"""
    auth = request.authorization
    return bool(auth is not None and auth.type == "bearer" and auth.token
                and matches(auth.token, _configured("API_TOKEN")))


def _require(view, keys: tuple[str, ...]):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        accepted = tuple(token for key in keys for token in _configured(key))
        auth = request.authorization
        if not accepted:
            # No token could fix this: it is the server that is not set up for it.
            variables = " or ".join(f"FRAUD_{key}" for key in keys)
            if request.method in ("GET", "HEAD"):
                what = "metrics" if keys != ("API_TOKEN",) else "stored predictions"
                raise ApiError(
                    503, "reads_disabled", f"{what} cannot be read: the server has no {variables} configured"
                )
            raise ApiError(503, "writes_disabled", f"writes are disabled: the server has no {variables} configured")
        if auth is None or auth.type != "bearer" or not auth.token:
            message = "this endpoint needs the header 'Authorization: Bearer <token>'"
        elif not matches(auth.token, accepted):
            message = "the token is not valid"
        else:
            return view(*args, **kwargs)
        raise ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})

    return wrapper


def require_token(view):
    """Decorator: 401 unless the request carries ``Authorization: Bearer <one of FRAUD_API_TOKEN>``.

    One kind of token for reads and writes of stored predictions (see fraud_app.api for why there is no
    separate read-only one); the scrape-only metrics token is refused here.
    """
    return _require(view, ("API_TOKEN",))


def require_metrics_token(view):
    """Decorator for GET /metrics: an API token, or the scrape-only FRAUD_METRICS_TOKEN."""
    return _require(view, ("API_TOKEN", "METRICS_TOKEN"))
