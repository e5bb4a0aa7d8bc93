"""Whether some live stream listens for an owner is kept on the owner's counter row
(`change_counters.listened_until`), no longer in a table of its own (`change_listeners`, dropped).

Why: a stream says it listens, then reads the feed, then waits to be told of what commits after.
With a table of its own, a writer decided whether to notify from what its statement's snapshot
showed, taken before it had the counter: a writer could start before the stream said it listens,
be seen by no read of the stream's (not yet committed), and commit without notifying. The change
was then late by a poll.

On the counter row, the two are ordered by the row's lock, which a writer takes at its INSERT (the
deferred triggers: at COMMIT) and holds to the COMMIT, and which saying "I listen" takes too:
- a writer that has the row first makes the stream's statement wait for its COMMIT, so the stream's
  read, after that, sees the change;
- a writer that has the row after reads its latest version (ON CONFLICT DO UPDATE ... RETURNING
  does, whatever its snapshot), sees the stream listening, and notifies.
It also spares every logged write a join with a second table.

SQLite does not notify (one process is told by its own commits, others poll): it keeps no listeners.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWNER_MATCHES = "user_id = current_setting('app.user_id', true)"
_PURGING_LISTENERS = "current_setting('app.purge', true) = 'expired' AND until < now()"

_LOG_FUNCTION = """
CREATE OR REPLACE FUNCTION log_change_of(_kind text, _deleted boolean, _item uuid, _owner text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    _seq bigint;
    _notified bigint;
BEGIN
    WITH counter AS (
        INSERT INTO change_counters AS counter (user_id, last_seq) VALUES (_owner, 1)
        ON CONFLICT (user_id) DO UPDATE SET last_seq = counter.last_seq + 1
        RETURNING counter.last_seq, counter.listened_until
    ), logged AS (
        INSERT INTO changes (user_id, seq, kind, item_id, op, changed_at)
        SELECT _owner, counter.last_seq, _kind, _item,
               CASE WHEN _deleted THEN 'delete' ELSE 'upsert' END, now()
        FROM counter
        RETURNING seq
    ), told AS (
        SELECT pg_notify('tasks_changes', _owner) FROM counter
        WHERE counter.listened_until > now() AND EXISTS (SELECT FROM logged)
    )
    -- `told` read, so that it runs (a WITH that is only SELECT runs as far as it is read).
    SELECT logged.seq, (SELECT count(*) FROM told) INTO _seq, _notified FROM logged;
    RETURN _seq;
END
$$
"""
# As migration 0011 made it.
_LOG_FUNCTION_0011 = """
CREATE OR REPLACE FUNCTION log_change_of(_kind text, _deleted boolean, _item uuid, _owner text)
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


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Nullable with no default: adding it rewrites nothing. A stream listening now says so
        # again within its renewal (entrypoints/http/sync.py), so no listener is carried over.
        op.add_column("change_counters", sa.Column("listened_until", sa.DateTime(timezone=True)))
        op.execute(_LOG_FUNCTION)
    op.drop_table("change_listeners")  # its policies go with it


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "change_listeners",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_change_listeners")),
    )
    if not postgres:
        return
    op.execute("ALTER TABLE change_listeners ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE change_listeners FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY change_listeners_owner ON change_listeners"
        f" USING ({_OWNER_MATCHES}) WITH CHECK ({_OWNER_MATCHES})"
    )
    for command in ("SELECT", "DELETE"):
        op.execute(
            f"CREATE POLICY change_listeners_purge_{command.lower()} ON change_listeners"
            f" FOR {command} USING ({_PURGING_LISTENERS})"
        )
    op.execute(_LOG_FUNCTION_0011)
    op.drop_column("change_counters", "listened_until")
