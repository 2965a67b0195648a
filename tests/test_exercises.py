"""The self-checking exercises' helper (course/exercises.py) tells right from wrong."""

import pytest

import course


def test_a_right_answer_is_praised(capsys):
    course.check("Exercise 1", "POST", lambda a: a == "POST", hint="h")
    assert capsys.readouterr().out == "Exercise 1: correct. Well done!\n"


def test_a_wrong_answer_gets_the_hint(capsys):
    course.check("Exercise 1", "GET", lambda a: a == "POST", hint="which verb creates?")
    assert capsys.readouterr().out == "Exercise 1: not quite. Hint: which verb creates?\n"


def test_an_unanswered_exercise_says_so(capsys):
    course.check("Exercise 2", ..., lambda a: True, hint="h")
    assert "not answered yet" in capsys.readouterr().out


def test_a_check_that_raises_counts_as_wrong_without_a_traceback(capsys):
    course.check("Exercise 3", 42, lambda a: a.strip() == "x", hint="a string, please")
    assert capsys.readouterr().out == (
        "Exercise 3: not quite. Hint: a string, please"
        " (your answer is a whole number, which is not the kind of value the exercise asks for)\n"
    )


@pytest.mark.parametrize(("answer", "test", "words"), [
    ({"movie": "Up"}, lambda a: a["id"] == 1, "your answer has no 'id' in it"),
    ([], lambda a: a[2], "fewer items"),
    (None, lambda a: len(a) == 3, "your answer is None"),
    ("abc", lambda a: int(a) == 3, "a value the exercise cannot use"),
    (print, lambda a: a + 1, "your function failed on one of the inputs"),
])
def test_a_hint_never_shows_python_internals(answer, test, words, capsys):
    course.check("Exercise 7", answer, test, hint="look again")
    printed = capsys.readouterr().out
    assert words in printed
    for internal in ("Error", "raised", "Traceback", "object has no attribute", "NoneType"):
        assert internal not in printed, printed


@pytest.mark.parametrize(("answer", "verdict"), [(5, True), (4, False), (..., None), ("5", False)])
def test_is_right(answer, verdict):
    assert course.is_right(answer, lambda a: a == 5) is verdict


def test_check_equal(capsys):
    course.check_equal("Exercise 4", 0.98, 0.98, hint="h")
    course.check_equal("Exercise 4", 0.5, 0.98, hint="h")
    assert capsys.readouterr().out.splitlines() == ["Exercise 4: correct. Well done!", "Exercise 4: not quite. Hint: h"]


def test_a_hint_can_depend_on_the_answer(capsys):
    course.check("Exercise 5", "get", lambda a: a == "GET", hint=lambda a: f"{a!r} should be in capitals")
    assert capsys.readouterr().out == "Exercise 5: not quite. Hint: 'get' should be in capitals\n"


def test_a_broken_hint_function_still_gives_a_verdict(capsys):
    course.check("Exercise 6", 3, lambda a: a == 4, hint=lambda a: a["nope"])
    assert "not quite. Hint: compare your answer" in capsys.readouterr().out


# --- course.build: a build exercise runs the learner's app in its own process and calls it over HTTP. ---

import course.build  # noqa: E402

PING = '''\
from flask import Flask


def create_app():
    app = Flask(__name__)

    @app.get("/ping")
    def ping():
        return {"pong": PONG}

    return app


PONG = True
print("a bare call, left out when the check runs the cell")
'''


def _pongs(app):
    response = app.get("/ping")
    course.build.expect_status(response, 200, app=app)
    if course.build.json_body(response) != {"pong": True}:
        raise course.build.Unmet("it did not say pong")


PING_EXPECTATIONS = [("GET /ping answers {'pong': true}", _pongs)]


