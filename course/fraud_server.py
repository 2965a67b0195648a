"""The fraud app served as production serves it, for the test suites: gunicorn, two workers, loopback.

Used by chapter 05's suite (its ``served`` fixtures) and by tests/ (schemathesis against the real
server), so that there is one way to start it. The app reads everything from the environment, as on a
platform: the model, the token, the database (a throwaway SQLite file unless ``env`` says otherwise).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from course.servers import ProcessServer, serve_command

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = ROOT / "04_flask_app" / "gunicorn.conf.py"


@contextlib.contextmanager
def gunicorn_fraud_app(model_path: str | Path, token: str, env: Mapping[str, str], name: str = "gunicorn",
                       workers: int = 2) -> Iterator[ProcessServer]:
    """gunicorn (the course's gunicorn.conf.py) serving the app on a free loopback port; stopped at the end.

    ``env`` names the database (FRAUD_DATABASE, or DATABASE_URL) and any other setting. The server
    must stop cleanly (exit status 0): an AssertionError with its log says otherwise.
    """
    settings = {"FRAUD_MODEL_PATH": str(model_path), "FRAUD_API_TOKEN": token, "WEB_CONCURRENCY": str(workers),
                "HOST": "127.0.0.1", **env}
    command = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG)]
    with serve_command(command, name=name, env=settings, ready_path="/health", announce=False) as server:
        yield server
    assert server.returncode == 0, server.log()
