"""Movie ratings as a REST resource: one URL per rating, the HTTP method says what to do.

    GET    /ratings        list every rating                     200
    POST   /ratings        create a rating (token needed)         201 + Location header
    GET    /ratings/<id>   read one rating                        200 / 404
    PUT    /ratings/<id>   replace one rating (token needed)      200 / 404
    DELETE /ratings/<id>   delete one rating (token needed)       204 / 404

The same operations, RPC-style, live in ``ratings_rpc.py`` (``POST /rpc``). Both front doors
share this module's store, validation and token check, so they cannot disagree.

Every error is JSON: ``{"error": {"code": <HTTP status>, "message": <what went wrong>}}``.
"""

import hmac
import json
import os
import threading

from flask import Blueprint, Flask, current_app, request, url_for
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import BadRequest, Conflict, HTTPException, NotFound, Unauthorized, UnsupportedMediaType
from werkzeug.middleware.proxy_fix import ProxyFix

# Real tokens never live in code: they come from the environment or a secret store.
# This one exists only so the lesson runs out of the box; it is used when RATINGS_API_TOKEN is unset.
TEACHING_TOKEN = "let-me-in"

MAX_MOVIE_LENGTH = 200
MAX_REVIEW_LENGTH = 1000
RATING_FIELDS = {"movie": str, "stars": int, "review": str}
EXAMPLE_RATINGS = (
    {"movie": "Spirited Away", "stars": 5, "review": "A bathhouse of wonders."},
    {"movie": "Arrival", "stars": 4, "review": "Language as a time machine."},
    {"movie": "The Room", "stars": 1},
)
JSON_TYPE_NAMES = {
    bool: "boolean", int: "integer", float: "number", str: "string",
    list: "array", dict: "object", type(None): "null",
}  # fmt: skip


def create_app(config=None):
    """Create the Flask application; ``config`` (a mapping) is merged into ``app.config``."""
    app = Flask(__name__)
    app.config.from_mapping(
        API_TOKEN=os.environ.get("RATINGS_API_TOKEN", TEACHING_TOKEN),
        MAX_CONTENT_LENGTH=64 * 1024,  # refuse oversized bodies (413) before reading them
    )
    app.config.from_mapping(config or {})
    if not app.config["API_TOKEN"]:
        raise ValueError("API_TOKEN must not be empty")

    # Each app gets its own store, so two apps (two tests) never see each other's ratings.
    app.extensions["ratings_store"] = RatingStore(EXAMPLE_RATINGS)

    # Imported here because ratings_rpc itself imports the shared pieces from this module.
    from ratings_rpc import rpc

    app.register_blueprint(rest)
    app.register_blueprint(rpc)
    app.register_error_handler(HTTPException, json_error)

    # Behind a proxy that serves the app under a path prefix, as Binder's jupyter-server-proxy
    # serves it under /user/<name>/proxy/<port>/, the Location header must carry that prefix.
    # The proxy says what it is in the X-Forwarded-Prefix header; ProxyFix hands it to url_for,
    # and trusts no other X-Forwarded-* header. Called directly, nothing changes: /ratings/4.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=0, x_proto=0, x_host=0, x_port=0, x_prefix=1)
    return app


class RatingStore:
    """Ratings kept in memory, safe to use from several threads at once.

    A web server handles requests in parallel threads; without the lock two requests could
    read the same ``_next_id`` and hand out one id twice. Errors are werkzeug's HTTP
    exceptions, because both front doors (REST and RPC) know how to translate those.
    """

    def __init__(self, initial=()):
        self._lock = threading.Lock()
        self._ratings = {}
        self._next_id = 1
        for fields in initial:
            self.create(validate_rating(fields))

    def listing(self):
        """Every rating and their number, taken together so that the two always agree."""
        with self._lock:
            items = [dict(rating) for rating in self._ratings.values()]
        return {"items": items, "total": len(items)}

    def get(self, rating_id):
        """One rating (a copy: changing it does not change the store)."""
        with self._lock:
            return dict(self._find(rating_id))

    def create(self, fields):
        """Store a new rating with the next id; 409 if the movie is already rated."""
        with self._lock:
            self._refuse_clash(fields["movie"])
            rating = {"id": self._next_id, **fields}
            self._ratings[rating["id"]] = rating
            self._next_id += 1
            return dict(rating)

    def replace(self, rating_id, fields):
        """Replace every field of an existing rating; its id stays the same."""
        with self._lock:
            self._find(rating_id)
            self._refuse_clash(fields["movie"], ignore_id=rating_id)
            self._ratings[rating_id] = {"id": rating_id, **fields}
            return dict(self._ratings[rating_id])

    def delete(self, rating_id):
        """Remove a rating; 404 if there is none with that id."""
        with self._lock:
            self._find(rating_id)
            del self._ratings[rating_id]

    def _find(self, rating_id):
        if rating_id not in self._ratings:
            raise NotFound(f"rating {rating_id} does not exist")
        return self._ratings[rating_id]

    def _refuse_clash(self, movie, ignore_id=None):
        # Titles are compared case-insensitively: "arrival" is the same movie as "Arrival".
        for rating in self._ratings.values():
            if rating["id"] != ignore_id and rating["movie"].casefold() == movie.casefold():
                raise Conflict(f"movie {movie!r} is already rated (rating {rating['id']})")


