"""Checks for the exercises of chapter 05. The notebook calls ``exercises.check_1(answer)`` and so on.

Each check prints whether the answer is right and, if not, a hint about this particular answer.
``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import dis
import functools
import inspect
import linecache
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import course
import course.build
import loadtest
import planted


def check_1(family):
    def hint(answer):
        if answer in ("5", "5xx", 500) and type(answer) is not bool:
            return f"right family; answer with the int 5 (not {answer!r}): 4 for 4xx, 5 for 5xx"
        return "a bad request is the client's fault (4xx); which family would blame the server?"

    course.check("Exercise 1", family, lambda a: type(a) is int and a == 5, hint)


def check_2(status):
    def hint(answer):
        if hasattr(answer, "status_code"):
            return f"that is the whole response; store its .status_code (here {answer.status_code}), a number"
        if answer == 400:
            return "400 means the JSON was read and found wrong; 415 is about the Content-Type header"
        return "send a body that is not labelled as JSON: data='...' with no json= and no JSON Content-Type"

    course.check("Exercise 2", status, lambda a: a == 415, hint)


# --- Exercise 3: the error rate of any load test, as loadtest.py counts errors. --------------------------

def _load_result(statuses: dict[int, int], failures: int = 0) -> loadtest.LoadResult:
    answered = sum(statuses.values())
    return loadtest.LoadResult(latencies_ms=[5.0] * answered, statuses=Counter(statuses), failures=failures)


#: Load tests the check gives the learner's function, with the rate each must get, and the run in words.
RESULTS_3 = [
    ({200: 100}, 0, 0.0, "100 requests, every one answered 200"),
    ({200: 90, 503: 10}, 0, 0.1, "100 requests: 90 answered 200, 10 answered 503"),
    ({200: 45, 429: 5}, 0, 0.1, "50 requests: 45 answered 200, 5 answered 429 Too Many Requests"),
    ({200: 16}, 4, 0.2, "20 requests: 16 answered 200, 4 got no answer (refused or timed out)"),
    ({200: 6, 500: 1, 404: 1}, 2, 0.4, "10 requests: 6 answered 200, one 500, one 404, and 2 got no answer"),
]


def _rate_is_right(error_rate) -> bool:
    for statuses, failures, expected, _ in RESULTS_3:
        got = error_rate(_load_result(statuses, failures))
        if not course.build.same_number(got, expected):
            return False
    return True


def _is_skeleton(function) -> bool:
    """The exercise's own cell, unanswered: a function whose body is only ``...`` (and perhaps a docstring)."""
    try:
        tree = ast.parse(inspect.getsource(function).strip())
    except (OSError, TypeError, SyntaxError):
        return False
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.FunctionDef) else None
    return bool(body) and all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def check_3(error_rate):
    if callable(error_rate) and _is_skeleton(error_rate):
        print("Exercise 3: not answered yet. Fill in the ... in the cell above, run it, then run this check.")
        return
    def hint(function):
        if not callable(function):
            return (f"write a function, def error_rate(result): ..., and pass it (without ()); "
                    f"not {course.exercises.describe(function)}")
        for statuses, failures, expected, said in RESULTS_3:
            try:
                got = function(_load_result(statuses, failures))
            except ZeroDivisionError:
                return f"for a run of {said}, your function divided by zero: divide by result.requests"
            except Exception as error:  # noqa: BLE001 - the learner's function failed: say on which run
                return (f"for a run of {said}, your function failed ({type(error).__name__}: {error}); "
                        f"read result.statuses (a Counter of status: count) and result.failures")
            if got is None:
                return "your function returned None: it needs a return statement, such as return errors / requests"
            if not course.build.same_number(got, expected):
                if type(got) in (int, float) and got > 1:
                    return (f"for a run of {said}, your function returned {got!r}: a count, where a rate is "
                            f"a fraction between 0 and 1 (errors / requests)")
                return (f"for a run of {said}, your function returned {got!r}, but the error rate is {expected}: "
                        f"an error is a request with no answer or with a status of 400 or more")
        return "compare your function with the exercise's wording once more"

    course.check("Exercise 3", error_rate, _rate_is_right, hint)


# --- Exercise 4: build a test of your own. The check runs it with pytest against two apps. -------------

SKELETON_4 = '''\
import pytest

from fraud_app import create_app


@pytest.fixture
def client(model_path, tmp_path):
    """A test client of the app, with its own empty database in tmp_path."""
    ...  # create the app with create_app({...}), as the suite's `app` fixture does, and return its test client


@pytest.mark.parametrize(("hour", "status"), [
    (14, 200),
    ...  # more rows: which hours must the app accept, and which must it refuse?
])
def test_the_hour_is_checked(client, transaction, hour, status):
    response = client.post("/api/v1/predict", json={**transaction, "hour": hour})
    assert response.status_code == ...  # and for a 400, does the message name the field?
'''

