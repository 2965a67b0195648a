"""Self-checking exercises.

Every chapter ends with exercises. The learner writes an answer in one cell; the cell
after it calls :func:`check`, which says in plain words whether the answer is right and,
if not, what to look at. The committed notebooks run the solutions, so CI proves that
every check accepts a correct answer; the course's tests prove that it rejects wrong ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: What an exercise cell holds until the learner answers it.
NOT_ANSWERED = ...


def is_right(answer: Any, test: Callable[[Any], bool]) -> bool | None:
    """True or False as ``test(answer)`` says; None while the answer is still ``...``.

    A test that raises counts as "not right": the learner sees a hint, never a traceback.
    """
    return _verdict(answer, test)[0]


def _verdict(answer: Any, test: Callable[[Any], bool]) -> tuple[bool | None, Exception | None]:
    if answer is NOT_ANSWERED:
        return None, None
    try:
        return bool(test(answer)), None
    except Exception as error:  # noqa: BLE001 - any failure to check means "not right yet"
        return False, error


def check(exercise: str, answer: Any, test: Callable[[Any], bool], hint: str | Callable[[Any], str]) -> None:
    """Print, in plain words, whether ``answer`` passes ``test``, with a hint when not.

    ``hint`` may be a function of the answer, to say what is wrong with this particular one.
    """
    verdict, error = _verdict(answer, test)
    if verdict is None:
        print(f"{exercise}: not answered yet. Replace the ... in the cell above with your answer.")
    elif verdict:
        print(f"{exercise}: correct. Well done!")
    else:
        said = f" (checking your answer raised {type(error).__name__}: {error})" if error else ""
        print(f"{exercise}: not quite. Hint: {hint_for(answer, hint)}{said}")


def hint_for(answer: Any, hint: str | Callable[[Any], str]) -> str:
    """The hint for this answer; a hint function that fails falls back to a general one."""
    if not callable(hint):
        return hint
    try:
        return hint(answer)
    except Exception:  # noqa: BLE001 - a broken hint must not hide the verdict
        return "compare your answer with the exercise's wording once more"



def check_equal(exercise: str, answer: Any, expected: Any, hint: str) -> None:
    """:func:`check` for answers that must equal one expected value."""
    check(exercise, answer, lambda value: value == expected, hint)
