"""option 4 locks keyed by a keyed hash of the personal number, for unknown numbers too

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:00:00.000000

Wrong-password counts and locks move from ``personal_accounts`` to
``account_lookup_locks``, keyed by HMAC-SHA256(SECRET_KEY, personal number):
moving them needs SECRET_KEY (``ivr db upgrade`` passes it).
"""

import hashlib
import hmac

import sqlalchemy as sa
from alembic import context, op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

accounts = sa.table(
    "personal_accounts",
    sa.column("id", sa.Integer()),
    sa.column("personal_number", sa.String()),
    sa.column("failed_attempts", sa.Integer()),
    sa.column("locked_until", sa.DateTime(timezone=True)),
)
locks = sa.table(
    "account_lookup_locks",
    sa.column("key", sa.String()),
    sa.column("account_id", sa.Integer()),
    sa.column("failed_attempts", sa.Integer()),
    sa.column("locked_until", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    counted = op.get_bind().execute(
        sa.select(accounts).where(
            sa.or_(accounts.c.failed_attempts > 0, accounts.c.locked_until.is_not(None))
        )
    )
    rows = [  # keyed first: without SECRET_KEY nothing changes
        {
            "key": _key(row.personal_number),
            "account_id": row.id,
            "failed_attempts": row.failed_attempts,
            "locked_until": row.locked_until,
        }
        for row in counted
    ]
    op.create_table(
        "account_lookup_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["personal_accounts.id"],
            name=op.f("fk_account_lookup_locks_account_id_personal_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_lookup_locks")),
        sa.UniqueConstraint("key", name=op.f("uq_account_lookup_locks_key")),
    )
    if rows:
        op.bulk_insert(locks, rows)
    with op.batch_alter_table("personal_accounts", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_attempts")


def _key(personal_number: str) -> str:
    secret = context.config.attributes.get("secret_key", "")
    if not secret:
        raise RuntimeError(
            "moving option 4's wrong-password counts needs SECRET_KEY: run `ivr db upgrade`"
        )
    return hmac.new(secret.encode(), personal_number.encode(), hashlib.sha256).hexdigest()


def downgrade() -> None:
    with op.batch_alter_table("personal_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    for row in op.get_bind().execute(sa.select(locks).where(locks.c.account_id.is_not(None))):
        op.execute(
            accounts.update()
            .where(accounts.c.id == row.account_id)
            .values(failed_attempts=row.failed_attempts, locked_until=row.locked_until)
        )
    op.drop_table("account_lookup_locks")
