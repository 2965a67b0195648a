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


# Parallel runs (pytest-xdist: `make test` runs `-n auto --dist loadfile`): every test is sent to a worker with
# the rest of its file, so a notebook's cells run in order in one kernel and a module's fixtures are built once.
# Files that share something outside their own temporary folders run one after the other on one worker, in the
# order `make test` names them: the Docker engine's images and build cache (chapter 06's tests, then its notebook,
# which builds on that cache), and the screenshots a browser test writes to build/browser/ for chapters 04 and 05.
SHARED = {
    "docker": ("tests/test_docker.py", "06_docker/06_docker.ipynb"),
    "browser": ("tests/test_openapi_browser.py", "05_testing/tests/test_browser.py",
                "04_flask_app/04_flask_app.ipynb", "05_testing/05_testing.ipynb"),
}
GROUP_OF = {path: group for group, paths in SHARED.items() for path in paths}
#: Files of many slow tests that share nothing but what a module fixture makes (built again on each worker that
#: runs one of them): each test is sent alone, so that they spread over the workers instead of holding one.
SPREAD = ("tests/test_exercise_checks.py", "05_testing/tests/test_production.py")


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown, and never called, when xdist is not loaded
def pytest_xdist_make_scheduler(config, log):
    """With --dist loadfile: xdist's file-by-file scheduling, with the files of SHARED grouped.

    (xdist's own --dist loadgroup groups by renaming each test's node id, which pytest 9 no longer allows.)
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FilesAndSharedGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return nodeid if path in SPREAD else GROUP_OF.get(path, path)

    return FilesAndSharedGroups(config, log)


#: Sent to the workers first, longest first, so that no long file starts last while the other worker idles.
FIRST = ("docker", "browser", "tests/test_exercise_checks.py", "tests/test_twin.py", "tests/test_parity.py",
         "tests/test_bundle.py", "05_testing/tests/test_migrations.py", "tests/test_notebook_parameters.py")


def pytest_collection_modifyitems(config, items):
    """Put the files (and groups) of FIRST at the front, in that order; the rest keep the order they were named in.

    With xdist every worker sorts its collection the same way, which xdist requires; without it the order only
    changes which file runs first."""
    def rank(item):
        path = item.path.relative_to(ROOT).as_posix()
        scope = GROUP_OF.get(path, path)
        return FIRST.index(scope) if scope in FIRST else len(FIRST)

    items.sort(key=rank)  # stable: the cells of a notebook, and the tests of a file, keep their order
