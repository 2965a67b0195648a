"""Checks for the exercises of chapter 02. The notebook calls ``exercises.check_1(answer)`` and so on.

Each check prints whether the answer is right and, if not, a hint about this particular answer.
``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import copy
import re
from urllib.parse import urlsplit

import course
import course.build

RIGHT_PATH = "/repos/tensorflow/tensorflow/issues"
RIGHT_RATING = {"movie": "Ratatouille", "stars": 4, "review": "Anyone can cook."}


def check_1(path):
    def hint(answer):
        if isinstance(answer, str) and "?" in answer:
            return "the query (after '?') is not part of the path"
        if isinstance(answer, str) and answer.startswith("http"):
            return "the scheme and host are not part of the path: urlsplit(url).path"
        return "urlsplit(url).path: the part after the host and before the '?'"

    course.check("Exercise 1", path, lambda a: a == RIGHT_PATH, hint)


def check_2(idempotent):
    def hint(answer):
        methods = set(answer)
        if {m.upper() for m in methods} == {"GET", "PUT", "DELETE"}:
            return "right methods; write them in capitals: HTTP method names are case-sensitive, 'get' is not GET"
        if "POST" in methods:
            return "POST is not idempotent: two identical POSTs may create two resources"
        return ("make each call twice in your head: a method is idempotent when the second identical call "
                "leaves the server as the first one did")

    course.check("Exercise 2", idempotent, lambda a: set(a) == {"GET", "PUT", "DELETE"}, hint)


def _exchange(answer):
    """(method, path, status, JSON body) of a response from the Flask test client or from requests."""
    request = answer.request
    method = request.method
    path = getattr(request, "path", None) or urlsplit(request.url).path
    body = answer.get_json() if hasattr(answer, "get_json") else answer.json()
    return method, path, answer.status_code, body


def check_3(replaced):
    def right(answer):
        method, path, status, body = _exchange(answer)
        return (method == "PUT" and re.fullmatch(r"/ratings/\d+", path) and status == 200
                and type(body["id"]) is int and path == f"/ratings/{body['id']}"
                and {k: body.get(k) for k in RIGHT_RATING} == RIGHT_RATING)

    def hint(answer):
        if isinstance(answer, dict):
            return "store the response itself (what client.put(...) returns), not its JSON: the check reads both"
        method, path, status, body = _exchange(answer)
        if method != "PUT":
            return f"that is the response to a {method}; the replacement is a PUT to the rating's Location"
        if status != 200:
            message = body.get("error", {}).get("message", "") if isinstance(body, dict) else ""
            return f"the server refused the PUT with {status}: {message}".rstrip(": ")
        return "PUT all three fields (movie, stars, review) to the Location of the rating you created"

    course.check("Exercise 3", replaced, right, hint)


# --- Exercise 4: build PUT and DELETE on a resource; the check calls each twice. ---

SKELETON_4 = '''\
from flask import Flask, request


def create_app():
    app = Flask(__name__)
    watchlist = {}  # movie id -> {"title": ..., "seen": ...}

    @app.get("/watchlist/<movie_id>")
    def read(movie_id):
        if movie_id not in watchlist:
            return {"error": f"{movie_id} is not on the watchlist"}, 404
        return watchlist[movie_id]

    @app.put("/watchlist/<movie_id>")
    def put(movie_id):
        ...  # validate request.get_json(silent=True), store it; 201 if it is new, else 200

    @app.delete("/watchlist/<movie_id>")
    def delete(movie_id):
        ...  # remove it: 204, or 404 if it was not there

    return app
'''

ITEM = {"title": "Arrival", "seen": False}
SEEN = {"title": "Arrival", "seen": True}
PATH = "/watchlist/arrival"


def _item(app):
    """What GET says about the movie now: its JSON, or None when it answers 404."""
    response = app.get(PATH)
    if response.status_code == 404:
        return None
    course.build.expect_status(response, 200, app=app)
    return course.build.json_body(response)


def _shows(app, wanted):
    got = _item(app)
    if got is None:
        raise course.build.Unmet(f"GET {PATH} answers 404 afterwards, so nothing was stored")
    if not isinstance(got, dict) or any(got.get(key) != value for key, value in wanted.items()):
        raise course.build.Unmet(f"GET {PATH} shows {got!r} afterwards, not {wanted!r}")


def _put_creates(app):
    if _item(app) is not None:
        raise course.build.Unmet(f"GET {PATH} should answer 404 before anything was put there")
    course.build.expect_status(app.put(PATH, json=ITEM), 201, app=app)
    _shows(app, ITEM)


def _put_twice(app):
    response = app.put(PATH, json=ITEM)
    if response.status_code == 201:
        raise course.build.Unmet("the second PUT answered 201 Created again; it replaced an existing item: 200 or 204")
    course.build.expect_status(response, 200, 204, app=app)
    _shows(app, ITEM)


def _put_replaces(app):
    course.build.expect_status(app.put(PATH, json=SEEN), 200, 204, app=app)
    _shows(app, SEEN)


def _put_refuses(body, **kwargs):
    def test(app):
        app.put(PATH, json=SEEN)  # start from a known state, whatever the expectations before left
        response = app.put(PATH, **({"json": body} if body is not None else kwargs))
        course.build.expect_status(response, 400, 415, app=app)
        _shows(app, SEEN)
    return test


def _delete_twice(app):
    course.build.expect_status(app.delete(PATH), 204, 200, app=app)
    if _item(app) is not None:
        raise course.build.Unmet(f"GET {PATH} still finds it after DELETE")
    course.build.expect_status(app.delete(PATH), 404, 204, app=app)
    if _item(app) is not None:
        raise course.build.Unmet(f"GET {PATH} finds it again after the second DELETE")


EXPECTATIONS_4 = [
    ("PUT /watchlist/arrival on a new id creates it: 201, then GET shows it", _put_creates),
    ("the same PUT again answers 200 or 204, and the state is the same (idempotent)", _put_twice),
    ("a PUT with other fields replaces the item", _put_replaces),
    ("a PUT without 'title' is refused (400) and changes nothing", _put_refuses({"seen": True})),
    ("a PUT whose 'seen' is not true or false is refused (400) and changes nothing",
     _put_refuses({"title": "Arrival", "seen": "yes"})),
    ("a PUT whose body is not JSON is refused (400 or 415) and changes nothing",
     _put_refuses(None, data="title=Arrival")),
    ("DELETE answers 204 and GET then answers 404; DELETE again leaves the same state (404 or 204)",
     _delete_twice),
]


def check_4(create_app):
    course.build.check_app("Exercise 4", create_app, EXPECTATIONS_4, skeleton=SKELETON_4)


_PUT_DONE = '''\
        item = request.get_json(silent=True)
        if not (isinstance(item, dict) and type(item.get("title")) is str and type(item.get("seen")) is bool):
            return {"error": "send a JSON object with 'title' (a string) and 'seen' (true or false)"}, 400
        created = movie_id not in watchlist
        watchlist[movie_id] = {"title": item["title"], "seen": item["seen"]}
        return watchlist[movie_id], 201 if created else 200'''
_DELETE_DONE = '''\
        if watchlist.pop(movie_id, None) is None:
            return {"error": f"{movie_id} is not on the watchlist"}, 404
        return "", 204'''
_TODO_PUT, _TODO_DELETE = (line for line in SKELETON_4.splitlines() if line.strip().startswith("..."))
RIGHT_4 = SKELETON_4.replace(_TODO_PUT, _PUT_DONE).replace(_TODO_DELETE, _DELETE_DONE)

# Another right answer: its own validation helper, 204 for a replacement, and a DELETE that answers 204 every time.
RIGHT_4_OTHER = '''\
import flask

FIELDS = {"title": str, "seen": bool}


def valid(body):
    return isinstance(body, dict) and set(body) >= set(FIELDS) and all(type(body[k]) is t for k, t in FIELDS.items())


def create_app():
    app = flask.Flask("watchlist")
    store = {}

    @app.route("/watchlist/<name>", methods=["GET", "PUT", "DELETE"])
    def movie(name):
        if flask.request.method == "PUT":
            body = flask.request.get_json(silent=True)
            if not valid(body):
                return flask.jsonify(error="title (string) and seen (boolean) are required"), 400
            status = 204 if name in store else 201
            store[name] = {k: body[k] for k in FIELDS}
            return ("", 204) if status == 204 else (store[name], 201)
        if flask.request.method == "DELETE":
            store.pop(name, None)
            return "", 204
        if name not in store:
            return {"error": "not found"}, 404
        return store[name]

    return app
'''

WRONG_4_ALWAYS_201 = RIGHT_4.replace("201 if created else 200", "201")
WRONG_4_POST_LIKE = RIGHT_4.replace('''        created = movie_id not in watchlist
''', '''        if movie_id in watchlist:
            return {"error": "already on the watchlist"}, 409
        created = True
''')
WRONG_4_NO_VALIDATION = (RIGHT_4.replace('"title")) is str and', '"title")) is str or True or')
                         .replace('watchlist[movie_id] = {"title": item["title"], "seen": item["seen"]}',
                                  'watchlist[movie_id] = item'))
WRONG_4_DELETE_CRASHES = RIGHT_4.replace('''        if watchlist.pop(movie_id, None) is None:
            return {"error": f"{movie_id} is not on the watchlist"}, 404
''', '''        del watchlist[movie_id]
''')
WRONG_4_TRUTHY_SEEN = RIGHT_4.replace('type(item.get("seen")) is bool', '"seen" in item')


def _sample_responses_3():
    """Real responses, from the chapter's own app through Flask's test client: the check reads responses."""
    import ratings_api

    auth = {"Authorization": f"Bearer {ratings_api.TEACHING_TOKEN}"}
    client = ratings_api.create_app({"API_TOKEN": ratings_api.TEACHING_TOKEN}).test_client()
    created = client.post("/ratings", json={"movie": "Ratatouille", "stars": 5}, headers=auth)
    where = created.headers["Location"]
    replaced = client.put(where, json=RIGHT_RATING, headers=auth)
    again = client.put(where, json=RIGHT_RATING, headers=auth)  # PUT twice: the same answer
    other = client.post("/ratings", json={"movie": "Up", "stars": 4}, headers=auth)
    return {
        "right": [replaced, again],
        "wrong": [
            created,                                                        # the POST's response, not the PUT's
            client.put(where, json={"stars": 4}, headers=auth),            # PUT with one field: 400
            client.put(where, json=RIGHT_RATING),                           # no token: 401
            client.put(other.headers["Location"], json={**RIGHT_RATING, "movie": "Up"}, headers=auth),  # wrong movie
            {"id": 5, **RIGHT_RATING},                                      # a dict typed by hand
        ],
    }


_responses_3 = _sample_responses_3()

SAMPLES = {
    check_1: {"right": [RIGHT_PATH], "wrong": ["/repos/tensorflow/tensorflow/issues?state=open",
                                               "https://api.github.com/repos/tensorflow/tensorflow/issues", None]},
    check_2: {"right": [{"GET", "PUT", "DELETE"}, ["DELETE", "GET", "PUT"]],
              "wrong": [{"get", "put", "delete"}, {"GET", "POST", "PUT", "DELETE"}, {"GET"}]},
    check_3: {"right": _responses_3["right"], "wrong": _responses_3["wrong"]},
    check_4: {"right": [RIGHT_4, RIGHT_4_OTHER],
              "wrong": [WRONG_4_ALWAYS_201, WRONG_4_POST_LIKE, WRONG_4_NO_VALIDATION, WRONG_4_DELETE_CRASHES,
                        WRONG_4_TRUTHY_SEEN, SKELETON_4.replace("...  # remove", "return '', 204  # remove")]},
}


# --- Exercise 5: describe DELETE /ratings/{rating_id} in OpenAPI, checked against the spec and the app ----------

def _delete_problem(operation):
    """What is wrong with a described DELETE, or None: checked by openapi-spec-validator, then by the app."""
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    import ratings_api

    if not isinstance(operation, dict):
        return "an operation is a dict, such as {'summary': ..., 'responses': {...}}"
    if not isinstance(operation.get("summary"), str) or not operation["summary"].strip():
        return "give the operation a 'summary': a short sentence saying what it does"
    if "parameters" not in operation:
        return "declare the path parameter in the operation, 'parameters': [rating_id], as GET and PUT do"
    responses = operation.get("responses", {})
    if not all(isinstance(status, str) for status in responses):
        return "write each status code as a string key, \"204\": JSON object keys are always strings"
    # The description of section "How an API describes itself", with no path-level parameters: each
    # operation declares rating_id itself, so a DELETE without "parameters" is refused here as in the notebook.
    document = copy.deepcopy(DESCRIPTION_5)
    document["paths"]["/ratings/{rating_id}"]["delete"] = operation
    try:
        validate(document)
    except OpenAPIValidationError as error:
        return f"openapi-spec-validator refuses the description: {error.message.splitlines()[0]}"
    client = ratings_api.create_app({"API_TOKEN": ratings_api.TEACHING_TOKEN}).test_client()
    auth = {"Authorization": f"Bearer {ratings_api.TEACHING_TOKEN}"}
    answered = set()
    for what, answer in (("deleting rating 1", client.delete("/ratings/1", headers=auth)),
                         ("deleting it again", client.delete("/ratings/1", headers=auth)),
                         ("deleting without the token", client.delete("/ratings/2"))):
        answered.add(str(answer.status_code))
        if str(answer.status_code) not in responses:
            return f"{what}, the app answers {answer.status_code}: the description must list that status"
    never = sorted(set(responses) - answered)
    if never:
        return (f"the app never answers {', '.join(never)} to a DELETE: list exactly the statuses it answers "
                f"({', '.join(sorted(answered))})")
    if operation.get("security") != [{"token": []}]:
        return "DELETE needs the token: say so with 'security': [{'token': []}] (the scheme named in components)"
    if "requestBody" in operation:
        return "a DELETE sends no body: leave requestBody out"
    return None


def check_5(delete_operation):
    course.check("Exercise 5", delete_operation, lambda a: _delete_problem(a) is None, _delete_problem)


#: The chapter's description (section "How an API describes itself", cell `description = {...}`), which
#: exercise 5 completes: the same document, so what a learner validates in the notebook is what the check
#: validates. Each operation declares ``rating_id`` in its own "parameters".
RATING_ID_5 = {"name": "rating_id", "in": "path", "required": True, "schema": {"type": "integer"}}
DESCRIPTION_5 = {
    "openapi": "3.1.0",
    "info": {"title": "Movie ratings", "version": "1.0.0"},
    "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
    "paths": {"/ratings/{rating_id}": {
        "get": {"summary": "read one rating", "parameters": [RATING_ID_5],
                "responses": {"200": {"description": "the rating"}, "404": {"description": "no such rating"}}},
        "put": {"summary": "replace one rating", "parameters": [RATING_ID_5], "security": [{"token": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"200": {"description": "replaced"}, "400": {"description": "invalid rating"},
                              "401": {"description": "no valid token"}, "404": {"description": "no such rating"}}},
    }},
}

RIGHT_5 = {
    "summary": "delete one rating",
    "parameters": [RATING_ID_5],
    "security": [{"token": []}],
    "responses": {"204": {"description": "deleted"}, "404": {"description": "no such rating"},
                  "401": {"description": "no valid token"}},
}
_RESPONSES_5 = RIGHT_5["responses"]
SAMPLES[check_5] = {
    "right": [RIGHT_5, {**RIGHT_5, "summary": "remove it",
                        "parameters": [{**RATING_ID_5, "description": "the id that POST gave"}]}],
    "wrong": [
        {**RIGHT_5, "responses": {"200": {"description": "deleted"}, "404": {"description": "no such rating"},
                                  "401": {"description": "no valid token"}}},   # 200: the app answers 204
        {**RIGHT_5, "responses": {"204": {"description": "deleted"}, "401": {"description": "no token"}}},  # no 404
        {**RIGHT_5, "responses": {**_RESPONSES_5, "200": {"description": "deleted"}}},  # a status never answered
        {**RIGHT_5, "responses": {**_RESPONSES_5, "500": {"description": "server error"}}},  # never answered
        {key: value for key, value in RIGHT_5.items() if key != "security"},      # the token left out
        {key: value for key, value in RIGHT_5.items() if key != "summary"},       # the summary left out
        {key: value for key, value in RIGHT_5.items() if key != "parameters"},    # rating_id not declared
        {**RIGHT_5, "responses": {204: {"description": "deleted"}}},               # an int key: not JSON
        {**RIGHT_5, "responses": {"204": "deleted"}},                               # not OpenAPI: refused
        {"summary": "delete one rating"},                                            # no responses at all
    ],
}
