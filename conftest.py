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


# Parallel runs (pytest-xdist, `make test` runs `-n auto --dist loadgroup`): every test is sent to a worker
# with the rest of its file, so a notebook's cells run in order in one kernel and a module's fixtures are built
# once. Files that share something outside their own temporary folders run one after the other on one worker,
# in the order `make test` names them: the Docker engine's images and build cache (chapter 06's tests, then its
# notebook, which builds on that cache), and the screenshots a browser test writes to build/browser/ for
# chapters 04 and 05 to show.
SHARED = {
    "docker": ("tests/test_docker.py", "06_docker/06_docker.ipynb"),
    "browser": ("05_testing/tests/test_browser.py", "tests/test_openapi_browser.py",
                "04_flask_app/04_flask_app.ipynb", "05_testing/05_testing.ipynb"),
}
GROUP_OF = {path: group for group, paths in SHARED.items() for path in paths}


def pytest_configure(config):
    # Declared here too, for runs without xdist (its own declaration comes only with the plugin).
    config.addinivalue_line("markers", "xdist_group(name): run with the other tests of this group on one worker")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.path.relative_to(ROOT).as_posix()
        item.add_marker(pytest.mark.xdist_group(GROUP_OF.get(path, path)))
