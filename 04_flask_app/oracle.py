"""What an open scoring endpoint gives away: a search that tunes a transaction until it is not flagged.

The attacker knows nothing about the model. They only send transactions to ``/api/v1/predict`` and read
the exact probability it answers, and the model card tells them the threshold. Changing one thing they
control at a time (the amount, the shop, the hour, how many payments), and keeping whatever lowers the
probability most, walks a flagged purchase below the threshold in a few dozen requests. Each answer is
an *oracle*: it says how close the fraud is to passing, and in which direction to move.

The fraud app answers that only in its open demo (FRAUD_OPEN_DEMO=on), which chapter 04 switches on to show
this search. By default a client without the token gets the decision alone, the model card keeps the
threshold, and each client may score so many transactions (fraud_app.disclosure, fraud_app.ratelimit): the
same search, given only yes or no, has nothing to follow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

#: What someone with a stolen card can choose; what they cannot (the account's age, the card's country) stays.
CHOICES: dict[str, Sequence] = {
    "amount": (1200.0, 600.0, 300.0, 150.0, 80.0),
    "merchant_category": ("grocery", "restaurant", "fuel", "online_retail", "travel", "entertainment"),
    "hour": (9, 12, 15, 18, 21),
    "transactions_last_24h": (5, 3, 2, 1),
    "is_online": (False,),
    "distance_from_home_km": (100.0, 20.0, 5.0),
}


def tune(
    score: Callable[[dict], float],
    transaction: Mapping,
    threshold: float,
    choices: Mapping[str, Sequence] = CHOICES,
    max_rounds: int = 10,
) -> tuple[dict, list[tuple[str, object, float]], int]:
    """Greedy search: change the one field that lowers ``score`` most, until it is under ``threshold``.

    Returns the tuned transaction, the steps taken (field, new value, probability after) and how many
    times ``score`` was called (each call is one request to the service).
    """
    current, probability = dict(transaction), score(dict(transaction))
    steps, calls = [], 1
    for _ in range(max_rounds):
        if probability < threshold:
            break
        best = None
        for field, values in choices.items():
            for value in values:
                if value == current[field]:
                    continue
                tried = score({**current, field: value})
                calls += 1
                if best is None or tried < best[2]:
                    best = (field, value, tried)
        if best is None or best[2] >= probability:
            break  # nothing lowers it further
        current[best[0]], probability = best[1], best[2]
        steps.append(best)
    return current, steps, calls
