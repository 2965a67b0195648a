"""Three tests of one rule of the fraud app, an hour runs from 0 to 23. All three pass: which can fail?

Chapter 05 runs this file twice with plain pytest: on the app as it is, and on a copy of the app with
a bug planted in its range check (planted.py). Only a test that goes red on that copy guards the rule.
"""

import pytest

from fraud_app.schema import check_value

HOUR = {"name": "hour", "type": "int", "min": 0, "max": 23}  # the rule, as the model's metadata states it


def verdict(hour):
    return "accepted" if check_value(HOUR, hour) is None else "refused"


def test_hour_24_gets_an_answer():
    """Cannot fail: it accepts either answer, like `status_code in (200, 404)` where only one is right."""
    assert verdict(24) in ("accepted", "refused")


def test_a_bad_hour_is_refused():
    """Can fail, but only for values far from the edges, where slips are rare."""
    assert verdict(99) == "refused"
    assert verdict(12) == "accepted"


@pytest.mark.parametrize(("hour", "expected"), [(0, "accepted"), (23, "accepted"), (-1, "refused"), (24, "refused")])
def test_each_edge_of_the_range(hour, expected):
    """Both edges of the range, and one step beyond each: where an off-by-one hides."""
    assert verdict(hour) == expected
