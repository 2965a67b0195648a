"""Checks for the exercises of chapter 01. The notebook calls ``exercises.check_1(answer)`` and so on.

Each check prints whether the answer is right and, if not, a hint about this particular answer.
``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import json

import course
import course.build
import course.exercises

STATUS_FAMILIES = {200: "success", 201: "success", 204: "success", 301: "other", 100: "other",
                   400: "client error", 404: "client error", 415: "client error",
                   500: "server error", 503: "server error"}  # fmt: skip


def check_1(status):
    def hint(answer):
        if type(answer) is not int:
            return f"answer with an int, such as 404, not {type(answer).__name__} {answer!r}"
        return "the client forgot a parameter: the family is 4xx, and the code is 'Bad Request'"

    course.check("Exercise 1", status, lambda a: type(a) is int and a == 400, hint)


def _family(code):
    return {2: "success", 4: "client error", 5: "server error"}.get(code // 100, "other")


#: Every code a server may send (100-599), and a few that are not codes: the check tries them all, so a
#: function that only knows the codes shown in the chapter is not enough.
CODES_TO_TRY = [*range(100, 600), 0, 99, 600, 999]


def check_2(family):
    def hint(f):
        for code in CODES_TO_TRY:
            try:
                got = f(code)
            except Exception as error:  # noqa: BLE001 - the learner's function failed: say for which code
                return (f"family({code}) failed ({type(error).__name__}: {error}); every code needs an answer, "
                        f"and codes outside 2xx, 4xx and 5xx are 'other'")
            if got != _family(code):
                return (f"family({code}) returned {got!r}, but should return {_family(code)!r}; "
                        f"404 // 100 == 4 gives the family")
        return "compare your function with the exercise's wording once more"

    course.check("Exercise 2", family, lambda f: all(f(c) == _family(c) for c in CODES_TO_TRY), hint)


def hello_api_running():
    return any(server.name == "hello_api" for server in course.running_servers())


def check_3(greeting):
    def hint(answer):
        if hello_api_running():
            return "the server is still running: stop it (or use a `with` block); course.stop_all() stops them all"
        if isinstance(answer, dict):
            return "store the greeting text, not the whole JSON body: .json()['greeting']"
        return "call /greet with params={'name': 'Grace'} and take .json()['greeting']"

    course.check("Exercise 3", greeting, lambda a: a == "Hello, Grace!" and not hello_api_running(), hint)


# --- Exercise 4: build an endpoint of your own. The check serves it and calls it over HTTP. ---

SKELETON_4 = '''\
from flask import Flask, request


def create_app():
    app = Flask(__name__)

    @app.get("/fahrenheit")
    def fahrenheit():
        ...  # read the query parameter celsius, convert it, return a dict

    return app
'''


def _converts(text, celsius, fahrenheit):
    def test(app):
        response = app.get("/fahrenheit", params={"celsius": text})
        course.build.expect_status(response, 200, app=app)
        body = course.build.json_body(response)
        if not isinstance(body, dict):
            raise course.build.Unmet(f"the body is {course.exercises.describe(body)}, not a JSON object")
        for key, value in (("celsius", celsius), ("fahrenheit", fahrenheit)):
            if key not in body:
                raise course.build.Unmet(f"the JSON has no key {key!r} (it has: {', '.join(map(str, body)) or 'none'})")
            if not course.build.same_number(body[key], value):
                raise course.build.Unmet(f"{key} is {body[key]!r}, expected the number {value}")
    return test


def _refuses(params, name):
    def test(app):
        response = app.get("/fahrenheit", params=params)
        course.build.expect_status(response, 400, app=app)
        body = course.build.json_body(response)
        if name not in json.dumps(body):
            raise course.build.Unmet(f"the error does not name the parameter {name!r}, so the client cannot fix it")
    return test


EXPECTATIONS_4 = [
    ("GET /fahrenheit?celsius=100 answers 200 with {'celsius': 100, 'fahrenheit': 212}", _converts("100", 100, 212)),
    ("GET /fahrenheit?celsius=-40 answers -40 (computed, not written in)", _converts("-40", -40, -40)),
    ("GET /fahrenheit?celsius=36.6 accepts decimals: 97.88", _converts("36.6", 36.6, 97.88)),
    ("GET /fahrenheit without celsius answers 400, naming 'celsius'", _refuses({}, "celsius")),
    ("GET /fahrenheit?celsius=warm answers 400, naming 'celsius'", _refuses({"celsius": "warm"}, "celsius")),
]


def check_4(create_app):
    course.build.check_app("Exercise 4", create_app, EXPECTATIONS_4, skeleton=SKELETON_4)


RIGHT_4 = '''\
from flask import Flask, request


def create_app():
    app = Flask(__name__)

    @app.get("/fahrenheit")
    def fahrenheit():
        try:
            celsius = float(request.args["celsius"])
        except (KeyError, ValueError):
            return {"error": "query parameter 'celsius' must be a number"}, 400
        return {"celsius": celsius, "fahrenheit": celsius * 9 / 5 + 32}

    return app
'''

# The same endpoint in other words: errors as JSON by hand, jsonify, and the check called in the cell.
RIGHT_4_JSON_ERRORS = '''\
import flask


def create_app():
    app = flask.Flask("converter")

    @app.route("/fahrenheit", methods=["GET"])
    def to_fahrenheit():
        raw = flask.request.args.get("celsius")
        if raw is None:
            return {"error": "the query parameter celsius is required"}, 400
        try:
            value = float(raw)
        except ValueError:
            return flask.jsonify(error=f"celsius must be a number, got {raw!r}"), 400
        return flask.jsonify(celsius=value, fahrenheit=round(value * 1.8 + 32, 2))

    return app


exercises.check_4(create_app)
'''

WRONG_4_NO_IMPORT = RIGHT_4.replace("from flask import Flask, request\n", "")
WRONG_4_HARD_CODED = RIGHT_4.replace('celsius * 9 / 5 + 32}', '212}')
WRONG_4_NO_VALIDATION = RIGHT_4.replace('''        try:
            celsius = float(request.args["celsius"])
        except (KeyError, ValueError):
            return {"error": "query parameter 'celsius' must be a number"}, 400
''', '''        celsius = float(request.args["celsius"])
''')
WRONG_4_STRING_NUMBERS = RIGHT_4.replace('return {"celsius": celsius, "fahrenheit": celsius * 9 / 5 + 32}',
                                         'return {"celsius": str(celsius), "fahrenheit": str(celsius * 9 / 5 + 32)}')
WRONG_4_HTML_ERRORS = RIGHT_4.replace('return {"error": "query parameter \'celsius\' must be a number"}, 400',
                                      'return "celsius must be a number", 400')
WRONG_4_FORMULA = RIGHT_4.replace("celsius * 9 / 5 + 32", "(celsius + 32) * 9 / 5")


def _family_by_ranges(code):
    if 200 <= code < 300:
        return "success"
    if 400 <= code <= 499:
        return "client error"
    if 500 <= code <= 599:
        return "server error"
    return "other"


def _family_by_first_digit(code):
    families = {"2": "success", "4": "client error", "5": "server error"}
    return families.get(str(code)[0], "other") if 100 <= code <= 599 else "other"


def _family_off_by_one(code):  # a real slip: 500 itself falls outside "server error"
    return _family_by_ranges(code) if code != 500 else "other"


SAMPLES = {
    check_1: {"right": [400], "wrong": [404, 400.0, "400", 200]},
    check_2: {"right": [_family, _family_by_ranges, _family_by_first_digit],
              "wrong": [lambda code: "success", lambda code: "Success", str, STATUS_FAMILIES.get, _family_off_by_one]},
    check_3: {"right": ["Hello, Grace!"], "wrong": ["Hello, world!", {"greeting": "Hello, Grace!"}, None]},
    check_4: {"right": [RIGHT_4, RIGHT_4_JSON_ERRORS],
              "wrong": [WRONG_4_NO_IMPORT, WRONG_4_HARD_CODED, WRONG_4_NO_VALIDATION, WRONG_4_STRING_NUMBERS,
                        WRONG_4_HTML_ERRORS, WRONG_4_FORMULA, SKELETON_4.replace("...  #", "return {}  #")]},
}
