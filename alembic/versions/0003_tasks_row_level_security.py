"""Row-level security on tasks: a second wall behind the repository's owner filter (PostgreSQL).

Each transaction sets app.user_id (set_config(..., true)); a row is visible and writable only
when its user_id equals it. FORCE makes the policy bind the table's owner too; superusers and
BYPASSRLS roles still skip it, so the service should connect as an ordinary role (README).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWNER_MATCHES = "user_id = current_setting('app.user_id', true)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no row-level security: the repository's filter is the wall there
    op.execute("ALTER TABLE tasks ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tasks FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tasks_owner ON tasks USING ({_OWNER_MATCHES}) WITH CHECK ({_OWNER_MATCHES})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY tasks_owner ON tasks")
    op.execute("ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tasks DISABLE ROW LEVEL SECURITY")