#: The bug the check plants in a copy of the app; the learner's test must fail on that copy.
BUG_4 = "lower edge"
#: Where the check writes the learner's cell, as a file of its own, for pytest.
FILE_4 = "test_exercise_4.py"
#: The folder of the bugged copy, as the printed command shows it: a name that does not tell the bug.
FOLDER_4 = "planted-bug-copy"


@functools.cache
def _model_path() -> str:
    """The model for the learner's test: the notebook's ($FRAUD_TEST_MODEL), else one trained once, here."""
    if os.environ.get("FRAUD_TEST_MODEL"):
        return os.environ["FRAUD_TEST_MODEL"]
    return _trained_here()


@functools.cache  # once per Python: every later check runs against the same model, as the docstring says
def _trained_here() -> str:
    import train

    folder = tempfile.mkdtemp(prefix="exercise-05-model-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "fraud_model.pkl"
    train.train(train.DATA, path, seed=42)
    return str(path)


def _as_a_file(source: str) -> str:
    """The cell's imports, fixtures, tests and constants; its bare calls (a check, a print) are left out."""
    lines = source.splitlines()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant):
            for number in range(node.lineno - 1, node.end_lineno):
                lines[number] = ""
    return "\n".join(lines) + "\n"


def _problem(run: planted.Run) -> str:
    """What went wrong in the run on the app as it is, in plain words (pytest's own, where they are plain)."""
    if run.status == 5:
        return "pytest found no test in your cell: a test is a function whose name starts with test_"
    if run.status not in (0, 1):
        said = run.problems.get(Path(FILE_4).stem) or next(iter(run.problems.values()), "")
        return f"pytest could not import your cell ({said}); run the cell to see why" if said else (
            "pytest could not run your cell; run the cell to see why")
    test, said = next(iter(run.problems.items()))
    if "'NoneType' object has no attribute" in said:
        return (f"{test}: the client it got was None, because your fixture returns nothing; "
                f"end the fixture with return app.test_client()")
    if "fixture" in said and "not found" in said:
        return (f"{test}: {said}; the fixtures here are model_path, transaction, tmp_path and the ones your "
                f"cell defines")
    return (f"on the app as it is, {test} did not pass ({said}); a test must pass on correct code: the app "
            f"accepts every hour from 0 to 23 and answers 400 to any other")


def _source_of(answer) -> tuple[str | None, str | None]:
    """The text of the cell that defined ``answer`` (a test function), or why there is none to run."""
    if answer is course.NOT_ANSWERED:
        return None, None
    if isinstance(answer, str):
        return answer, None
    lines = linecache.getlines(answer.__code__.co_filename) if hasattr(answer, "__code__") else []
    if not lines:
        return None, ("pass your test function itself, without (): exercises.check_4(test_the_hour_is_checked); "
                      f"not {course.exercises.describe(answer)}")
    return "".join(lines), None


def check_4(test):
    """Run the learner's test file with pytest against the app as it is and against a copy with a planted bug."""
    exercise = "Exercise 4"
    source, problem = _source_of(test)
    if source is None and problem is None or (source is not None and course.build._same_text(source, SKELETON_4)):
        print(f"{exercise}: not answered yet. Fill in the ... in the cell above, run it, then run this check.")
        return
    if problem is None:
        problem = course.build._syntax_problem(source)
    if problem is not None:
        print(f"{exercise}: not quite. Hint: {problem}")
        return
    with tempfile.TemporaryDirectory(prefix="exercise-05-") as folder:
        path = Path(folder) / FILE_4
        path.write_text(_as_a_file(source), encoding="utf-8")
        correct, bugged = planted.run(path, (BUG_4,), model_path=_model_path(), folders=(FOLDER_4,))
    print(f"{exercise}: your cell, as a test file run by pytest in a fresh Python, against two apps at once:")
    print(f"  $ {correct.command}")
    print(f"  {'✓' if correct.passed else '✗'} the app as it is: {correct.counts()}; a test must pass on correct code")
    print(f"  $ {bugged.command}")
    caught = correct.passed and bugged.status == 1 and "failed" in bugged.outcomes.values()
    if not correct.passed:
        print(f"  - a copy with a planted bug: {bugged.counts()}; this counts once your test passes on correct code")
    else:
        print(f"  {'✓' if caught else '✗'} a copy with a planted bug: {bugged.counts()}; "
              f"{'it must fail there, and it did' if caught else 'your test must fail there'}")
    if not correct.passed:
        print(f"{exercise}: not quite. Hint: {_problem(correct)}")
        return
    if not caught:
        print(f"{exercise}: not quite. Hint: your test passed on the copy with a planted bug too, so it would not "
              f"have caught that bug. A slip in a range check hides at an edge: which hours sit right on the "
              f"edges of 0 to 23, and which are one step outside them? Assert the exact status, not just 'not 5xx'.")
        return
    print("  The bug your test caught, in " + planted.diff(BUG_4).replace("\n", "\n  "))
    print(f"{exercise}: correct. Well done!")


