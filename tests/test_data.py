"""The course's data set: data/transactions.csv is what data/generate.py says it is, byte for byte."""

from pathlib import Path

import pandas as pd
import pytest

from data.generate import generate, main, write_csv

CSV = Path(__file__).resolve().parent.parent / "data" / "transactions.csv"

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
CATEGORIES = {"grocery", "restaurant", "fuel", "online_retail", "travel", "electronics", "entertainment"}


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    """The committed data set, read once, the way the notebooks read it."""
    return pd.read_csv(CSV)


def test_columns_in_order(df):
    assert list(df.columns) == COLUMNS


def test_dtypes_when_read_with_pandas(df):
    expected = {
        "amount": "float64",
        "hour": "int64",
        "distance_from_home_km": "float64",
        "is_online": "bool",
        "is_foreign": "bool",
        "transactions_last_24h": "int64",
        "account_age_days": "int64",
        "is_fraud": "bool",
    }
    assert {column: str(df[column].dtype) for column in expected} == expected
    assert pd.api.types.is_string_dtype(df["merchant_category"])


def test_row_count_and_no_missing_values(df):
    assert len(df) == 20_000
    assert not df.isna().any().any()


def test_ranges(df):
    assert (df["amount"] >= 0).all()
    assert df["hour"].between(0, 23).all()
    assert (df["distance_from_home_km"] >= 0).all()
    assert (df["transactions_last_24h"] >= 0).all()
    assert (df["account_age_days"] >= 0).all()


def test_every_category_present_and_no_other(df):
    counts = df["merchant_category"].value_counts()
    assert set(counts.index) == CATEGORIES
    assert (counts >= 0.01 * len(df)).all()


@pytest.mark.parametrize("column", ["amount", "distance_from_home_km"])
def test_floats_written_with_two_decimals(column):
    text = pd.read_csv(CSV, usecols=[column], dtype=str)[column]
    assert text.str.fullmatch(r"\d+\.\d\d").all()


def test_online_is_consistent_with_category(df):
    online = df.groupby("merchant_category")["is_online"].mean()
    assert online["fuel"] == 0
    assert online["online_retail"] > 0.9


def test_fraud_rate_about_two_percent(df):
    assert 0.015 <= df["is_fraud"].mean() <= 0.025


@pytest.mark.parametrize(
    ("factor", "mask"),
    [
        ("night", lambda d: (d["hour"] >= 22) | (d["hour"] < 5)),
        ("foreign", lambda d: d["is_foreign"]),
        ("online electronics", lambda d: d["is_online"] & (d["merchant_category"] == "electronics")),
        ("burst of transactions", lambda d: d["transactions_last_24h"] >= 5),
        ("new account", lambda d: d["account_age_days"] < 30),
    ],
)
def test_fraud_depends_on_risk_factor(df, factor, mask):
    """Directional check: where a risk factor is present, fraud is clearly more frequent."""
    overall = df["is_fraud"].mean()
    assert df.loc[mask(df), "is_fraud"].mean() > 2 * overall, factor


def test_same_seed_gives_the_committed_bytes(tmp_path):
    out = tmp_path / "transactions.csv"
    write_csv(generate(), out)
    assert out.read_bytes() == CSV.read_bytes()


def test_other_seed_gives_other_data():
    assert not generate(n_rows=500, seed=1).equals(generate(n_rows=500, seed=2))


def test_cli_prints_one_line_without_absolute_path(tmp_path, capsys):
    main(["--rows", "300", "--seed", "7", "--out", str(tmp_path / "small.csv")])
    line = capsys.readouterr().out
    assert line.startswith("wrote 300 rows (")
    assert line.count("\n") == 1
    assert not Path(line.rsplit(" to ", 1)[1].strip()).is_absolute()
    assert len(pd.read_csv(tmp_path / "small.csv")) == 300
