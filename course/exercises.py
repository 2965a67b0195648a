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
#: The hint given when a hint function itself fails.
FALLBACK_HINT = "compare your answer with the exercise's wording once more"


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
        text = hint_for(answer, hint)
        # A hint function speaks about this very answer; a fixed hint gets the plain words of what went wrong.
        said = f" ({plain_words(answer, error)})" if error and (not callable(hint) or text == FALLBACK_HINT) else ""
        print(f"{exercise}: not quite. Hint: {text}{said}")


def plain_words(answer: Any, error: Exception) -> str:
    """Why the check could not read ``answer``, in words a learner knows: never an exception's name.

    A check that raises while it reads an answer (``answer["id"]`` on a list, ``.strip()`` on a
    number) found an answer of another shape than the exercise asks for; that is what to say.
    """
    kind = describe(answer)
    if callable(answer) and not isinstance(answer, type):
        return "your function failed on one of the inputs the check tried; call it yourself on a few of them"
    if isinstance(error, KeyError):
        return f"your answer has no {error.args[0]!r} in it" if error.args else "something is missing from your answer"
    if isinstance(error, IndexError):
        return "your answer has fewer items than the exercise asks for"
    if isinstance(error, AttributeError | TypeError):
        return f"your answer is {kind}, which is not the kind of value the exercise asks for"
    if isinstance(error, ValueError):
        return "your answer has the right kind, but a value the exercise cannot use"
    return "your answer could not be read as the exercise asks; compare its kind with the exercise's wording"


KINDS = {bool: "True or False", int: "a whole number", float: "a number", str: "a string", list: "a list",
         tuple: "a tuple", set: "a set", dict: "a dict", type(None): "None"}


def describe(value: Any) -> str:
    """The kind of ``value`` in plain words: "a list", "a string", "a function"."""
    if callable(value) and not isinstance(value, type):
        return "a function"
    return KINDS.get(type(value), f"a {type(value).__name__} object")


def hint_for(answer: Any, hint: str | Callable[[Any], str]) -> str:
    """The hint for this answer; a hint function that fails falls back to a general one."""
    if not callable(hint):
        return hint
    try:
        return hint(answer)
    except Exception:  # noqa: BLE001 - a broken hint must not hide the verdict
        return FALLBACK_HINT


def check_equal(exercise: str, answer: Any, expected: Any, hint: str) -> None:
    """:func:`check` for answers that must equal one expected value."""
    check(exercise, answer, lambda value: value == expected, hint)
