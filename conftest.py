"""Fixtures shared by every test suite of the course (tests/ and 05_testing/tests/)."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


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


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server (course/postgres.py), started once for the session, stopped at its end.

    Without PostgreSQL installed, the tests that need it are skipped and say why; with CI=true they fail.
    """
    from course.postgres import PostgresNotFound, start_postgres

    try:
        server = start_postgres()
    except PostgresNotFound as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{error}; CI=true needs it (.ci/run installs it)", pytrace=False)
        pytest.skip(str(error))
    yield server
    server.stop()
