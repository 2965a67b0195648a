"""Chapter 03's demos: the build exercise's training path (variant.py) and pickle_demo's plain words."""

import sys

import numpy as np
import pytest
from sklearn.preprocessing import FunctionTransformer

import artefact
import exercises_03
import pickle_demo
import train
import variant


def log_amount(X):
    return np.log1p(X.astype(float))  # the pipeline's input is an array of Python objects (train.model_input)


def test_a_function_missing_in_a_fresh_python_is_said_in_the_course_words(monkeypatch):
    """Not the interpreter's message, whose wording changed in Python 3.14 ("Can't get attribute ...")."""
    monkeypatch.setattr(log_amount, "__module__", "__main__")
    monkeypatch.setattr(sys.modules["__main__"], "log_amount", log_amount, raising=False)
    outcome = pickle_demo.load_in_fresh_python(FunctionTransformer(log_amount))
    assert outcome == (False, "AttributeError: the pickle names a function or class that this Python does not have")


@pytest.fixture(scope="module")
def run():
    return exercises_03._course_run()


def test_a_variant_is_saved_with_its_metadata_and_loads_through_the_verified_loader(run, tmp_path):
    pipeline = train.build_pipeline("gradient_boosting", 42).set_params(classify__learning_rate=0.05)
    fitted = variant.fit_pipeline(pipeline, run.parts, run.recall_target)
    metadata = variant.save(fitted, run, tmp_path / "variant.pkl")
    model, loaded = artefact.load_artefact(tmp_path / "variant.pkl")
    X = train.features_and_target(run.parts.validation)[0]
    assert np.array_equal(model.predict_proba(X)[:, 1], fitted.validation_scores)
    assert loaded == metadata
    assert loaded["threshold"] == fitted.threshold != run.model.threshold
    assert loaded["metrics"]["model"] == fitted.metrics


def test_the_build_check_reports_the_comparison_it_ran(capsys):
    exercises_03.check_5(exercises_03._smaller_trees)
    printed = capsys.readouterr().out
    assert "loaded back through artefact.load_artefact" in printed
    variant_row = next(line for line in printed.splitlines() if line.strip().startswith("your variant"))
    course_row = next(line for line in printed.splitlines() if line.strip().startswith("the course's model"))
    assert variant_row.split()[2:] != course_row.split()[3:], "the two rows are measured, not copied"
    assert printed.endswith("Exercise 5: correct. Well done!\n")


def test_a_variant_whose_training_fails_gets_plain_words_not_a_traceback(capsys):
    exercises_03.check_5(exercises_03._no_preparation)
    printed = capsys.readouterr().out
    assert "Traceback" not in printed
    assert "training it on the course's data failed (ValueError)" in printed


@pytest.mark.parametrize("check", list(exercises_03.SAMPLES), ids=lambda check: check.__name__)
def test_no_wrong_answer_shows_python_internals(check, capsys):
    """A hint says what to look at in plain words: never an interpreter's message about the answer."""
    for answer in exercises_03.SAMPLES[check]["wrong"]:
        check(answer)
        printed = capsys.readouterr().out
        assert "checking your answer raised" not in printed, printed
        assert "object has no attribute" not in printed, printed



def test_a_variant_with_a_function_from_the_notebook_is_refused_in_plain_words(monkeypatch, capsys):
    """It loads in the notebook itself, but the app (another process) could not load it."""
    monkeypatch.setattr(log_amount, "__module__", "__main__")
    monkeypatch.setattr(sys.modules["__main__"], "log_amount", log_amount, raising=False)

    def amount_logged(seed):
        pipeline = train.build_pipeline("gradient_boosting", seed)
        prepare = pipeline.named_steps["prepare"]
        scale = prepare.transformers[0][1]
        numbers = train.columns([name for name in train.NUMBERS if name != "amount"])
        prepare.transformers[0] = ("numbers", scale, numbers)
        prepare.transformers.append(("amount", FunctionTransformer(log_amount), train.columns(["amount"])))
        return pipeline

    exercises_03.check_5(amount_logged)
    printed = capsys.readouterr().out
    assert "defined in the notebook (module __main__)" in printed, printed
    assert printed.startswith("Exercise 5: not quite.")
