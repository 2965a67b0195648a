"""The predictions table, as the app first made it (before migrations, with CREATE TABLE IF NOT EXISTS).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from fraud_app.db import UTCTimestamp  # noqa: F401 - the column type below

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("fraud_probability", sa.Float, nullable=False),
        sa.Column("is_fraud", sa.Boolean, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("model_version", sa.Text, nullable=False),
        sa.Column("label", sa.Boolean, nullable=True),
        sa.Column("created_at", UTCTimestamp, nullable=False),
        sa.Column("updated_at", UTCTimestamp, nullable=False),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("predictions")
