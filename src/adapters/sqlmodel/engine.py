"""Build the async engine for a database URL, with each backend's settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from adapters.sqlmodel.urls import database_target

SQLITE_BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolOptions:
    size: int = 10
    max_overflow: int = 10
    timeout: float = 30.0
    recycle: int = 1800
    pre_ping: bool = False
    null_pool: bool = False


def create_engine(url: str, pool: PoolOptions | None = None, *, echo: bool = False) -> AsyncEngine:
    pool = pool or PoolOptions()
    target = database_target(url)
    # Bound values (password hashes among them) stay out of echoed SQL and error messages.
    options: dict[str, Any] = {"echo": echo, "pool_pre_ping": pool.pre_ping, "hide_parameters": True}
    if pool.null_pool:
        options["poolclass"] = NullPool
    else:
        options.update(
            pool_size=pool.size,
            max_overflow=pool.max_overflow,
            pool_timeout=pool.timeout,
            pool_recycle=pool.recycle,
        )
    _quiet_data_loggers()
    engine = create_async_engine(target.url, connect_args=target.connect_args, **options)
    if target.is_sqlite:
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def _quiet_data_loggers() -> None:
    """At DEBUG these log bound values and result rows (password hashes among them): never let them."""
    for name in ("aiosqlite", "sqlalchemy.engine"):
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.INFO, logger.level))


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside a writer; busy_timeout waits for a lock instead of failing."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
