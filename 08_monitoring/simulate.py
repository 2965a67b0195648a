"""Simulated weeks of traffic for the deployed model: transactions, a change in the world, late labels.

The transactions come from the course's own generator (``data/generate.py``, the one that made the
training data), with a seed of their own for every week, so the weeks are new transactions drawn from
the same world as the training data, and the same seed always gives the same weeks.

Two things change in the world, as they do in a real one:

- from week ``PRICE_WEEK`` on, every amount is ``PRICE_RISE`` times what it would have been (the bank moved
  its customers to a premium card, say, and they spend twice as much). Who commits fraud does not change
  with it: the generator draws each label from the amount *relative to what is usual for the category*,
  and everything usual rose too. But the model learnt that large amounts are risky, sees many more of
  them than in training, and flags more honest payments;
- from week ``RING_WEEK`` on, a fraud ring uses stolen cards at fuel stations abroad, in the daytime, for
  ordinary amounts: ``RING_SHARE`` of the week's transactions, nearly all fraud. Nothing in the training
  data looked like it, so the model lets them through.

Labels arrive late, as in a bank: a payment is confirmed as fraud (a chargeback) or as genuine only
weeks after it was scored. Each prediction draws how many weeks its label takes from ``LABEL_DELAY``;
some are never labelled at all.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def _load_generator():
    """``data/generate.py``, the course's data generator (``data/`` is a folder, not an installed package)."""
    spec = importlib.util.spec_from_file_location("course_data_generate", ROOT / "data" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = _load_generator()

WEEKS = 8  # weeks of traffic
PER_WEEK = 1000  # transactions a week (a sample: enough for drift, few enough to send in seconds)
PRICE_WEEK = 4  # from this week on, prices are higher...
PRICE_RISE = 2.0  # ...by this factor
RING_WEEK = 6  # from this week on, a fraud ring is at work...
RING_SHARE = 0.03  # ...in this share of the transactions
RING_FRAUD = 0.95  # ...and this share of its transactions are fraud
SEED = 2026  # week w uses the seed SEED + w; the training data used 42
#: weeks until the label arrives: P(0), P(1), ... ; the rest (10 %) never arrive
LABEL_DELAY = (0.10, 0.30, 0.30, 0.20)
FEATURES = [column for column in generator.COLUMNS if column != "is_fraud"]


@dataclass(frozen=True)
class Week:
    number: int
    transactions: list[dict]  # the feature values, as the API takes them
    outcomes: list[bool]  # the truth, which the bank learns only later
    label_delays: list[int | None]  # weeks until each label arrives (None: never)


def transactions(week: int, rows: int = PER_WEEK, seed: int = SEED) -> pd.DataFrame:
    """The ``rows`` transactions of ``week`` (1, 2, ...), with their true outcome in ``is_fraud``."""
    df = generator.generate(rows, seed=seed + week)
    if week >= RING_WEEK:
        df = _with_fraud_ring(df, np.random.default_rng([seed, week, 2]))
    if week >= PRICE_WEEK:
        df["amount"] = (df["amount"] * PRICE_RISE).round(2)
    return df


def _with_fraud_ring(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """``df`` with ``RING_SHARE`` of its rows, picked at random, replaced by the fraud ring's transactions."""
    df = df.copy()
    ring = rng.choice(len(df), size=round(RING_SHARE * len(df)), replace=False)
    median = generator.CATEGORIES["fuel"][1]
    df.loc[ring, "merchant_category"] = "fuel"
    df.loc[ring, "amount"] = np.round(median * np.exp(0.3 * rng.standard_normal(ring.size)), 2)
    df.loc[ring, "hour"] = rng.integers(9, 19, ring.size)
    df.loc[ring, "is_online"] = False
    df.loc[ring, "is_foreign"] = True
    df.loc[ring, "distance_from_home_km"] = np.round(rng.lognormal(np.log(600), 0.5, ring.size), 2)
    df.loc[ring, "is_fraud"] = rng.random(ring.size) < RING_FRAUD
    return df


def label_delays(rows: int, week: int, seed: int = SEED) -> list[int | None]:
    """How many weeks each of ``rows`` labels takes to arrive (None: it never does)."""
    rng = np.random.default_rng([seed, week, 1])
    choices = rng.choice(len(LABEL_DELAY) + 1, size=rows, p=[*LABEL_DELAY, 1 - sum(LABEL_DELAY)])
    return [int(c) if c < len(LABEL_DELAY) else None for c in choices]


def as_records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts of plain Python values (numpy's numbers are not JSON)."""
    return [
        {name: (value.item() if hasattr(value, "item") else value) for name, value in row.items()}
        for row in df[FEATURES].to_dict(orient="records")
    ]


def week(number: int, rows: int = PER_WEEK, seed: int = SEED) -> Week:
    df = transactions(number, rows, seed)
    return Week(number, as_records(df), [bool(v) for v in df["is_fraud"]], label_delays(len(df), number, seed))


def weeks(count: int = WEEKS, rows: int = PER_WEEK, seed: int = SEED) -> list[Week]:
    return [week(number, rows, seed) for number in range(1, count + 1)]


def recent_data(first_week: int, last_week: int, rows_per_week: int, seed: int = SEED) -> pd.DataFrame:
    """The bank's whole labelled record of some weeks (not only the sample sent to the app), to retrain on."""
    return pd.concat([transactions(w, rows_per_week, seed + 1000) for w in range(first_week, last_week + 1)],
                     ignore_index=True)
