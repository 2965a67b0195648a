"""Checks for the exercises of chapter 03. The notebook calls ``exercises.check_1(answer)`` and so on.

Each check prints whether the answer is right and, if not, a hint about this particular answer.
The checks need nothing from the notebook's variables, so they work after a kernel restart.
``SAMPLES`` holds right and wrong answers: the course's tests prove that each check tells them apart.
"""

import numpy as np

import course

ACCURACY_OF_ALWAYS_NO = 1 - 429 / 20_000  # 429 fraud cases among the 20,000 payments of data/transactions.csv

# (y_true, scores, threshold, false alarms): small cases with the answer worked out by hand.
FALSE_ALARM_CASES = [
    (np.array([True, False, False, True, False]), np.array([0.9, 0.8, 0.1, 0.3, 0.5]), 0.5, 2),
    (np.array([True, False, False, True, False]), np.array([0.9, 0.8, 0.1, 0.3, 0.5]), 0.95, 0),
    (np.array([True, False, False, True, False]), np.array([0.9, 0.8, 0.1, 0.3, 0.5]), 0.0, 3),
    (np.array([False, False, True]), np.array([0.2, 0.7, 0.7]), 0.7, 1),
]

LOADABLE = {"a", "b"}  # StandardScaler() and FunctionTransformer(np.log1p); not log_amount, defined in __main__


def check_1(accuracy_of_always_no):
    def hint(answer):
        if isinstance(answer, int | float) and answer > 1:
            return "answer as a fraction between 0 and 1, not a percentage"
        return "it is right on every payment that is not fraud: 1 minus the share of fraud, df['is_fraud'].mean()"

    course.check("Exercise 1", accuracy_of_always_no, lambda a: abs(a - ACCURACY_OF_ALWAYS_NO) < 0.005, hint)


def _false_alarms_right(function):
    return all(function(y, s, t) == expected for y, s, t, expected in FALSE_ALARM_CASES)


def check_2(false_alarms):
    def hint(function):
        if not callable(function):
            return "define a function: def false_alarms(y_true, scores, threshold): ..."
        y, scores, threshold, expected = FALSE_ALARM_CASES[0]
        got = function(y, scores, threshold)
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

    course.check("Exercise 3", exception_name, lambda a: a.split(".")[-1] == "PicklingError", hint)


def _letters(answer):
    if isinstance(answer, str):
        answer = answer.replace(",", " ").split()
    return {str(letter).strip().lower() for letter in answer}


def check_4(loadable):
    def hint(answer):
        letters = _letters(answer)
        if "c" in letters:
            return "log_amount lives in __main__, the notebook: a server's __main__ has no log_amount"
        if "b" not in letters:
            return "np.log1p is found by its name in numpy, which the server has: try it with load_in_fresh_python(...)"
        return ("StandardScaler is scikit-learn's own class; try the three with load_each_in_fresh_python(...) "
                "and keep the letters whose .loaded is True")

    course.check("Exercise 4", loadable, lambda a: _letters(a) == LOADABLE, hint)


def _false_alarms(y_true, scores, threshold):
    return int(((scores >= threshold) & ~y_true).sum())


SAMPLES = {
    check_1: {"right": [0.97855, 0.98, 1 - 0.0215], "wrong": [97.85, 0.0215, 0.5, "0.98"]},
    check_2: {
        "right": [_false_alarms, lambda y, s, t: sum(1 for yi, si in zip(y, s, strict=True) if si >= t and not yi)],
        "wrong": [
            lambda y, s, t: int(((s > t) & ~y).sum()),  # forgets "at least"
            lambda y, s, t: int((s >= t).sum()),  # counts the fraud too
            lambda y, s, t: int(((s >= t) & y).sum()),  # counts the fraud only
            42,
        ],
    },
    check_3: {"right": ["PicklingError", "pickle.PicklingError", "_pickle.PicklingError"],
              "wrong": ["AttributeError", "TypeError", "Picklingerror"]},
    check_4: {"right": [{"a", "b"}, ["b", "a"], "a, b", ("A", "B")],
              "wrong": [{"a"}, {"a", "b", "c"}, {"a", "c"}, "abc"]},
}
