"""calls indexed by the caller's number, newest first within it (call trace search)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 10:00:00.000000
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_calls_from_number_started_at", ["from_number", "started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_from_number_started_at")
