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
