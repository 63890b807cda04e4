"""personal accounts and fax requests

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:11:33.793690
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "personal_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("personal_number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("pension_balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("months_contributed", sa.Integer(), nullable=False),
        sa.Column("last_contribution", sa.Date(), nullable=True),
        sa.Column("medical_balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_accounts")),
        sa.UniqueConstraint("personal_number", name=op.f("uq_personal_accounts_personal_number")),
    )
    op.create_table(
        "fax_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("document_key", sa.String(length=16), nullable=False),
        sa.Column("document_title", sa.String(length=200), nullable=False),
        sa.Column("fax_number", sa.String(length=32), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("provider_ref", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_fax_requests_call_id_calls"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fax_requests")),
    )
    with op.batch_alter_table("fax_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fax_requests_call_sid"), ["call_sid"], unique=False)
        batch_op.create_index(batch_op.f("ix_fax_requests_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fax_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fax_requests_status"))
        batch_op.drop_index(batch_op.f("ix_fax_requests_call_sid"))

    op.drop_table("fax_requests")
    op.drop_table("personal_accounts")
