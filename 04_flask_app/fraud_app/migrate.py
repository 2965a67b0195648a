"""Schema migrations with Alembic: bring the database to the schema this code expects.

    python -m fraud_app.release        # what the Procfile's `release:` phase runs on Heroku

The schema is a chain of revisions in fraud_app/migrations/versions/, each a small upgrade (Alembic,
SQLAlchemy's migration tool, is what teams use; `alembic revision` writes a new one). The database
records its revision in the table alembic_version. ``upgrade`` runs every step it lacks, in order, in
one transaction (PostgreSQL: under an advisory lock, so two dynos starting at once do not both migrate).

- a new, empty database: every revision runs;
- a database made before migrations (the table, no alembic_version): if its table has the columns of
  revision 0001 it is recorded as 0001 ("stamped"), then upgraded; otherwise refused;
- a database at a revision this code does not know (made by a newer release): refused, with one
  line, instead of a 500 at the first request.

On Heroku the release phase runs this before the new code serves a request: a migration that fails
stops the release, and the running dynos keep serving the previous one. The app runs the same
``upgrade`` at start-up (a no-op once released), so `make app` and a laptop need no extra step.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

FOLDER = Path(__file__).with_name("migrations")
BASELINE = "0001"
SCHEMA_LOCK = 20_240_610  # PostgreSQL: the number of the advisory lock held while migrating (any number will do)


class MigrationError(Exception):
    """The database's schema cannot be brought to this code's; the message says why, on one line."""


def alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(FOLDER))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    return ScriptDirectory(str(FOLDER)).get_current_head()


def upgrade(connection) -> str:
    """Migrate the database of ``connection`` (in a transaction) to the head revision; returns it."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK)))
    current = MigrationContext.configure(connection).get_current_revision()
    script = ScriptDirectory(str(FOLDER))
    config = alembic_config(connection)
    if current is None and sa.inspect(connection).has_table("predictions"):
        columns = {column["name"] for column in sa.inspect(connection).get_columns("predictions")}
        missing = sorted(EXPECTED_COLUMNS - columns)
        if missing:
            raise MigrationError(
                f"its predictions table was not made by this app (it lacks {', '.join(missing)}) and has no "
                "migration history: move it away or point the app at another database"
            )
        command.stamp(config, BASELINE)
    elif current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise MigrationError(
            f"the database is at schema revision {current}, which this code does not know (a newer release "
            "made it): deploy that release again, or migrate it down with that release's code"
        )
    command.upgrade(config, "head")
    return head()


EXPECTED_COLUMNS = {
    "id", "inputs", "fraud_probability", "is_fraud", "threshold", "model_version", "label", "created_at", "updated_at",
}
