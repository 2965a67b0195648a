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
    (print, lambda a: a + 1, "your answer is a function"),
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
