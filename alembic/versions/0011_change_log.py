"""The change log behind the sync feed: every committed change to a task or a list, by its owner's
feed position, written by the database itself in the same transaction as the change.

`change_counters` holds each owner's last position; `changes` one row per change (which item,
upsert or delete). Triggers on `tasks` and `lists` write them, so every path that changes a row
is logged: the repositories' statements, and the cascades a deleted list or parent brings.

Positions are in commit order, per owner. On PostgreSQL the triggers are deferred constraint
triggers, which run during COMMIT: the counter row is taken there, and held only until the commit
is done, so a transaction that commits later always gets a later position, and a reader that sees a
position sees every one before it. (Numbers drawn from a sequence when the change is made would be
in the order the changes were made, not committed: a reader could pass 11 while 10 is still
uncommitted, and never see it.) On SQLite one writer at a time holds the database: positions drawn
in its transaction are in commit order as they are.

Row-level security binds both tables like `tasks`; the purge of old changes (maintenance.py) sees
only rows older than the cutoff its transaction names, and only when it says it is purging.

A change to an owner that some live stream listens for (a row in `change_listeners`, kept fresh
while the stream is open) also notifies channel `tasks_changes` (PostgreSQL), its payload the owner:
delivered at commit and never on rollback, it is what streams served by other processes wait for.
Only then: a transaction that notifies holds a lock over the whole database during its COMMIT, so
notifying on every change would put every writer's commit in one queue (0.6x the creates a second).

SQLite: a migration that rebuilds `tasks` or `lists` (a batch) drops their triggers; make them again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWNER_MATCHES = "user_id = current_setting('app.user_id', true)"
_PURGING = (
    "current_setting('app.purge', true) = 'expired'"
    " AND changed_at < current_setting('app.purge_changes_before', true)::timestamptz"
)
_PURGING_LISTENERS = "current_setting('app.purge', true) = 'expired' AND until < now()"
_KINDS = {"tasks": "task", "lists": "list"}
_SQLITE_EVENTS = (("insert", "NEW", "upsert"), ("update", "NEW", "upsert"), ("delete", "OLD", "delete"))

_POSTGRES_FUNCTION = """
CREATE FUNCTION log_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    _owner text := CASE TG_OP WHEN 'DELETE' THEN OLD.user_id ELSE NEW.user_id END;
    _item uuid := CASE TG_OP WHEN 'DELETE' THEN OLD.id ELSE NEW.id END;
    _seq bigint;
BEGIN
    INSERT INTO change_counters AS counter (user_id, last_seq) VALUES (_owner, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_seq = counter.last_seq + 1
    RETURNING counter.last_seq INTO _seq;
    INSERT INTO changes (user_id, seq, kind, item_id, op, changed_at)
    VALUES (_owner, _seq, TG_ARGV[0], _item,
            CASE TG_OP WHEN 'DELETE' THEN 'delete' ELSE 'upsert' END, now());
    IF EXISTS (SELECT FROM change_listeners WHERE user_id = _owner AND until > now()) THEN
        PERFORM pg_notify('tasks_changes', _owner);
    END IF;
    RETURN NULL;
END
$$
"""

# The row a change is about: NEW, or OLD for a deletion.
_SQLITE_TRIGGER = """
CREATE TRIGGER {table}_log_{event} AFTER {event_upper} ON {table} BEGIN
    INSERT INTO change_counters (user_id, last_seq) VALUES ({row}.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_seq = last_seq + 1;
    INSERT INTO changes (user_id, seq, kind, item_id, op, changed_at)
    SELECT {row}.user_id, last_seq, '{kind}', {row}.id, '{op}', strftime('%Y-%m-%d %H:%M:%f', 'now')
    FROM change_counters WHERE user_id = {row}.user_id;
END
"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "change_counters",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_change_counters")),
    )
    op.create_table(
        "changes",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('task', 'list')", name=op.f("ck_changes_kind_known")),
        sa.CheckConstraint("op IN ('upsert', 'delete')", name=op.f("ck_changes_op_known")),
        sa.PrimaryKeyConstraint("user_id", "seq", name=op.f("pk_changes")),
    )
    op.create_index(op.f("ix_changes_changed_at"), "changes", ["changed_at"])
    op.create_table(
        "change_listeners",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_change_listeners")),
    )
    if not postgres:
        for table, kind in _KINDS.items():
            for event, row, change in _SQLITE_EVENTS:
                op.execute(
                    _SQLITE_TRIGGER.format(
                        table=table, event=event, event_upper=event.upper(), row=row, kind=kind, op=change
                    )
                )
        return
    for table in ("change_counters", "changes", "change_listeners"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_owner ON {table} USING ({_OWNER_MATCHES}) WITH CHECK ({_OWNER_MATCHES})"
        )
    # A DELETE with a WHERE reads the rows it deletes, so it needs a SELECT policy as well.
    for command in ("SELECT", "DELETE"):
        for table, purging in (("changes", _PURGING), ("change_listeners", _PURGING_LISTENERS)):
            name = f"{table}_purge_{command.lower()}"
            op.execute(f"CREATE POLICY {name} ON {table} FOR {command} USING ({purging})")
    op.execute(_POSTGRES_FUNCTION)
    for table, kind in _KINDS.items():
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_log AFTER INSERT OR UPDATE OR DELETE ON {table}"
            f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION log_change('{kind}')"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _KINDS:
        if postgres:
            op.execute(f"DROP TRIGGER {table}_log ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_log_{event}")
    if postgres:
        op.execute("DROP FUNCTION log_change()")
    op.drop_index(op.f("ix_changes_changed_at"), table_name="changes")
    op.drop_table("changes")  # its policies go with it
    op.drop_table("change_counters")
    op.drop_table("change_listeners")
