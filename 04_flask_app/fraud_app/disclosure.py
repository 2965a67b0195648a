"""What a client may learn: anonymous clients get the decision; the probability needs the token.

An open scoring endpoint that answers the exact probability is an *oracle* (chapter 04, oracle.py): change
one thing at a time, keep what lowers the probability, and a flagged transaction walks under the threshold
in a few dozen requests; the model card's threshold, training deciles and metrics say how far there is to
go. So a client without the token learns at most the decision:

- ``POST /api/v1/predict`` (one or a batch) and the form answer ``is_fraud`` and ``model_version``, without
  ``fraud_probability`` or ``threshold``;
- ``GET /api/v1/model`` answers the public part of the card (:data:`PUBLIC_CARD`): what the model is and
  what it takes, not its threshold, its metrics, its training distributions (the drift reference) or seed;
  ``withheld`` names what the token would add.

A client with the token (:func:`carries_token`) gets everything. FRAUD_OPEN_DEMO=on gives anonymous
clients the probability again (never the rest of the card): a demo on one's own machine, refused on a
platform (fraud_app.config). A decision alone still leaks a little at each request, which is why anonymous
scoring is rate-limited too (fraud_app.ratelimit).
"""

from __future__ import annotations

from flask import current_app

from fraud_app import auth

#: The model card's keys that anyone may read: what the model is, what it takes, which artefact it is.
PUBLIC_CARD = ("model_version", "model", "trained_at", "features", "target", "versions", "artefact",
               "artefact_sha256")
#: What an anonymous answer of /predict keeps.
PUBLIC_ANSWER = ("is_fraud", "model_version")


def carries_token() -> bool:
    """Does this request carry one of the FRAUD_API_TOKENs? fraud_app.auth's question, asked without refusing:
    open endpoints ask it to decide what a client may learn (here) and whether it is rate-limited
    (fraud_app.ratelimit)."""
    return auth.has_api_token()


def shows_probability() -> bool:
    """May this request's client see the probability? With the token, or when the open demo is switched on."""
    return current_app.config["OPEN_DEMO"] or carries_token()


def answers(outcomes: list[dict]) -> list[dict]:
    """The model's outcomes as this client may see them: whole, or only the decision and the model's version."""
    if shows_probability():
        return outcomes
    return [{key: outcome[key] for key in PUBLIC_ANSWER} for outcome in outcomes]


def card(metadata: dict) -> dict:
    """The model card as this client may see it: all of it with the token, else :data:`PUBLIC_CARD`."""
    if carries_token():
        return metadata
    public = {key: value for key, value in metadata.items() if key in PUBLIC_CARD}
    return {**public, "withheld": sorted(key for key in metadata if key not in PUBLIC_CARD)}
