"""Fixtures every suite shares: migrated databases of each kind, made once per run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.app import test_settings
from tests.support.databases import fresh_postgres_database, migrate, require_postgres
from tests.support.pgbouncer import PgBouncer, running_pgbouncer

# Where the schema lives: migrations run against these directly.
DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
# What the service may be pointed at: the databases, and PostgreSQL behind a transaction-mode
# PgBouncer as on Neon's pooled endpoint (see tests.support.databases.backend).
BACKENDS = [
    *DATABASES,
    pytest.param("pgbouncer", id="pgbouncer", marks=pytest.mark.postgres),
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by its folder, so `-m unit` and friends select what they say."""
    for item in items:
        for suite in ("unit", "integration", "api"):
            if f"/tests/{suite}/" in str(item.path):
                item.add_marker(getattr(pytest.mark, suite))


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "tasks.db"
    return migrate(f"sqlite+aiosqlite:///{path}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database(require_postgres()) as url:
        yield migrate(url)


@pytest.fixture(scope="session")
def pgbouncer() -> Iterator[PgBouncer]:
    """A private PgBouncer (transaction mode, pool of 5) in front of the test PostgreSQL."""
    with running_pgbouncer(require_postgres()) as bouncer:
        yield bouncer


@pytest.fixture(scope="session")
def pgbouncer_url(pgbouncer: PgBouncer) -> Iterator[str]:
    """A fresh database reached through PgBouncer, migrated over the direct URL as in production
    (DATABASE_URL is the pooler, DATABASE_URL_DIRECT is what migrations use)."""
    with fresh_postgres_database(require_postgres()) as direct:
        pooled = pgbouncer.through(direct)
        migrate(test_settings(pooled, database_url_direct=direct).migration_url)
        yield pooled
