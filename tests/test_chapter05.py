"""Chapter 05's own code: the planted bugs, the plain pytest runs, the load test's errors, the exercise checks."""

import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import exercises_05
import loadtest
import planted

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "05_testing"
HOUR = "{'name': 'hour', 'type': 'int', 'min': 0, 'max': 23}"


@pytest.mark.parametrize("bug", sorted(planted.BUGS))
def test_a_planted_copy_differs_from_the_app_in_one_line(bug, tmp_path):
    copy = planted.plant(bug, tmp_path) / "fraud_app"
    files = sorted(p.relative_to(planted.APP) for p in planted.APP.rglob("*") if p.is_file() and
                   "__pycache__" not in p.parts)
    assert files == sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file())
    changed = []
    for name in files:
        if (planted.APP / name).read_bytes() != (copy / name).read_bytes():
            old, new = (planted.APP / name).read_text().splitlines(), (copy / name).read_text().splitlines()
            changed += [(a.strip(), b.strip()) for a, b in zip(old, new, strict=True) if a != b]
    assert changed == [(planted.BUGS[bug].line, planted.BUGS[bug].planted)]


@pytest.mark.parametrize(("bug", "refused"), [("upper edge", 23), ("lower edge", 0)])
def test_import_fraud_app_gets_the_planted_bug_when_its_copy_comes_first(bug, refused, tmp_path):
    planted.plant(bug, tmp_path / "copy")
    script = (f"from fraud_app.schema import check_value\n"
              f"print([hour for hour in range(-1, 25) if check_value({HOUR}, hour) is None])")
    env = {**os.environ, "PYTHONPATH": "copy"}
    shown = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                           check=True).stdout
    assert eval(shown) == [hour for hour in range(24) if hour != refused]  # noqa: S307 - a list of ints we printed
    as_it_is = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                              check=True).stdout
    assert eval(as_it_is) == list(range(24))  # noqa: S307


def test_a_line_that_is_no_longer_in_the_app_is_refused(tmp_path, monkeypatch):
    monkeypatch.setitem(planted.BUGS, "gone", planted.Bug("schema.py", "no such line", "x", "nothing"))
    with pytest.raises(LookupError, match="no longer holds"):
        planted.plant("gone", tmp_path)


def test_only_the_edge_test_of_the_demo_fails_on_the_planted_bug(monkeypatch):
    """What chapter 05 shows: of the three tests in test_hour_rule.py, only the edge test can catch the bug.
    On a CI machine too: pytest would write its summary line in full there (CI is set), not as the chapter does."""
    monkeypatch.setenv("CI", "true")
    as_it_is, bugged = planted.run(CHAPTER / "test_hour_rule.py", ("upper edge",))
    assert (as_it_is.status, as_it_is.counts()) == (0, "6 passed")
    assert as_it_is.command == "python -m pytest -q --tb=no -rfE -p no:cacheprovider test_hour_rule.py"
    assert bugged.command.startswith("PYTHONPATH=upper-edge-copy python -m pytest")
    assert (bugged.status, bugged.counts()) == (1, "1 failed, 5 passed")
    assert [test for test, outcome in bugged.outcomes.items() if outcome != "passed"] == [
        "test_each_edge_of_the_range[23-accepted]"]
    assert bugged.output.endswith(  # pytest's own summary, one line per failure, without the duration
        "\nFAILED test_hour_rule.py::test_each_edge_of_the_range[23-accepted] - AssertionError: assert 'refused' =="
        " 'accepted'\n1 failed, 5 passed\n")


@pytest.mark.parametrize(("said", "shown"), [
    ("6 passed in 0.31s\n", "6 passed\n"),
    ("1 failed, 5 passed in 12.05s\n", "1 failed, 5 passed\n"),
    ("1 passed in 61.20s (0:01:01)\n", "1 passed\n"),
    ("test_a.py::test_in[1] passed\n", "test_a.py::test_in[1] passed\n"),
])
def test_the_duration_is_left_out_of_pytests_output(said, shown):
    assert planted._without_timing(said) == shown


