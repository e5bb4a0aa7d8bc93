"""The change log behind the sync feed: every committed change to a task or a list, at a position
in its owner's feed, written in the same transaction as the change.

`changes` holds one row per change (which item, upsert or delete). Positions are in commit order,
per owner, and count up from 1 with no gap. Every write is logged in its own transaction: updates
and deletions (cascades included) by triggers, a new row by its INSERT, the busiest write, where a
trigger costs the most (adapters/sqlmodel/changes.py).

PostgreSQL: the triggers are deferred constraint triggers, which run during COMMIT: the owner's row
in `change_counters` is taken there (a new row's INSERT takes it at once), and held until the
commit is done, so a transaction that commits later always gets a later position, and a reader
that sees a position sees every one before it. (Numbers drawn from a sequence when the change is
made would be in the order the changes were made, not committed: a reader could pass 11 while 10
is still uncommitted, and never see it.) A change to an owner that some live stream listens for (a
row in `change_listeners`, kept fresh while the stream is open) also notifies channel
`tasks_changes`, its payload the owner: delivered at commit, never on rollback, it is what streams
served by other processes wait for. Only then: a transaction that notifies holds a lock over the
whole database during its COMMIT, so notifying on every change would put every writer's commit in
one queue (0.6x the creates a second).

SQLite: one writer at a time holds the database, so a position drawn in the writing transaction
(the owner's last one, plus one: a look-up in the primary key, no counter to write) is in commit
order as it is. A new row's entry is a second INSERT, held back with the row's own, as a trigger
costs SQLite's writer some 30 us of CPU a row, a third of a creation's own work. The table is
WITHOUT ROWID (one B-tree, in the feed's order), with no index on `changed_at`: the purge reads the
whole table, now and then, instead of every write paying for the index. A migration that rebuilds
`tasks` or `lists` (a batch) drops their triggers: make them again.

Row-level security binds every table here like `tasks`; the purge of old changes (maintenance.py)
sees only rows older than the cutoff its transaction names (and listeners past their time), and
only when it says it is purging.

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
_SQLITE_EVENTS = (("update", "NEW", "upsert"), ("delete", "OLD", "delete"))  # inserts: see above

# One change of the owner's, logged: the owner's next position (their counter row, held from here to
# the COMMIT), the entry, and a notification when some stream listens for the owner. One statement:
# each costs its own start-up. Called by a new row's INSERT (RETURNING log_change_of(...)), and by
# the triggers for updates and deletions. A function's plans are kept by its server connection,
# also behind a transaction-mode pooler, where the service's own statements are planned afresh.
_LOG_FUNCTION = """
CREATE FUNCTION log_change_of(_kind text, _deleted boolean, _item uuid, _owner text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    _seq bigint;
    _notified bigint;
BEGIN
    WITH counter AS (
        INSERT INTO change_counters AS counter (user_id, last_seq) VALUES (_owner, 1)
        ON CONFLICT (user_id) DO UPDATE SET last_seq = counter.last_seq + 1
        RETURNING counter.last_seq
    ), logged AS (
        INSERT INTO changes (user_id, seq, kind, item_id, op, changed_at)
        SELECT _owner, counter.last_seq, _kind, _item,
               CASE WHEN _deleted THEN 'delete' ELSE 'upsert' END, now()
        FROM counter
        RETURNING seq
    ), told AS (
        SELECT pg_notify('tasks_changes', _owner) FROM change_listeners
        WHERE user_id = _owner AND until > now() AND EXISTS (SELECT FROM logged)
    )
    -- `told` read, so that it runs (a WITH that is only SELECT runs as far as it is read).
    SELECT logged.seq, (SELECT count(*) FROM told) INTO _seq, _notified FROM logged;
    RETURN _seq;
END
$$
"""
_TRIGGER_FUNCTION = """
CREATE FUNCTION log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM log_change_of(TG_ARGV[0], true, OLD.id, OLD.user_id);
    ELSE
        PERFORM log_change_of(TG_ARGV[0], false, NEW.id, NEW.user_id);
    END IF;
    RETURN NULL;
END
$$
"""

# The row a change is about: NEW, or OLD for a deletion. Its position: the owner's last plus one.
_SQLITE_TRIGGER = """
CREATE TRIGGER {table}_log_{event} AFTER {event_upper} ON {table} BEGIN
    INSERT INTO changes (user_id, seq, kind, item_id, op, changed_at)
    SELECT {row}.user_id, coalesce(max(seq), 0) + 1, '{kind}', {row}.id, '{op}',
           strftime('%Y-%m-%d %H:%M:%f', 'now')
    FROM changes WHERE user_id = {row}.user_id;
END
"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
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
        sqlite_with_rowid=False,
    )
    if postgres:
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
    op.execute(_LOG_FUNCTION)
    op.execute(_TRIGGER_FUNCTION)
    for table, kind in _KINDS.items():
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_log AFTER UPDATE OR DELETE ON {table}"
            f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION log_change('{kind}')"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _KINDS:
        if postgres:
            op.execute(f"DROP TRIGGER {table}_log ON {table}")
        else:
            for event, _, _ in _SQLITE_EVENTS:
                op.execute(f"DROP TRIGGER {table}_log_{event}")
    if postgres:
        op.execute("DROP FUNCTION log_change()")
        op.execute("DROP FUNCTION log_change_of(text, boolean, uuid, text)")
        op.drop_index(op.f("ix_changes_changed_at"), table_name="changes")
        op.drop_table("change_counters")
    op.drop_table("changes")  # its policies go with it
    op.drop_table("change_listeners")
