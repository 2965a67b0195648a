"""Fixtures for the fraud app's tests, in the style of Flask's tutorial:
model_path -> app -> client, and an auth helper for the endpoints that write."""

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from course.fraud_server import gunicorn_fraud_app

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789"


@pytest.fixture
def app(model_path, tmp_path, database_url):
    """The app, configured for a test: its own empty database and a known token.

    The database is a SQLite file, or PostgreSQL in a test parametrized with ``backend`` (see below).
    """
    from fraud_app import create_app

    app = create_app(
        {
            "TESTING": True,
            "MODEL_PATH": str(model_path),
            "DATABASE": str(tmp_path / "predictions.sqlite3"),
            "DATABASE_URL": database_url,
            "API_TOKEN": TOKEN,
        }
    )
    yield app
    app.extensions["fraud_db"].dispose()  # close its pooled connections now, not whenever it is collected


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


#: The session's servers have names of their own: course.serve_command stops a running server of the same name
#: (a notebook cell run twice), and another test file's "gunicorn" must not stop the one these tests share.
SESSION_SERVER = "gunicorn (the suite's shared server)"


@pytest.fixture(scope="session")
def served(request, auth, tmp_path_factory):
    """The app as production runs it: gunicorn with 2 workers (as `make app`), on a free port.

    $FRAUD_TEST_SERVER names one already running that way instead (chapter 05's notebook
    lends its server to the browser test it runs).
    """
    if os.environ.get("FRAUD_TEST_SERVER"):
        yield SimpleNamespace(url=os.environ["FRAUD_TEST_SERVER"].rstrip("/"))  # all the tests use is .url
        return
    database = tmp_path_factory.mktemp("served") / "predictions.sqlite3"
    yield from serve_with_gunicorn(request.getfixturevalue("model_path"), auth,
                                   {"FRAUD_DATABASE": str(database), "DATABASE_URL": ""}, name=SESSION_SERVER)


def serve_with_gunicorn(model_path, auth, database_env, name):
    """gunicorn with 2 workers serving the app on a free port, its database named in ``database_env``."""
    with gunicorn_fraud_app(model_path, auth.token, {"DATABASE_URL": "", **database_env}, name=name) as server:
        yield server


# --- The database: SQLite by default, PostgreSQL for the tests parametrized with `backend` -----------------
#
# A test module runs its tests on both databases with
#     pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
# Each PostgreSQL test gets an empty table in a database of a server that the session starts once (the
# `postgres` fixture of the repository's conftest.py).



@pytest.fixture
def backend(request) -> str:
    """The database of the `app` fixture: "sqlite", unless the test is parametrized with another."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def postgres_tests_database(postgres) -> str:
    """The DATABASE_URL of a PostgreSQL database for the app fixture's tests."""
    return postgres.create_database("app_tests")


@pytest.fixture
def database_url(request, backend) -> str | None:
    """The app's DATABASE_URL: None (the SQLite file DATABASE) or a PostgreSQL database without the table."""
    if backend == "sqlite":
        return None
    url = request.getfixturevalue("postgres_tests_database")
    with request.getfixturevalue("postgres").connect("app_tests") as connection:
        connection.execute("DROP TABLE IF EXISTS predictions")  # the app creates it afresh: ids start at 1
        connection.execute("DROP TABLE IF EXISTS alembic_version")  # and its migration history with it
    return url


@pytest.fixture(scope="session")
def served_postgresql(request, auth, postgres):
    """Like `served`, with its predictions stored in PostgreSQL (a database of its own)."""
    url = postgres.create_database("served")
    yield from serve_with_gunicorn(request.getfixturevalue("model_path"), auth, {"DATABASE_URL": url},
                                   name=f"{SESSION_SERVER} (PostgreSQL)")
