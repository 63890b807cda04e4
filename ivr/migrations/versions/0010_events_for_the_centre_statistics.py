"""trial calls, and indexes for the statistics read from call events

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("trial", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index("ix_calls_trial_started_at", ["trial", "started_at"], unique=False)
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_call_events_kind_created_at", ["kind", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.drop_index("ix_call_events_kind_created_at")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_trial_started_at")
        batch_op.drop_column("trial")
