"""Expired idempotency keys can be purged: an index on `expires_at`, and on PostgreSQL the one way
past the owner policy, for expired rows only and only in a transaction that says it is purging.

The purge (adapters/sqlmodel/maintenance.py) deletes every owner's expired keys, which the owner
policy of 0005 would hide from it. These two policies let a transaction that has set
`app.purge` to 'expired' see and delete rows whose `expires_at` has passed, and nothing else:
ordinary transactions never set it, so the second wall stands for them as before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PURGING_EXPIRED = "current_setting('app.purge', true) = 'expired' AND expires_at <= now()"


def upgrade() -> None:
    op.create_index(op.f("ix_idempotency_keys_expires_at"), "idempotency_keys", ["expires_at"])
    if op.get_bind().dialect.name != "postgresql":
        return
    # A DELETE with a WHERE reads the rows it deletes, so it needs a SELECT policy as well.
    for command in ("SELECT", "DELETE"):
        op.execute(
            f"CREATE POLICY idempotency_keys_purge_{command.lower()} ON idempotency_keys"
            f" FOR {command} USING ({_PURGING_EXPIRED})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for command in ("select", "delete"):
            op.execute(f"DROP POLICY idempotency_keys_purge_{command} ON idempotency_keys")
    op.drop_index(op.f("ix_idempotency_keys_expires_at"), table_name="idempotency_keys")
