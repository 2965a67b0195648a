"""Generate the course's data set: synthetic card transactions, some of them fraud.

No real data set may be downloaded while the course runs, so we make our own. The idea, in two steps:

1. Draw each transaction the way ordinary card use looks: a merchant category, an amount typical of
   that category, an hour following the daily rhythm, online or not, at home or abroad, and so on.
2. Give each transaction a hidden *risk score*, in log-odds: a very low baseline (an ordinary
   transaction is almost never fraud), plus one term per risk factor, each a pattern that fraud
   analysts really look for (+6 multiplies the odds of fraud by e**6, about 400), plus noise that
   the columns cannot explain. The label is then drawn at random with probability sigmoid(score),
   plus a small floor for fraud that looks exactly like normal use.

So fraud depends on the features in a learnable but imperfect way: a good model finds the risk
factors, but none can be perfect, because the noise, the floor and the coin flip are not in the data.
Several factors are not straight lines in the raw columns (night wraps around midnight, "a large
amount" depends on the category, only a *burst* of transactions or a *new* account counts), so a
plain logistic regression on the raw columns does clearly worse than a model that can bend.

Everything random comes from one ``numpy.random.default_rng(seed)`` and the CSV is written with fixed
formatting, so the same seed gives the same bytes on every run (for the pinned numpy version).

    python data/generate.py                                   # writes data/transactions.csv
    python data/generate.py --rows 1000 --seed 7 --out small.csv
"""

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
DEFAULT_OUT = HERE / "transactions.csv"

COLUMNS = [
    "amount",
    "hour",
    "merchant_category",
    "distance_from_home_km",
    "is_online",
    "is_foreign",
    "transactions_last_24h",
    "account_age_days",
    "is_fraud",
]

# category: (share of transactions, median amount in euros, spread of log(amount), P(online), P(foreign))
CATEGORIES = {
    "grocery": (0.30, 35.0, 0.60, 0.08, 0.02),
    "restaurant": (0.18, 28.0, 0.55, 0.12, 0.03),
    "fuel": (0.12, 55.0, 0.35, 0.00, 0.03),
    "online_retail": (0.17, 45.0, 0.80, 0.95, 0.10),
    "travel": (0.05, 250.0, 0.90, 0.60, 0.35),
    "electronics": (0.07, 150.0, 0.90, 0.45, 0.05),
    "entertainment": (0.11, 30.0, 0.70, 0.40, 0.04),
}

# Relative number of transactions per hour of the day (00-23): quiet at night, peaks at noon and 18-19.
HOUR_WEIGHTS = np.array([2, 1, 1, 1, 1, 2, 4, 7, 9, 9, 9, 10, 12, 11, 9, 9, 10, 12, 13, 12, 10, 8, 6, 4], dtype=float)

INTERCEPT = -13.25  # baseline log-odds, chosen so that about 2 % of transactions are fraud
NOISE = 1.0  # spread of the risk no column can explain: keeps the problem imperfect
FLOOR = 0.002  # chance that any transaction is fraud that looks exactly like normal use


def generate(n_rows: int = 20_000, seed: int = 42) -> pd.DataFrame:
    """Return ``n_rows`` synthetic transactions; the same seed always gives the same rows."""
    rng = np.random.default_rng(seed)
    names = np.array(list(CATEGORIES))
    share, median, spread, p_online, p_foreign = (np.array(v) for v in zip(*CATEGORIES.values(), strict=True))

    # Step 1: ordinary card use.
    cat = rng.choice(len(names), size=n_rows, p=share)
    amount = np.maximum(median[cat] * np.exp(spread[cat] * rng.standard_normal(n_rows)), 0.5)
    hour = rng.choice(24, size=n_rows, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    is_online = rng.random(n_rows) < p_online[cat]
    is_foreign = rng.random(n_rows) < p_foreign[cat]
    # Distance from home to where the card was used (the shop, or the device for online purchases).
    near, far = rng.lognormal(np.log(4), 1.0, n_rows), rng.lognormal(np.log(600), 0.8, n_rows)
    distance = np.where(is_foreign, far, near)
    tx_24h = rng.negative_binomial(2, 0.5, n_rows)  # mostly 0-4, with a long tail
    account_age = np.floor(rng.exponential(1200, n_rows)).astype(np.int64)

    # Step 2: the hidden risk score, one line per risk factor.
    score = np.full(n_rows, INTERCEPT)
    # Night (22:00-04:59): a thief uses the card while its owner sleeps and cannot notice.
    score += 6.0 * ((hour >= 22) | (hour < 5))
    # Much more than usual *for this category*: fraudsters cash out fast. 300 EUR is normal for travel,
    # not for groceries, so the factor is the log-ratio to the category's median, not the raw amount.
    score += 4.0 * np.maximum(np.log(amount / median[cat]), 0)
    # Far from home: the card (or its number) is being used where its owner does not live.
    score += 0.4 * np.log1p(distance / 10)
    # Abroad: stolen card numbers are often sold and used in another country.
    score += 1.0 * is_foreign
    # Online: the card itself is not needed, only its number ("card not present").
    score += 0.5 * is_online
    # Online electronics: easy to resell, and nobody at a counter checks who is paying.
    score += 6.0 * (is_online & (names[cat] == "electronics"))
    # A burst of transactions: a stolen card is drained quickly, or tested with many small purchases.
    score += 2.0 * np.maximum(tx_24h - 4, 0)
    # New account (under 30 days): accounts opened with stolen identities are used at once.
    score += 6.0 * (account_age < 30)
    # What no column shows (the fraudster's skill, luck, ...): the model cannot learn this part.
    score += rng.normal(0, NOISE, n_rows)
    # Some fraud looks exactly like its owner's own use of the card: no model can catch that part.
    p_fraud = FLOOR + (1 - FLOOR) / (1 + np.exp(-score))
    is_fraud = rng.random(n_rows) < p_fraud

    df = pd.DataFrame(
        {
            "amount": np.round(amount, 2),
            "hour": hour.astype(np.int64),
            "merchant_category": names[cat],
            "distance_from_home_km": np.round(distance, 2),
            "is_online": is_online,
            "is_foreign": is_foreign,
            "transactions_last_24h": tx_24h.astype(np.int64),
            "account_age_days": account_age,
            "is_fraud": is_fraud,
        }
    )
    return df[COLUMNS]


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``df`` with fixed formatting, so that the same data always gives the same bytes."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, float_format="%.2f", lineterminator="\n", encoding="utf-8")


def _shown(path: Path) -> str:
    """``path`` relative to the repository root, for messages (never an absolute path)."""
    try:
        return Path(os.path.relpath(path.resolve(), REPO_ROOT)).as_posix()
    except ValueError:  # Windows: another drive
        return path.name


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="number of transactions (default 20000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV file to write")
    args = parser.parse_args(argv)

    df = generate(args.rows, args.seed)
    write_csv(df, args.out)
    n_fraud = int(df["is_fraud"].sum())
    print(f"wrote {len(df)} rows ({n_fraud} fraud, {100 * n_fraud / len(df):.2f} %) to {_shown(args.out)}")


if __name__ == "__main__":
    main()
