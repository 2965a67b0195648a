"""Bearer-token authentication for the endpoints that write, and for reading stored predictions.

The token comes from the environment (FRAUD_API_TOKEN). It is compared in constant time, so
an attacker cannot learn it character by character from how long a refusal takes.
"""

from __future__ import annotations

import functools
import hmac

from flask import current_app, request

from fraud_app.errors import ApiError


def require_token(view):
    """Decorator: 401 unless the request carries ``Authorization: Bearer <FRAUD_API_TOKEN>``.

    One token for reads and writes (see fraud_app.api for why there is no separate read-only token).
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        expected = current_app.config["API_TOKEN"]
        auth = request.authorization
        if not expected:
            # No token could fix this: it is the server that is not set up for writes.
            if request.method in ("GET", "HEAD"):
                raise ApiError(
                    503, "reads_disabled",
                    "stored predictions cannot be read: the server has no FRAUD_API_TOKEN configured",
                )
            raise ApiError(503, "writes_disabled", "writes are disabled: the server has no FRAUD_API_TOKEN configured")
        if auth is None or auth.type != "bearer" or not auth.token:
            message = "this endpoint needs the header 'Authorization: Bearer <token>'"
        elif not hmac.compare_digest(auth.token.encode(), expected.encode()):
            message = "the token is not valid"
        else:
            return view(*args, **kwargs)
        raise ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})

    return wrapper


def carries_token() -> bool:
    """Does this request carry ``Authorization: Bearer <FRAUD_API_TOKEN>``? Compared in constant time.

    False when the server has no token. Open endpoints ask it to decide what a client may learn
    (fraud_app.disclosure) and whether it is rate-limited (fraud_app.ratelimit). The setting may hold one
    token or several (a rotation): each is compared, whatever the others gave.
    """
    configured = current_app.config["API_TOKEN"]
    accepted = () if not configured else (configured,) if isinstance(configured, str) else tuple(configured)
    auth = request.authorization
    if not accepted or auth is None or auth.type != "bearer" or not auth.token:
        return False
    return any([hmac.compare_digest(auth.token.encode(), token.encode()) for token in accepted])
