"""A tiny API with a planted bug, for chapter 05's schemathesis demo: split a bill between people.

    POST /split   {"total": 84.0, "people": 3}   ->   {"each": 28.0}

It describes itself (``GET /openapi.json``), as the fraud app does: ``people`` is an integer from 1 to
100. The planted bug is the one chapter 05 keeps coming back to, an edge one step off: the check lets
``people == 0`` through (``>= 0`` where ``>= 1`` was meant), and dividing by zero crashes the request
(500). ``create_app(fixed=True)`` is the same app with the check right: 0 gets a 400.

Nobody wrote a test for 0. schemathesis finds it anyway, from the description alone: "1 to 100" tells
it where the edges are, and it tries values on both sides of them.
"""

from __future__ import annotations

from flask import Flask, request

DESCRIPTION = {
    "openapi": "3.0.3",
    "info": {"title": "Split the bill", "version": "1"},
    "paths": {
        "/split": {"post": {
            "summary": "How much each person pays",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False, "required": ["total", "people"],
                "properties": {
                    "total": {"type": "number", "minimum": 0, "maximum": 100000},
                    "people": {"type": "integer", "minimum": 1, "maximum": 100},
                },
            }}}},
            "responses": {
                "200": {"description": "Each person's share", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["each"], "properties": {"each": {"type": "number"}}}}}},
                "400": {"description": "A field breaks its rule", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}}}},
            },
        }},
    },
}


def create_app(fixed: bool = False) -> Flask:
    """The app with its planted bug, or with ``fixed=True`` the check as it should be."""
    app = Flask(__name__)
    fewest = 1 if fixed else 0  # the planted bug: 0 people gets through

    @app.get("/openapi.json")
    def description():
        return DESCRIPTION

    @app.post("/split")
    def split():
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or set(body) != {"total", "people"}:
            return {"error": "send {\"total\": <number>, \"people\": <integer>}"}, 400
        total, people = body["total"], body["people"]
        if type(total) not in (int, float) or not 0 <= total <= 100000:
            return {"error": "total must be a number from 0 to 100000"}, 400
        if type(people) is not int or not fewest <= people <= 100:
            return {"error": "people must be an integer from 1 to 100"}, 400
        return {"each": round(total / people, 2)}

    return app
