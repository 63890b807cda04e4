"""speech navigation: stream results and the media process's heartbeat (no Redis)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "speech_results",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.Double(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_speech_results")),
    )
    op.create_index(
        op.f("ix_speech_results_claimed_at"), "speech_results", ["claimed_at"], unique=False
    )
    op.create_table(
        "media_heartbeats",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("beat_at", sa.Double(), nullable=False),
        sa.Column("status", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_media_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("media_heartbeats")
    op.drop_index(op.f("ix_speech_results_claimed_at"), table_name="speech_results")
    op.drop_table("speech_results")