RIGHT_4 = '''\
import pytest

from fraud_app import create_app


@pytest.fixture
def client(model_path, tmp_path):
    """A test client of the app, with its own empty database in tmp_path."""
    app = create_app({"TESTING": True, "MODEL_PATH": str(model_path),
                      "DATABASE": str(tmp_path / "predictions.sqlite3")})
    return app.test_client()


@pytest.mark.parametrize(("hour", "status"), [
    (14, 200),
    (0, 200),    # the first hour allowed
    (23, 200),   # the last one
    (-1, 400),   # one step below the range
    (24, 400),   # one step above it
])
def test_the_hour_is_checked(client, transaction, hour, status):
    response = client.post("/api/v1/predict", json={**transaction, "hour": hour})
    assert response.status_code == status
    if status == 400:
        assert "hour" in response.get_json()["error"]["message"]
'''

# The same idea in other words: a fixture chain (app, then client), two tests, ids, and the check in the cell.
RIGHT_4_TWO_TESTS = '''\
import pytest
from fraud_app import create_app


@pytest.fixture
def app(model_path, tmp_path):
    return create_app({"MODEL_PATH": str(model_path), "DATABASE": str(tmp_path / "db.sqlite3")})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.mark.parametrize("hour", [0, 1, 22, 23], ids=lambda h: f"hour {h}")
def test_hours_in_the_range_are_scored(client, transaction, hour):
    assert client.post("/api/v1/predict", json={**transaction, "hour": hour}).status_code == 200


@pytest.mark.parametrize("hour", [-1, 24, 100])
def test_hours_outside_are_refused(client, transaction, hour):
    response = client.post("/api/v1/predict", json={**transaction, "hour": hour})
    assert response.status_code == 400
    assert response.get_json()["error"]["details"][0]["field"] == "hour"


exercises.check_4(test_hours_outside_are_refused)
'''

# Slips: only hours far from the edges (passes on the planted bug too) ...
WRONG_4_FAR_FROM_THE_EDGES = RIGHT_4.replace("""    (0, 200),    # the first hour allowed
    (23, 200),   # the last one
    (-1, 400),   # one step below the range
    (24, 400),   # one step above it
""", """    (12, 200),
    (30, 400),
    (-5, 400),
""")
# ... a test that cannot fail: any answer below 500 passes, on both apps ...
WRONG_4_CANNOT_FAIL = RIGHT_4.replace("""    assert response.status_code == status
    if status == 400:
        assert "hour" in response.get_json()["error"]["message"]
""", """    assert response.status_code < 500
""")
# ... a row that is itself wrong (hour 24 is not allowed), so the test fails on the correct app ...
WRONG_4_WRONG_ROW = RIGHT_4.replace("(24, 400),   # one step above it", "(24, 200),   # midnight")
# ... and a fixture that forgets to return its client.
WRONG_4_NO_RETURN = RIGHT_4.replace("    return app.test_client()\n", "    app.test_client()\n")
assert len({RIGHT_4, WRONG_4_FAR_FROM_THE_EDGES, WRONG_4_CANNOT_FAIL, WRONG_4_WRONG_ROW, WRONG_4_NO_RETURN}) == 5


def _response_415():
    """A real response that answered 415: the object itself, where the exercise asks for its status code."""
    import flask

    app = flask.Flask("sample")

    @app.post("/api/v1/predict")
    def predict():
        return {"error": "send JSON"}, 415

    return app.test_client().post("/api/v1/predict", data="amount=42.5", content_type="text/plain")


SAMPLES = {
    check_1: {"right": [5], "wrong": [4, "5", 500]},
    check_2: {"right": [415], "wrong": [400, "415", 200, _response_415()]},
    check_3: {
        "right": [
            lambda result: result.errors / result.requests,
            lambda r: (r.failures + sum(n for s, n in r.statuses.items() if s >= 400)) / r.requests,
            lambda r: 1 - sum(n for s, n in r.statuses.items() if s < 400) / (len(r.latencies_ms) + r.failures),
        ],
        "wrong": [
            lambda result: 0,  # the notebook's own run had no errors; other runs do
            lambda r: sum(n for s, n in r.statuses.items() if s >= 500) / r.requests,  # 4xx forgotten
            lambda r: r.errors,  # a count, not a rate
            lambda r: r.errors / len(r.latencies_ms),  # the requests with no answer left out of the total
            lambda r: r.failures / r.requests,  # statuses forgotten
        ],
    },
    check_4: {
        "right": [RIGHT_4, RIGHT_4_TWO_TESTS],
        "wrong": [WRONG_4_FAR_FROM_THE_EDGES, WRONG_4_CANNOT_FAIL, WRONG_4_WRONG_ROW, WRONG_4_NO_RETURN],
    },
}


