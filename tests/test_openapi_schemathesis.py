"""schemathesis against the fraud app as production serves it: gunicorn, two workers, loopback.

Every check on, every phase (the description's examples, the edges of every rule, random data, and
the stateful phase that follows the links from a created prediction to reading, labelling and deleting
it), a fixed seed and a bounded number of cases: zero failures. The runner is chapter 05's (fuzz.py),
which its own tests show finding a planted bug (05_testing/tests/test_fuzz.py).
"""

import re
from pathlib import Path

import pytest

import fuzz
from course.fraud_server import gunicorn_fraud_app

TOKEN = "schemathesis-token-0123456789"
#: What chapter 05's notebook shows of this run (it does not run it: too long for a notebook).
SAVED = Path(__file__).resolve().parent.parent / "05_testing" / "saved" / "schemathesis-fraud-app.txt"


@pytest.fixture(scope="module")
def served(model_path, tmp_path_factory):
    database = tmp_path_factory.mktemp("schemathesis") / "predictions.sqlite3"
    with gunicorn_fraud_app(model_path, TOKEN, {"FRAUD_DATABASE": str(database), "DATABASE_URL": ""},
                            name="gunicorn (schemathesis)") as server:
        yield server


@pytest.fixture(scope="module")
def result(served):
    return fuzz.run(served.url + "/api/v1/openapi.json", served.url, token=TOKEN, examples=15)


def test_schemathesis_finds_nothing_wrong_with_every_check_on(result):
    assert result.passed, fuzz.summary(result) + "\n\n" + result.output
    assert "--checks all" in result.report["command"]
    assert result.report["seed"] == 42


def test_every_phase_ran_on_every_operation(result):
    assert {name: state["status"] for name, state in result.report["phases"].items()} == dict.fromkeys(
        fuzz.PHASES, "success")
    # Every operation but GET /api/v1/openapi.json, which schemathesis leaves out: it is the description itself.
    assert result.report["operations"]["tested"] == result.report["operations"]["total"] == 12
    assert result.report["test_cases"]["generated"] > 300


def test_the_stateful_phase_followed_every_link(result):
    covered, selected, total = (int(n) for n in re.findall(r"\d+", result.links_covered().split("(")[0]))
    assert covered == selected == total >= 3, result.links_covered()


def test_the_server_saw_no_error(served, result):
    log = served.log()
    assert " ERROR " not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


def test_the_result_chapter_05_shows_is_this_run(result):
    """The saved report is not stale: this run says the same (refresh it with the line below if not)."""
    # SAVED.write_text(fuzz.report(result) + "\n")
    assert SAVED.read_text() == fuzz.report(result) + "\n"