def test_a_cell_becomes_a_test_file_without_its_bare_calls():
    cell = ('"""Doc."""\nimport pytest\n\n\n@pytest.mark.parametrize("x", [1])\ndef test_x(x):\n    assert x\n\n\n'
            'exercises.check_4(\n    test_x)\nprint("done")\n')
    text = exercises_05._as_a_file(cell)
    assert "exercises" not in text
    assert "print" not in text
    assert "test_x)" not in text
    assert '@pytest.mark.parametrize("x", [1])\ndef test_x(x):' in text
    assert '"""Doc."""' in text


# --- loadtest.py: what counts as an error, and percentiles for a small run --------------------------------------

@pytest.mark.parametrize(("statuses", "failures", "errors"), [
    ({200: 10}, 0, 0),
    ({200: 8, 503: 2}, 0, 2),
    ({200: 8, 429: 1, 401: 1}, 0, 2),  # a load test's requests deserve to succeed: a 4xx is an error too
    ({200: 9, 304: 1}, 0, 0),
    ({200: 7}, 3, 3),  # no answer at all: refused, reset or timed out
])
def test_errors_are_requests_with_no_answer_or_a_status_of_400_or_more(statuses, failures, errors):
    result = loadtest.LoadResult(latencies_ms=[1.0] * sum(statuses.values()), statuses=Counter(statuses),
                                 failures=failures)
    assert result.errors == errors
    assert result.requests == 10


def test_a_request_that_gets_no_answer_in_time_is_an_error():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        result = loadtest.run(url, lambda session, url: session.get(url + "/health", timeout=0.2), total=2,
                              concurrency=2)
    assert (result.failures, result.errors, result.requests, result.latencies_ms) == (2, 2, 2, [])


def test_the_chart_marks_the_percentiles_asked_for():
    import matplotlib

    matplotlib.use("Agg")
    result = loadtest.LoadResult(latencies_ms=[float(n) for n in range(1, 201)], statuses=Counter({200: 200}))
    axis = loadtest.plot(result, percentiles=(50, 90)).axes[0]
    assert [text.get_text() for text in axis.get_legend().get_texts()] == ["p50 = 101.0 ms", "p90 = 180.0 ms"]


# --- The notebook's text: facts that were wrong once -------------------------------------------------------------

def notebook_text():
    import nbformat

    notebook = nbformat.read(CHAPTER / "05_testing.ipynb", as_version=4)
    return "\n".join(cell.source for cell in notebook.cells)


def test_the_chapter_never_claims_that_property_tests_prove_anything():
    text = notebook_text().lower()
    assert "they sample" in text or "it samples" in text
    assert "tests prove" not in text
    assert "proves that no" not in text


def test_the_load_demo_reports_p90_and_says_why_not_p99():
    text = notebook_text()
    assert "percentiles=(50, 90)" in text
    assert "a p99" in text.lower()
    assert "thousands" in text


def test_the_chapter_stands_alone():
    assert "course summary" not in notebook_text().lower()


# --- the exercise checks' own words -------------------------------------------------------------------------

def test_exercise_4s_check_neither_names_the_bug_nor_returns_a_value(capsys):
    assert exercises_05.check_4(exercises_05.RIGHT_4) is None
    printed = capsys.readouterr().out
    command = next(line for line in printed.splitlines() if "PYTHONPATH=" in line)
    assert exercises_05.FOLDER_4 in command
    assert "lower" not in command
    assert "edge" not in command


@pytest.mark.parametrize(("check", "answer", "said"), [
    (exercises_05.check_1, "5", "the int 5"),
    (exercises_05.check_1, 500, "the int 5"),
    (exercises_05.check_2, exercises_05._response_415(), "store its .status_code"),
    (exercises_05.check_5, exercises_05._wrong_5_asserts_nothing, "your test asserts nothing"),
    (exercises_05.check_5, exercises_05._wrong_5_not_500, "answers 422 where the fixed app answers 400"),
    (exercises_05.check_5, exercises_05._wrong_5_422, "the fixed app answered 400 to your request"),
])
def test_a_slip_gets_a_hint_about_that_slip(check, answer, said, capsys):
    check(answer)
    assert said in capsys.readouterr().out


def error_rate(result):
    ...  # return a number between 0 and 1


def test_exercise_3s_skeleton_is_not_answered_yet(capsys):
    exercises_05.check_3(error_rate)
    assert "not answered yet" in capsys.readouterr().out
    exercises_05.check_3(lambda result: None)
    assert "needs a return statement" in capsys.readouterr().out