# --- Exercise 5: schemathesis's finding as a regression test ---------------------------------------------------

def _answering(status: int):
    """The fixed split API, except that every refusal (its 400) answers ``status``: a test that does not pin
    the 400 passes here too."""
    import split_api

    app = split_api.create_app(fixed=True)

    @app.after_request
    def other_status(response):
        if response.status_code == 400:
            response.status_code = status
        return response

    return app


def _asserts(test) -> bool:
    """Whether the function holds an ``assert`` (one compiled into it, not in a helper it calls)."""
    return any(instruction.opname == "LOAD_ASSERTION_ERROR" for instruction in dis.get_instructions(test))


def _regression_problem(test):
    """None if ``test(client)`` passes on the fixed split API, fails on the planted bug, and fails on apps that
    refuse with another status than the fixed app's 400; else a hint about this test."""
    import logging

    import split_api

    if not callable(test):
        return "write a function that takes the test client: def test_zero_people_is_refused(client): ..."
    logging.getLogger("split_api").disabled = True  # the planted bug's traceback: expected here
    try:
        fixed = _CountingClient(split_api.create_app(fixed=True).test_client())
        try:
            test(fixed)
        except AssertionError as error:
            answered = " and ".join(str(status) for status in dict.fromkeys(fixed.statuses)) or "nothing"
            return (f"your test fails on the fixed app too ({str(error) or 'an assert failed'}); the fixed app "
                    f"answered {answered} to your request: your test must pass there")
        try:
            test(split_api.create_app().test_client())
        except AssertionError:
            pass
        else:
            if not _asserts(test):
                return ("your test asserts nothing, so it passes on any app: end it with "
                        "assert response.status_code == ...")
            return ("your test passes on the planted bug: send the body schemathesis found, and ask for the status "
                    "the fixed app answers (a 500 is not a refusal)")
        for status in (422, 200):
            try:
                test(_answering(status).test_client())
            except AssertionError:
                continue
            return (f"your test also passes on an app that answers {status} where the fixed app answers 400: "
                    f"pin the status, assert response.status_code == 400, not only 'not 500'")
        return None
    finally:
        logging.getLogger("split_api").disabled = False


class _CountingClient:
    """A test client that counts the requests made through it, and keeps the status of each answer."""

    def __init__(self, client):
        self.client, self.requests, self.statuses = client, 0, []

    def __getattr__(self, name):
        found = getattr(self.client, name)
        if name not in ("get", "post", "put", "delete", "patch", "open"):
            return found

        def counted(*args, **kwargs):
            self.requests += 1
            response = found(*args, **kwargs)
            self.statuses.append(response.status_code)
            return response

        return counted


def _sends_nothing(test) -> bool:
    """The skeleton (a body of ``...``) sends no request at all."""
    import split_api

    client = _CountingClient(split_api.create_app(fixed=True).test_client())
    with contextlib.suppress(Exception):  # whatever it raised, the question is only whether it sent anything
        test(client)
    return client.requests == 0


def check_5(test):
    if callable(test) and _sends_nothing(test):
        print("Exercise 5: not answered yet. Fill in the ... in the cell above, run it, then run this check.")
        return None
    return course.check("Exercise 5", test, lambda a: _regression_problem(a) is None, _regression_problem)


def _right_5(client):
    response = client.post("/split", json={"total": 0.0, "people": 0})
    assert response.status_code == 400


def _right_5_other(client):
    for people in (0, 101):  # both edges, one step beyond
        assert client.post("/split", json={"total": 84, "people": people}).status_code == 400


def _wrong_5_any_error(client):
    assert client.post("/split", json={"total": 0.0, "people": 0}).status_code != 200  # a 500 passes too


def _wrong_5_valid_body(client):
    assert client.post("/split", json={"total": 84, "people": 1}).status_code == 400  # 1 is allowed


def _wrong_5_asserts_nothing(client):
    client.post("/split", json={"total": 0.0, "people": 0})


def _wrong_5_not_500(client):
    assert client.post("/split", json={"total": 0.0, "people": 0}).status_code != 500  # 422 or 200 pass too


def _wrong_5_422(client):
    assert client.post("/split", json={"total": 0.0, "people": 0}).status_code == 422  # the fixed app says 400


SAMPLES[check_5] = {"right": [_right_5, _right_5_other],
                    "wrong": [_wrong_5_any_error, _wrong_5_valid_body, _wrong_5_asserts_nothing, _wrong_5_not_500,
                              _wrong_5_422]}
