"""Checks for the exercises of chapter 08. The notebook calls ``exercises.check_1(answer)`` and so on.

``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import course
import simulate
from course.exercises import NOT_ANSWERED, describe
from fraud_app import drift


def label_share_problem(answer) -> str | None:
    expected = simulate.LABEL_DELAY[0] + simulate.LABEL_DELAY[1]
    if isinstance(answer, bool) or not isinstance(answer, int | float):
        return f"answer with a number between 0 and 1, not {describe(answer)}"
    if 1 < answer <= 100 and math.isclose(answer / 100, expected, abs_tol=0.005):
        return "that is a percentage: write the share as a number between 0 and 1"
    if math.isclose(answer, simulate.LABEL_DELAY[1], abs_tol=0.005):
        return "a label with a delay of 0 weeks has arrived by then too: add the share of delay 0"
    if math.isclose(answer, simulate.LABEL_DELAY[0], abs_tol=0.005):
        return "that is the share that arrives within the week itself; add those that take one week more"
    if not math.isclose(answer, expected, abs_tol=0.005):
        return "add up the shares of LABEL_DELAY for the delays that are over by then: 0 weeks and 1 week"
    return None


def _skeleton(*args): ...


def _unanswered(function):
    """``...`` for a function whose body is still the scaffold's ``...``, else the function itself."""
    code = getattr(function, "__code__", None)
    return NOT_ANSWERED if code is not None and code.co_code == _skeleton.__code__.co_code else function


_EMPTY_BIN = "an empty bin gives an infinite or undefined score: count its share as 0.0001 first, as the app does"


def check_1(share):
    course.check("Exercise 1", share, lambda a: label_share_problem(a) is None, hint=label_share_problem)


# --- Exercise 2: the population stability index ---------------------------------------------------

def _psi_cases() -> list[tuple[list[float], list[float]]]:
    """(expected, actual) shares: real weeks of the simulation against the training data, and edge cases."""
    reference = _reference()
    cases = []
    for number in (1, simulate.PRICE_WEEK, simulate.RING_WEEK):
        week = simulate.week(number)
        for name in ("amount", "merchant_category", "is_foreign"):
            feature = reference["features"][name]
            counts = drift.bin_counts(feature, [t[name] for t in week.transactions])
            expected = list(drift.expected_shares(feature, counts.size))
            cases.append((expected, list(counts / counts.sum())))
    cases.append(([0.5, 0.5], [0.5, 0.5]))  # the same: 0
    cases.append(([0.25, 0.25, 0.5], [0.0, 0.5, 0.5]))  # an empty bin: large but finite
    return cases


def _reference() -> dict:
    """Reference distributions of the course's training data, as training saves them."""
    import reference
    import train

    parts = train.split(train.load_data(), seed=42)
    return reference.build_reference(parts.train, train.FEATURES)


_CASES: list | None = None


def psi_problem(function) -> str | None:
    global _CASES
    if not callable(function):
        return f"write a function psi(expected, actual), not {describe(function)}"
    _CASES = _CASES or _psi_cases()
    for expected, actual in _CASES:
        counts = np.asarray(actual) * 1_000_000  # the app's function takes counts; these shares are exact
        right = drift.psi_of_counts({"proportions": expected}, counts)
        # numpy warns (log of 0, division by 0) instead of raising: catch that here, in words, not in the cell
        with warnings.catch_warnings(record=True) as warned, np.errstate(all="warn"):
            warnings.simplefilter("always")
            try:
                got = function(list(expected), list(actual))
            except (ValueError, ZeroDivisionError):  # math.log(0), a / 0
                return _EMPTY_BIN
        if any(issubclass(w.category, RuntimeWarning) for w in warned):
            return _EMPTY_BIN
        if got is None:
            return "your function returns nothing: end it with return and the sum"
        if isinstance(got, bool) or not isinstance(got, int | float | np.floating):
            return f"psi should return a number, not {describe(got)}"
        if not math.isfinite(got):
            return _EMPTY_BIN
        if not math.isclose(got, right, rel_tol=1e-6, abs_tol=1e-9):
            if math.isclose(got, -right, rel_tol=1e-6):
                return "the sign is the wrong way round: (actual - expected) * ln(actual / expected) is never negative"
            return (f"for expected {_short(expected)} and actual {_short(actual)} the PSI is {right:.4f}, "
                    f"yours gives {got:.4f}: sum (a - e) * ln(a / e) over the bins")
    return None


def _short(shares) -> str:
    return "[" + ", ".join(f"{s:.3g}" for s in shares[:4]) + (", ...]" if len(shares) > 4 else "]")


def check_2(function):
    course.check("Exercise 2", _unanswered(function), lambda f: psi_problem(f) is None, hint=psi_problem)


# --- Exercise 3: precision and recall from stored predictions --------------------------------------

def _item(decision: bool, label: bool | None) -> dict:
    return {"id": 1, "is_fraud": decision, "label": label, "fraud_probability": 0.5 if decision else 0.01}


PERFORMANCE_CASES = [
    # (items, expected precision, expected recall)
    ([_item(True, True), _item(True, False), _item(False, True), _item(False, False)], 0.5, 0.5),
    ([_item(True, True), _item(True, None), _item(False, None), _item(False, True), _item(False, True)], 1.0, 1 / 3),
    ([_item(False, False), _item(False, None)], None, None),  # nothing flagged, no fraud: 0/0 twice
    ([_item(True, None)], None, None),  # nothing labelled
    ([_item(True, False), _item(False, False)], 0.0, None),
]