def test_a_built_app_that_works_is_praised_expectation_by_expectation(capsys):
    assert course.build.check_app("Exercise 9", PING, PING_EXPECTATIONS) is True
    assert capsys.readouterr().out.splitlines() == [
        "Exercise 9: your create_app() runs on its own, in a fresh Python process; calling it over HTTP:",
        "  ✓ GET /ping answers {'pong': true}",
        "Exercise 9: correct. Well done!",
    ]


def test_the_app_runs_in_another_process_not_in_this_one(capsys):
    source = PING.replace('{"pong": PONG}', '{"pong": __import__("os").getpid() != int(PARENT)}')
    source += f"PARENT = {__import__('os').getpid()}\n"
    assert course.build.check_app("Exercise 9", source, PING_EXPECTATIONS) is True


def test_an_expectation_not_met_is_marked_and_says_what_happened(capsys):
    source = PING.replace("return {\"pong\": PONG}", "return {\"pong\": PONG}, 202")
    assert course.build.check_app("Exercise 9", source, PING_EXPECTATIONS) is False
    out = capsys.readouterr().out
    assert "  ✗ GET /ping answers {'pong': true}: it answered 202 where 200 was expected" in out
    assert "Exercise 9: not quite. Hint: 1 of 1 expectations not met yet" in out


def test_an_error_in_the_learners_code_is_told_with_the_line_of_their_cell(capsys):
    source = PING.replace("return {\"pong\": PONG}", "return {\"pong\": 1 / 0}")
    course.build.check_app("Exercise 9", source, PING_EXPECTATIONS)
    out = capsys.readouterr().out
    assert "your code raised ZeroDivisionError: division by zero (line 9 of your cell)" in out
    assert "Traceback" not in out
    assert "/tmp" not in out
    assert "learner_app.py" not in out


@pytest.mark.parametrize(("source", "words"), [
    (PING.replace("from flask import Flask\n", ""), "name 'Flask' is not defined (line 4 of your cell)"),
    (PING.replace("def create_app", "def make_app"), "your cell defines no function create_app"),
    (PING.replace("    return app\n", ""), "create_app() returned None, not an app"),
    (PING.replace("def ping():", "def ping()"), "line 8 of your cell is not valid Python"),
    (PING.replace("from flask import Flask", "from flsk import Flask"), "No module named 'flsk'"),
])
def test_an_app_that_cannot_start_gets_one_plain_line(source, words, capsys):
    assert course.build.check_app("Exercise 9", source, PING_EXPECTATIONS) is False
    out = capsys.readouterr().out
    assert out.startswith("Exercise 9: not quite. Hint: "), out
    assert words in out, out
    assert out.count("\n") == 1
    assert "Traceback" not in out


def test_a_hanging_endpoint_fails_within_the_timeout(capsys, monkeypatch):
    monkeypatch.setattr(course.build, "TIMEOUT", 0.5)
    source = PING.replace("return {\"pong\": PONG}", "__import__('time').sleep(30)")
    assert course.build.check_app("Exercise 9", source, PING_EXPECTATIONS) is False
    assert "got no answer within 0.5 s" in capsys.readouterr().out
    assert not [server for server in course.running_servers() if server.name.startswith("Exercise 9")]


def test_a_function_is_checked_by_the_source_of_the_file_that_defines_it(tmp_path, capsys, monkeypatch):
    (tmp_path / "pinger.py").write_text(PING)
    monkeypatch.syspath_prepend(tmp_path)
    import pinger

    assert course.build.check_app("Exercise 9", pinger.create_app, PING_EXPECTATIONS) is True


@pytest.mark.parametrize("answer", [..., PING])
def test_an_unanswered_build_exercise_says_so(answer, capsys):
    assert course.build.check_app("Exercise 9", answer, PING_EXPECTATIONS, skeleton=PING + "\n\n") is None
    assert "not answered yet" in capsys.readouterr().out


def test_passing_the_app_instead_of_the_factory_gets_a_hint(capsys):
    from flask import Flask

    course.build.check_app("Exercise 9", Flask("x"), PING_EXPECTATIONS)
    assert "pass the function create_app itself, without ()" in capsys.readouterr().out
