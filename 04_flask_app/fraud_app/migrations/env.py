"""Alembic's environment: it runs on the connection fraud_app.migrate hands it (never a URL of its own)."""

from alembic import context

from fraud_app.db import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
