"""A tiny JSON API: two programs talking through HTTP, the smallest useful example.

The client (a notebook, a mobile app, ``curl``) sends a *request*: a method, a URL, headers
and sometimes a body. This server reads it and sends back a *response*: a status code,
headers and a JSON body. Everything the client sees, errors included, is JSON, so a program
can always read it.

Run it from the command line with ``python hello_api.py``; in the notebook it is started in
the background with ``course.serve_app(create_app())``.
"""

import inspect
import json
import math

from flask import Flask, abort, current_app, request
from werkzeug.exceptions import HTTPException, UnsupportedMediaType

API_NAME = "hello-api"
API_VERSION = "1.0"
MAX_NAME_LENGTH = 100


def create_app(config=None):
    """Create the Flask application; ``config`` (a mapping) is merged into ``app.config``."""
    app = Flask(__name__)
    app.config.from_mapping(config or {})

    app.add_url_rule("/", view_func=index)
    app.add_url_rule("/greet", view_func=greet)
    app.add_url_rule("/add", view_func=add)
    app.add_url_rule("/echo", view_func=echo, methods=["POST"])
    # Without this, Flask answers 404, 405 and friends with an HTML page that a client
    # program cannot parse. One handler for every HTTP error keeps the API all-JSON.
    app.register_error_handler(HTTPException, json_error)
    return app


def index():
    """Describe this API: its name, version and endpoints."""
    return {"name": API_NAME, "version": API_VERSION, "endpoints": list_endpoints()}


def greet():
    """Greet someone: /greet?name=Ada (the name defaults to "world")."""
    name = request.args.get("name", "").strip() or "world"
    if len(name) > MAX_NAME_LENGTH:
        abort(400, f"query parameter 'name' must be at most {MAX_NAME_LENGTH} characters")
    return {"greeting": f"Hello, {name}!"}


def add():
    """Add two numbers: /add?a=2&b=3."""
    a, b = number_arg("a"), number_arg("b")
    total = a + b
    # Two huge finite numbers can still add up to infinity, which JSON cannot represent.
    if not math.isfinite(total):
        abort(400, "the sum of 'a' and 'b' is too large to represent")
    return {"a": a, "b": b, "sum": total}


def echo():
    """Send back the JSON body of a POST request, and the content type it came with."""
    return {"you_sent": read_json_body(), "content_type": request.content_type}


def number_arg(name):
    """Read query parameter ``name`` as a finite float, or stop with a 400 that names it."""
    raw = request.args.get(name)
    if raw is None:
        abort(400, f"query parameter '{name}' is required")
    try:
        value = float(raw)
    except ValueError:
        abort(400, f"query parameter '{name}' must be a number")
    # float() happily parses "nan" and "inf"; neither is a number you can add up or send as JSON.
    if not math.isfinite(value):
        abort(400, f"query parameter '{name}' must be a finite number")
    return value


def read_json_body():
    """Parse the request body as JSON: 415 if it is not labelled JSON, 400 if it is broken."""
    if not request.is_json:
        raise UnsupportedMediaType("send a JSON body with the header 'Content-Type: application/json'")
    try:
        # Python's json module accepts NaN and Infinity, which are not JSON; refuse them.
        return json.loads(request.get_data(as_text=True), parse_constant=_refuse_constant)
    except ValueError as error:
        abort(400, f"the body is not valid JSON: {error}")


def _refuse_constant(name):
    raise ValueError(f"{name} is not allowed in JSON")


def list_endpoints():
    """Build the endpoint list from the app's own routes, so it can never go out of date."""
    endpoints = []
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if rule.endpoint == "static":
            continue
        summary = inspect.getdoc(current_app.view_functions[rule.endpoint]).splitlines()[0]
        # HEAD and OPTIONS are added to every route by Flask; they are not worth listing.
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            endpoints.append({"method": method, "path": rule.rule, "description": summary})
    return endpoints


def json_error(error):
    """Turn any HTTP error into ``{"error": {"code": ..., "message": ...}}``."""
    body = {"error": {"code": error.code, "message": error.description}}
    # Keep werkzeug's extra headers, such as "Allow" on a 405, but not its HTML content type.
    headers = [(key, value) for key, value in error.get_headers() if key != "Content-Type"]
    return body, error.code, headers


if __name__ == "__main__":
    # Flask's built-in server is for development only: it is single-process and not hardened.
    # Production runs the app under a real WSGI server such as gunicorn (chapter 04).
    create_app().run(port=8001)  # not 5000: macOS uses that port for AirPlay
