"""Every chapter's exercise checks accept the right answers and reject the wrong ones, with a hint."""

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(path.stem for path in ROOT.glob("[0-9][0-9]_*/exercises_[0-9][0-9].py"))
CASES = [
    pytest.param(check, verdict, answer, id=f"{module}.{check.__name__}-{verdict}-{index}")
    for module in MODULES
    for check, samples in importlib.import_module(module).SAMPLES.items()
    for verdict in ("right", "wrong")
    for index, answer in enumerate(samples[verdict])
]


def test_every_chapter_with_exercises_has_checks():
    assert [f"exercises_{n:02d}" for n in range(1, 9)] == MODULES


@pytest.mark.parametrize(("check", "verdict", "answer"), CASES)
def test_check_tells_right_from_wrong(check, verdict, answer, capsys):
    check(answer)
    printed = capsys.readouterr().out
    if verdict == "right":
        assert printed.endswith(": correct. Well done!\n"), printed
    else:
        assert ": not quite. Hint: " in printed, printed
        # A hint speaks to the learner, in their words, never in Python's (checked here, on the one run of each
        # wrong sample: running them all again per module would only repeat these runs).
        for internal in ("Traceback", "checking your answer raised", "object has no attribute", "NoneType"):
            assert internal not in printed, f"a hint shows {internal!r}: {printed}"


@pytest.mark.parametrize("module", MODULES)
def test_an_unanswered_exercise_is_reported_as_such(module, capsys):
    for check in importlib.import_module(module).SAMPLES:
        check(...)
    assert capsys.readouterr().out.count("not answered yet") == len(importlib.import_module(module).SAMPLES)


@pytest.mark.parametrize("module", MODULES)
def test_every_check_has_right_answers_and_at_least_two_wrong_ones(module):
    for check, samples in importlib.import_module(module).SAMPLES.items():
        assert samples["right"], f"{module}.{check.__name__} has no right sample"
        assert len(samples["wrong"]) >= 2, f"{module}.{check.__name__} needs at least two wrong samples (real slips)"