def validate_rating(data, *, replace=False):
    """Check untrusted JSON and return a clean rating, or raise a 400 naming the field and the rule.

    A new rating needs ``movie`` and ``stars``; ``review`` defaults to "". A replacement (PUT)
    sends the whole resource, so every field is required: nothing is reset by omission.
    """
    if not isinstance(data, dict):
        raise BadRequest(f"a rating must be a JSON object, got {json_type(data)}")
    unknown = sorted(data.keys() - RATING_FIELDS.keys())
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r}: allowed fields are movie, stars, review")
    required = ["movie", "stars", "review"] if replace else ["movie", "stars"]
    missing = [field for field in required if field not in data]
    if missing:
        raise BadRequest(f"missing required field(s): {', '.join(missing)}")
    for field, expected in RATING_FIELDS.items():
        # isinstance(True, int) is True in Python, so compare exact types: true is not 1 star.
        if field in data and type(data[field]) is not expected:
            raise BadRequest(
                f"field {field!r} must be of type {JSON_TYPE_NAMES[expected]}, got {json_type(data[field])}"
            )
    movie, stars, review = data["movie"].strip(), data["stars"], data.get("review", "")
    if not movie:
        raise BadRequest("field 'movie' must not be empty")
    if len(movie) > MAX_MOVIE_LENGTH:
        raise BadRequest(f"field 'movie' must be at most {MAX_MOVIE_LENGTH} characters, got {len(movie)}")
    if not 1 <= stars <= 5:
        raise BadRequest(f"field 'stars' must be between 1 and 5, got {stars}")
    if len(review) > MAX_REVIEW_LENGTH:
        raise BadRequest(f"field 'review' must be at most {MAX_REVIEW_LENGTH} characters, got {len(review)}")
    return {"movie": movie, "stars": stars, "review": review}


def json_type(value):
    """The JSON name of a parsed value's type, for error messages."""
    return JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def require_token():
    """Stop the request with 401 unless it carries ``Authorization: Bearer <the API token>``."""
    auth = request.authorization
    if auth is None or auth.type != "bearer" or not auth.token:
        message = "this operation needs the header 'Authorization: Bearer <token>'"
    elif not hmac.compare_digest(auth.token.encode(), current_app.config["API_TOKEN"].encode()):
        # compare_digest takes as long for a nearly right token as for a wrong one,
        # so an attacker cannot guess the token character by character from response times.
        message = "the token is not valid"
    else:
        return
    # The WWW-Authenticate header tells the client which scheme to use.
    raise Unauthorized(message, www_authenticate=WWWAuthenticate("bearer"))


def read_json_body():
    """Parse the request body as JSON: 415 if it is not labelled JSON, 400 if it is broken."""
    if not request.is_json:
        raise UnsupportedMediaType("send a JSON body with the header 'Content-Type: application/json'")
    try:
        # Python's json module accepts NaN and Infinity, which are not JSON; refuse them.
        return json.loads(request.get_data(as_text=True), parse_constant=_refuse_constant)
    except ValueError as error:
        raise BadRequest(f"the body is not valid JSON: {error}") from None


def _refuse_constant(name):
    raise ValueError(f"{name} is not allowed in JSON")


def get_store():
    """The rating store of the app handling the current request."""
    return current_app.extensions["ratings_store"]


def json_error(error):
    """Turn any HTTP error into ``{"error": {"code": ..., "message": ...}}``."""
    body = {"error": {"code": error.code, "message": error.description}}
    # Keep werkzeug's extra headers ("Allow" on 405, "WWW-Authenticate" on 401), not its HTML type.
    headers = [(key, value) for key, value in error.get_headers() if key != "Content-Type"]
    return body, error.code, headers


# --- The REST front door: resources are nouns in the URL, the HTTP method is the verb. ---
rest = Blueprint("rest", __name__)


@rest.get("/ratings")
def list_ratings():
    # GET is safe (changes nothing) and idempotent (asking twice gives the same answer).
    return get_store().listing()


@rest.get("/ratings/<int:rating_id>")
def get_rating(rating_id):
    return get_store().get(rating_id)


@rest.post("/ratings")
def create_rating():
    # POST is neither safe nor idempotent: each successful call creates another resource.
    require_token()
    rating = get_store().create(validate_rating(read_json_body()))
    # 201 Created, and the Location header says where the new resource lives.
    return rating, 201, {"Location": url_for(".get_rating", rating_id=rating["id"])}


@rest.put("/ratings/<int:rating_id>")
def replace_rating(rating_id):
    # PUT is idempotent: sending the same full representation twice leaves the same state.
    # Ids are chosen by the server, so PUT replaces an existing rating and never creates one.
    require_token()
    return get_store().replace(rating_id, validate_rating(read_json_body(), replace=True))


@rest.delete("/ratings/<int:rating_id>")
def delete_rating(rating_id):
    # DELETE is idempotent too: a second DELETE answers 404 instead of 204, but the state of
    # the server is the same after one call or two. Idempotency is about state, not status.
    require_token()
    get_store().delete(rating_id)
    return "", 204


if __name__ == "__main__":
    # Flask's built-in server is for development only: it is single-process and not hardened.
    # Production runs the app under a real WSGI server such as gunicorn (chapter 04).
    create_app().run(port=8002)  # not 5000: macOS uses that port for AirPlay
