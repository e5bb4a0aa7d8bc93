"""Fixtures every suite shares: migrated databases of each kind, made once per run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import fresh_postgres_database, migrate, require_postgres

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
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