def _week_items(number: int = simulate.RING_WEEK) -> tuple[list[dict], float, float]:
    """A simulated week as stored predictions, with a decision from a simple rule and every label in."""
    week = simulate.week(number)
    decisions = [t["amount"] > 200 or t["hour"] < 5 for t in week.transactions]
    items = [_item(d, o if delay is not None else None)
             for d, o, delay in zip(decisions, week.outcomes, week.label_delays, strict=True)]
    tp = sum(1 for i in items if i["label"] is not None and i["is_fraud"] and i["label"])
    return items, tp / sum(1 for i in items if i["label"] is not None and i["is_fraud"]), \
        tp / sum(1 for i in items if i["label"] is not None and i["label"])


def performance_problem(function) -> str | None:
    if not callable(function):
        return f"write a function performance(items), not {describe(function)}"
    for items, precision, recall in [*PERFORMANCE_CASES, _week_items()]:
        try:
            got = function([dict(item) for item in items])
        except ZeroDivisionError:
            return (f"with {_describe_items(items)}, your function divided by zero: when nothing labelled is flagged "
                    f"(or no labelled item is fraud) the ratio is 0/0, so return None for it instead of dividing")
        if not isinstance(got, dict) or not {"precision", "recall"} <= set(got):
            return f"return a dict with 'precision' and 'recall', not {describe(got)}"
        if (precision is not None and recall is not None and not math.isclose(precision, recall)
                and _close(got["precision"], recall) and _close(got["recall"], precision)):
            return (f"with {_describe_items(items)}, precision is {precision:.4f} and recall {recall:.4f}: yours are "
                    f"the other way round. Precision divides by the flagged items, recall by the fraudulent ones")
        for key, right in (("precision", precision), ("recall", recall)):
            value = got[key]
            if right is None and value is not None:
                return (f"with {_describe_items(items)}, {key} is 0/0: return None for it, as the monitoring "
                        f"endpoint does (0 would say the model is always wrong)")
            if right is not None and not _close(value, right):
                return (f"with {_describe_items(items)}, {key} is {right:.4f}, yours is {_number(value)}: count the "
                        f"labelled items only (label not None)")
    return None


def _close(value, right: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isclose(value, right, abs_tol=1e-4)


def _number(value) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) and not isinstance(value, bool) else describe(value)


def _describe_items(items: list[dict]) -> str:
    if len(items) > 10:
        return f"a simulated week of {len(items)} predictions"
    return "the items " + ", ".join(f"(decision {i['is_fraud']}, label {i['label']})" for i in items)


def check_3(function):
    course.check("Exercise 3", _unanswered(function), lambda f: performance_problem(f) is None,
                 hint=performance_problem)


# --- Samples: right and wrong answers, for the course's tests ---------------------------------------

def _psi_right(expected, actual):
    return sum((max(a, 1e-4) - max(e, 1e-4)) * math.log(max(a, 1e-4) / max(e, 1e-4))
               for e, a in zip(expected, actual, strict=True))


def _psi_no_epsilon(expected, actual):
    return sum((a - e) * math.log(a / e) if a and e else float("inf") for e, a in zip(expected, actual, strict=True))


def _psi_numpy_no_epsilon(expected, actual):
    e, a = np.asarray(expected), np.asarray(actual)
    return float(np.sum((a - e) * np.log(a / e)))  # log(0): numpy warns and gives inf or nan


def _psi_math_no_epsilon(expected, actual):
    return sum((a - e) * math.log(a / e) for e, a in zip(expected, actual, strict=True))  # log(0) raises


def _psi_abs_difference(expected, actual):
    return sum(abs(a - e) for e, a in zip(expected, actual, strict=True))


def _psi_backwards(expected, actual):
    return -_psi_right(expected, actual)


def _perf_right(items):
    labelled = [i for i in items if i["label"] is not None]
    tp = sum(i["is_fraud"] and i["label"] for i in labelled)
    flagged, fraud = sum(i["is_fraud"] for i in labelled), sum(i["label"] for i in labelled)
    return {"precision": tp / flagged if flagged else None, "recall": tp / fraud if fraud else None}


def _perf_unlabelled_as_legit(items):
    tp = sum(i["is_fraud"] and bool(i["label"]) for i in items)
    flagged, fraud = sum(i["is_fraud"] for i in items), sum(bool(i["label"]) for i in items)
    return {"precision": tp / flagged if flagged else None, "recall": tp / fraud if fraud else None}


def _perf_zero_for_undefined(items):
    labelled = [i for i in items if i["label"] is not None]
    tp = sum(i["is_fraud"] and i["label"] for i in labelled)
    flagged, fraud = sum(i["is_fraud"] for i in labelled), sum(i["label"] for i in labelled)
    return {"precision": tp / flagged if flagged else 0.0, "recall": tp / fraud if fraud else 0.0}


def _perf_divides_by_zero(items):
    labelled = [i for i in items if i["label"] is not None]
    tp = sum(i["is_fraud"] and i["label"] for i in labelled)
    return {"precision": tp / sum(i["is_fraud"] for i in labelled), "recall": tp / sum(i["label"] for i in labelled)}


def _perf_swapped(items):
    right = _perf_right(items)
    return {"precision": right["recall"], "recall": right["precision"]}


SAMPLES = {
    check_1: {"right": [0.4, 0.40], "wrong": [40, 0.3, 0.1, 0.7, "0.4"]},
    check_2: {"right": [_psi_right], "wrong": [_psi_no_epsilon, _psi_numpy_no_epsilon, _psi_math_no_epsilon,
                                               _psi_abs_difference, _psi_backwards, 0.2]},
    check_3: {"right": [_perf_right],
              "wrong": [_perf_unlabelled_as_legit, _perf_zero_for_undefined, _perf_divides_by_zero, _perf_swapped,
                        {"precision": 1}]},
}
