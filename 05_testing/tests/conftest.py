"""Fixtures for the fraud app's tests, in the style of Flask's tutorial:
model_path -> app -> client, and an auth helper for the endpoints that write."""

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import course

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789"


@pytest.fixture(scope="session")
def model_path(tmp_path_factory) -> Path:
    """A model trained once per test session on the course's data, as `make model` does.

    $FRAUD_TEST_MODEL names one already trained that way instead (chapter 05's notebook trains
    once and lends its model to the suites it runs).
    """
    if os.environ.get("FRAUD_TEST_MODEL"):
        return Path(os.environ["FRAUD_TEST_MODEL"])
    from train import train  # imported here: a run that needs no model skips scikit-learn's start-up

    path = tmp_path_factory.mktemp("model") / "fraud_model.pkl"
    train(ROOT / "data" / "transactions.csv", path, seed=42)
    return path


@pytest.fixture
def app(model_path, tmp_path):
    """The app, configured for a test: its own empty database and a known token."""
    from fraud_app import create_app

    return create_app(
        {
            "TESTING": True,
            "MODEL_PATH": str(model_path),
            "DATABASE": str(tmp_path / "predictions.sqlite3"),
            "API_TOKEN": TOKEN,
        }
    )


@pytest.fixture
def client(app):
    """A test client that calls the app without a server."""
    return app.test_client()


class AuthActions:
    """The token the app is configured with, and the Authorization headers a client sends."""

    token = TOKEN
    valid = {"Authorization": f"Bearer {TOKEN}"}
    wrong = {"Authorization": "Bearer not-the-token"}


@pytest.fixture(scope="session")
def auth():
    return AuthActions()


@pytest.fixture
def transaction():
    """An ordinary, valid transaction (a fresh copy per test, so tests may change it)."""
    return {
        "amount": 42.5,
        "hour": 14,
        "merchant_category": "grocery",
        "distance_from_home_km": 3.2,
        "is_online": False,
        "is_foreign": False,
        "transactions_last_24h": 2,
        "account_age_days": 900,
    }


@pytest.fixture
def risky(transaction):
    """A transaction with every risk factor of the data card."""
    return {
        **transaction,
        "amount": 2400.0,
        "hour": 3,
        "merchant_category": "electronics",
        "distance_from_home_km": 800.0,
        "is_online": True,
        "is_foreign": True,
        "transactions_last_24h": 9,
        "account_age_days": 5,
    }


@pytest.fixture(scope="session")
def served(request, auth, tmp_path_factory):
    """The app as production runs it: gunicorn with 2 workers (as `make app`), on a free port.

    $FRAUD_TEST_SERVER names one already running that way instead (chapter 05's notebook
    lends its server to the browser test it runs).
    """
    if os.environ.get("FRAUD_TEST_SERVER"):
        yield SimpleNamespace(url=os.environ["FRAUD_TEST_SERVER"].rstrip("/"))  # all the tests use is .url
        return
    model_path = request.getfixturevalue("model_path")
    database = tmp_path_factory.mktemp("served") / "predictions.sqlite3"
    env = {"FRAUD_MODEL_PATH": str(model_path), "FRAUD_DATABASE": str(database), "FRAUD_API_TOKEN": auth.token,
           "WEB_CONCURRENCY": "2", "HOST": "127.0.0.1"}
    command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "04_flask_app" / "gunicorn.conf.py")]
    with course.serve_command(command, name="gunicorn", env=env, ready_path="/health", announce=False) as server:
        yield server
    assert server.returncode == 0, server.log()
