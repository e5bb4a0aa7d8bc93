"""Is the database's schema the one this code needs, and does row-level security bind its role?

The serving process answers these without Alembic (kept out of its memory): the newest migration
is named here, and a test holds it equal to Alembic's head. Revisions are numbered in order
("0001", "0002", ...), so a database can be told behind or ahead by comparing numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, String, text

from adapters.sqlmodel.database import Database
from adapters.sqlmodel.statements import Statement
from adapters.sqlmodel.unit_of_work import UnscopedWork

SCHEMA_REVISION = "0012"  # Alembic's head: tests/integration/test_migrations.py checks it

_HAS_VERSION_TABLE = {
    "postgresql": Statement(
        text("SELECT to_regclass('alembic_version') IS NOT NULL AS found").columns(found=Boolean)
    ),
    "sqlite": Statement(
        text(
            "SELECT count(*) > 0 AS found FROM sqlite_master"
            " WHERE type = 'table' AND name = 'alembic_version'"
        ).columns(found=Boolean)
    ),
}
_REVISION = Statement(text("SELECT version_num FROM alembic_version").columns(version_num=String))
_BYPASSES_RLS = Statement(
    text("SELECT rolsuper OR rolbypassrls AS bypasses FROM pg_roles WHERE rolname = current_user").columns(
        bypasses=Boolean
    )
)


@dataclass(frozen=True, slots=True)
class SchemaState:
    revision: str | None  # the database's; None when it was never migrated
    bypasses_rls: bool = False  # PostgreSQL: a superuser or BYPASSRLS role, which policies do not bind

    @property
    def behind(self) -> bool:
        return self.revision is None or int(self.revision) < int(SCHEMA_REVISION)

    @property
    def ahead(self) -> bool:
        """Migrated by a newer release: this code may run on it (migrations only add), but say so."""
        return self.revision is not None and int(self.revision) > int(SCHEMA_REVISION)

    @property
    def problem(self) -> str | None:
        """What is wrong, in one line, or None."""
        if self.revision is None:
            return "the database has no schema yet: run `tasks migrate`"
        if self.behind:
            return f"the database schema is at {self.revision}, behind {SCHEMA_REVISION}: run `tasks migrate`"
        return None


async def schema_state(database: Database[Any]) -> SchemaState:
    async with UnscopedWork(database=database) as work:
        found = await work.transaction.fetch_one(_HAS_VERSION_TABLE[database.name])
        row = await work.transaction.fetch_one(_REVISION) if found and found["found"] else None
        bypasses = None
        if database.name == "postgresql":
            bypasses = await work.transaction.fetch_one(_BYPASSES_RLS)
    return SchemaState(
        revision=None if row is None else row["version_num"],
        bypasses_rls=bool(bypasses and bypasses["bypasses"]),
    )
