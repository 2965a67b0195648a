"""The release phase: migrate the configured database, then exit (Heroku runs it before each release).

    release: python -m fraud_app.release          (07_heroku/Procfile)

It prints one line: the database (password hidden) and its schema revision, or why it failed
(exit status 1: Heroku then stops the release and keeps the previous one serving).

Locally, honcho would start every line of the Procfile together, and stop them all when the release
line ends: run `honcho start web` (the app migrates at start-up too), or the release first:
`honcho run python -m fraud_app.release`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import sqlalchemy as sa

from fraud_app import db, migrate
from fraud_app.config import ConfigError, load_config


def main() -> int:
    """Migrate the configured database (the release phase); one line on failure, exit status 1."""
    try:
        config = load_config()
        url = db.database_url(config)
        if url.get_backend_name() == "sqlite":  # a laptop's `honcho start`: the file's folder may not exist yet
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = db.create_engine(url)
        try:
            with engine.begin() as connection:
                revision = migrate.upgrade(connection)
        finally:
            engine.dispose()
    except (ConfigError, db.DatabaseError, migrate.MigrationError) as error:
        print(f"fraud_app release: {error}", file=sys.stderr)
        return 1
    except sa.exc.SQLAlchemyError as error:
        print(f"fraud_app release: {db.describe(url, config)}: {db.reason(error)}", file=sys.stderr)
        return 1
    print(f"fraud_app release: {url.render_as_string(hide_password=True)} is at schema revision {revision}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
