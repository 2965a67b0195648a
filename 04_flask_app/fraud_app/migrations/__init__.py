"""Alembic migrations of the stored predictions (see fraud_app.migrate). Each file in versions/ is one step."""
