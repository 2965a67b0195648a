"""Checks for the exercises of chapter 03. The notebook calls ``exercises.check_1(answer)`` and so on.

Each check prints whether the answer is right and, if not, a hint about this particular answer.
The checks need nothing from the notebook's variables, so they work after a kernel restart.
``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import functools
import tempfile
from pathlib import Path

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

import artefact
import course
import train
import variant

ACCURACY_OF_ALWAYS_NO = 1 - 429 / 20_000  # 429 fraud cases among the 20,000 payments of data/transactions.csv

# (y_true, scores, threshold, false alarms): small cases with the answer worked out by hand.
FALSE_ALARM_CASES = [
    (np.array([True, False, False, True, False]), np.array([0.9, 0.8, 0.1, 0.3, 0.5]), 0.5, 2),
    (np.array([True, False, False, True, False]), np.array([0.9, 0.8, 0.1, 0.3, 0.5]), 0.95, 0),
    (np.array([True, False, False, True, False]), np.array([0.9, 0.8, 0.1, 0.3, 0.5]), 0.0, 3),
    (np.array([False, False, True]), np.array([0.2, 0.7, 0.7]), 0.7, 1),
]

LOADABLE = {"a", "b"}  # StandardScaler() and FunctionTransformer(np.log1p); not log_amount, defined in __main__


def _is_number(answer):
    return isinstance(answer, int | float | np.number) and not isinstance(answer, bool | np.bool_)


def check_1(accuracy_of_always_no):
    def hint(answer):
        if not _is_number(answer):
            return "answer with a number, such as 0.5 (without quotes)"
        if answer > 1:
            return "answer as a fraction between 0 and 1, not a percentage"
        return "it is right on every payment that is not fraud: 1 minus the share of fraud, df['is_fraud'].mean()"

    course.check("Exercise 1", accuracy_of_always_no,
                 lambda a: _is_number(a) and abs(a - ACCURACY_OF_ALWAYS_NO) < 0.005, hint)


def _call(function, *args):
    """``(result, None)``, or ``(None, the exception's type name)`` when the learner's function fails."""
    try:
        return function(*args), None
    except Exception as error:  # noqa: BLE001 - the learner's code: any failure gets a verdict, not a traceback
        return None, type(error).__name__


def _false_alarms_right(function):
    return callable(function) and all(_call(function, y, s, t) == (expected, None)
                                      for y, s, t, expected in FALSE_ALARM_CASES)


def check_2(false_alarms):
    def hint(function):
        if not callable(function):
            return "define a function: def false_alarms(y_true, scores, threshold): ..."
        y, scores, threshold, expected = FALSE_ALARM_CASES[0]
        got, failed = _call(function, y, scores, threshold)
        if failed:
            return (f"calling false_alarms(y_true, scores, {threshold}) stopped with {failed}; y_true and scores "
                    "are numpy arrays: run your function on them in a cell to see where")
        if got == 1:
            return "a score equal to the threshold is flagged too: use scores >= threshold"
        if got == 3:
            return "count only the genuine payments (y_true is False) among the flagged ones: & ~y_true"
        return (f"false_alarms({y.tolist()}, {scores.tolist()}, {threshold}) returned {got!r} instead of "
                f"{expected}: count payments with scores >= threshold and y_true False")

    course.check("Exercise 2", false_alarms, _false_alarms_right, hint)


def check_3(exception_name):
    def hint(answer):
        if isinstance(answer, type):
            return "answer with the class's name as a string: type(error).__name__"
        return "wrap the call in try/except Exception as error, and look at type(error).__name__"

    def right(answer):
        return isinstance(answer, str) and answer.split(".")[-1] == "PicklingError"

    course.check("Exercise 3", exception_name, right, hint)


def _letters(answer):
    """The letters of an answer given as a set, a list, a tuple or a string such as "a, b"; None otherwise."""
    if isinstance(answer, str):
        answer = answer.replace(",", " ").split()
    if not isinstance(answer, set | frozenset | list | tuple):
        return None
    return {str(letter).strip().lower() for letter in answer}


def check_4(loadable):
    def hint(answer):
        letters = _letters(answer)
        if letters is None:
            return 'answer with a set of letters, such as {"a"}'
        if "c" in letters:
            return "log_amount lives in __main__, the notebook: a server's __main__ has no log_amount"
        if "b" not in letters:
            return "np.log1p is found by its name in numpy, which the server has: try it with load_in_fresh_python(...)"
        return ("StandardScaler is scikit-learn's own class; try the three with load_each_in_fresh_python(...) "
                "and keep the letters whose .loaded is True")

    course.check("Exercise 4", loadable, lambda a: _letters(a) == LOADABLE, hint)


@functools.cache
def _course_run(seed=42):
    """The course's own run (train.fit_models), made once: the variant is compared with its model."""
    return train.fit_models(train.load_data(train.DATA), seed=seed)


def _is_unchanged(pipeline, seed):
    return any(repr(pipeline) == repr(train.build_pipeline(kind, seed)) for kind in train.KINDS)


def try_variant(variant_pipeline, seed=42):
    """Build, train, save and load the learner's variant; return (problem or None, report lines)."""
    if not callable(variant_pipeline):
        return "define a function: def variant_pipeline(seed): ... return pipeline", []
    try:
        pipeline = variant_pipeline(seed)
    except Exception as error:  # noqa: BLE001 - the learner's code: any failure gets a verdict
        return (f"calling variant_pipeline({seed}) stopped with {type(error).__name__}; run it on its own in "
                "a cell to see where"), []
    if pipeline is None:
        return "variant_pipeline returns nothing: end it with `return pipeline`", []
    if not (hasattr(pipeline, "fit") and hasattr(pipeline, "predict_proba")):
        return ("variant_pipeline must return a scikit-learn model that gives probabilities (predict_proba), "
                "such as the Pipeline that train.build_pipeline makes, changed in one setting or feature"), []
    if _is_unchanged(pipeline, seed):
        return ("this is the course's own pipeline, unchanged: change one setting (pipeline.set_params(...)) "
                "or one feature, so that there is a variant to compare"), []
    run = _course_run(seed)
    try:
        fitted = variant.fit_pipeline(pipeline, run.parts, run.recall_target)
    except Exception as error:  # noqa: BLE001
        failed = type(error).__name__
        if failed == "InvalidParameterError":  # scikit-learn's own check of a setting's value
            return (f"training it failed ({failed}): one of your settings has a value scikit-learn does not accept; "
                    "print(pipeline) and compare with the classifier's documentation"), []
        if not any(isinstance(step, ColumnTransformer) for step in getattr(pipeline, "named_steps", {}).values()):
            return (f"training it on the course's data failed ({failed}): the classifier needs every column as a "
                    "number; keep the 'prepare' step of train.build_pipeline in front of it"), []
        return (f"training it on the course's data failed ({failed}): run variant.fit_pipeline(variant_pipeline(SEED), "
                "training.parts) in a cell to see where"), []
    try:
        from_notebook = b"__main__" in artefact.dumps(fitted.pipeline)
    except Exception:  # noqa: BLE001 - it cannot be pickled at all: saving it below says so
        from_notebook = False
    if from_notebook:
        return ("your pipeline uses a function or class defined in the notebook (module __main__): the app, "
                "another Python process, could not load it; build it from scikit-learn's own classes (pitfall 4)"), []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "variant.pkl"
        try:
            variant.save(fitted, run, out)
            loaded, metadata = artefact.load_artefact(out)
        except Exception as error:  # noqa: BLE001
            return (f"saving it and loading it back failed ({type(error).__name__}): build it from "
                    "scikit-learn's own classes only, so the artefact loads anywhere"), []
    X = train.features_and_target(run.parts.validation)[0]
    if not np.array_equal(loaded.predict_proba(X)[:, 1], fitted.validation_scores):
        return "the model loaded back does not predict what was trained: does variant_pipeline change it later?", []
    ours, theirs = fitted.metrics["validation"], run.model.metrics["validation"]
    lines = ["Your variant, trained, saved with its metadata and loaded back through artefact.load_artefact:",
             f"  on validation       {'avg. precision':>14} {'ROC AUC':>7} {'false alarms':>12}"]
    for name, m in (("your variant", ours), ("the course's model", theirs)):
        lines.append(f"  {name:<19} {m['average_precision']:>14.4f} {m['roc_auc']:>7.4f} "
                     f"{m['confusion_matrix']['false_positives']:>12}")
    lines.append(f"  (both thresholds catch {100 * run.recall_target:g} % of the validation fraud; "
                 f"the saved metadata holds your threshold, {metadata['threshold']:.4f})")
    return None, lines


def check_5(variant_pipeline):
    """Run what the learner built: build, train, save, load through the verified loader, compare."""
    problem, lines = (None, []) if variant_pipeline is course.NOT_ANSWERED else try_variant(variant_pipeline)
    for line in lines:
        print(line)
    course.check("Exercise 5", variant_pipeline, lambda a: problem is None, lambda a: problem)


def _false_alarms(y_true, scores, threshold):
    return int(((scores >= threshold) & ~y_true).sum())


def _slower_learning(seed):
    pipeline = train.build_pipeline("gradient_boosting", seed)
    pipeline.set_params(classify__learning_rate=0.05)
    return pipeline


def _smaller_trees(seed):
    return train.build_pipeline("gradient_boosting", seed).set_params(classify__max_leaf_nodes=7)


def _without_hour(seed):
    pipeline = train.build_pipeline("gradient_boosting", seed)
    numbers = train.columns([name for name in train.NUMBERS if name != "hour"])
    pipeline.named_steps["prepare"].transformers[0] = ("numbers", pipeline.named_steps["prepare"].transformers[0][1],
                                                       numbers)
    return pipeline


def _stronger_regularised_baseline(seed):
    return train.build_pipeline("baseline", seed).set_params(classify__C=0.05)


def _no_preparation(seed):  # slip: the classifier alone gets the raw text of merchant_category
    return Pipeline([("classify", HistGradientBoostingClassifier(random_state=seed))])


def _regressor(seed):  # slip: a regressor gives no probabilities
    pipeline = train.build_pipeline("gradient_boosting", seed)
    return Pipeline([("prepare", pipeline.named_steps["prepare"]), ("classify", HistGradientBoostingRegressor())])


def _unchanged(seed):  # slip: forgot to change anything
    return train.build_pipeline("gradient_boosting", seed)


def _forgot_return(seed):  # slip: builds it, never returns it
    train.build_pipeline("gradient_boosting", seed).set_params(classify__learning_rate=0.05)


def _a_setting_out_of_range(seed):  # slip: a learning rate must be a positive number
    return train.build_pipeline("gradient_boosting", seed).set_params(classify__learning_rate=-0.1)


def _wrong_signature():  # slip: takes no seed
    return _slower_learning(42)


SAMPLES = {
    check_1: {"right": [0.97855, 0.98, 1 - 0.0215, np.float64(0.97855)], "wrong": [97.85, 0.0215, 0.5, "0.98", None]},
    check_2: {
        "right": [_false_alarms, lambda y, s, t: sum(1 for yi, si in zip(y, s, strict=True) if si >= t and not yi)],
        "wrong": [
            lambda y, s, t: int(((s > t) & ~y).sum()),  # forgets "at least"
            lambda y, s, t: int((s >= t).sum()),  # counts the fraud too
            lambda y, s, t: int(((s >= t) & y).sum()),  # counts the fraud only
            42,
            lambda y, s, t: int(((s >= t) & ~y.values).sum()),  # a pandas habit: numpy arrays have no .values
        ],
    },
    check_3: {"right": ["PicklingError", "pickle.PicklingError", "_pickle.PicklingError"],
              "wrong": ["AttributeError", "TypeError", "Picklingerror", None]},
    check_4: {"right": [{"a", "b"}, ["b", "a"], "a, b", ("A", "B")],
              "wrong": [{"a"}, {"a", "b", "c"}, {"a", "c"}, "abc", 5]},
    check_5: {"right": [_slower_learning, _smaller_trees, _without_hour, _stronger_regularised_baseline],
              "wrong": [_unchanged, _no_preparation, _a_setting_out_of_range, _regressor, _forgot_return,
                        _wrong_signature,
                        train.build_pipeline("gradient_boosting", 42).set_params(classify__max_iter=50)]},
}
