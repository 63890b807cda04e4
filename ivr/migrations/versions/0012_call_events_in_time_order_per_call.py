"""call events indexed by call in time order (replaces the index on call_id alone)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:30:00.000000
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_call_events_call_id_created_at", ["call_id", "created_at", "id"], unique=False
        )
        batch_op.drop_index("ix_call_events_call_id")


def downgrade() -> None:
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.create_index("ix_call_events_call_id", ["call_id"], unique=False)
        batch_op.drop_index("ix_call_events_call_id_created_at")
