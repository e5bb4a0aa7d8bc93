"""Build the async engine for a database URL, with each backend's settings."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from adapters.sqlmodel.urls import database_target

SQLITE_BUSY_TIMEOUT_MS = 5000
slow_log = logging.getLogger("tasks.sql.slow")

# Behind PgBouncer in transaction mode each transaction may land on another server connection,
# so prepared statements must not outlive their use, nor clash by name (SQLAlchemy's asyncpg
# dialect docs, "Prepared Statement Name with PGBouncer"; asyncpg #1058). Caching them is
# faster, which is why this is only on behind a pooler.
_TRANSACTION_POOLER_ARGS: dict[str, Any] = {
    "statement_cache_size": 0,
    "prepared_statement_cache_size": 0,
    "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4()}__",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolOptions:
    size: int = 10
    max_overflow: int = 10
    timeout: float = 30.0
    recycle: int = 1800
    pre_ping: bool = False
    null_pool: bool = False


Pooler = Literal["auto", "transaction", "none"]


def create_engine(
    url: str,
    pool: PoolOptions | None = None,
    *,
    echo: bool = False,
    pooler: Pooler = "auto",
    connect_timeout: float = 5.0,
    slow_statement_ms: float | None = None,
) -> AsyncEngine:
    """The engine for `url`; `pooler` says whether a transaction-mode PgBouncer sits in front
    (`auto`: when the host looks like Neon's `-pooler` endpoint)."""
    pool = pool or PoolOptions()
    target = database_target(url)
    connect_args = dict(target.connect_args)
    if not target.is_sqlite:
        connect_args.setdefault("timeout", connect_timeout)  # asyncpg's own default is 60 s
        if pooler == "transaction" or (pooler == "auto" and target.looks_pooled):
            connect_args.update(_TRANSACTION_POOLER_ARGS)
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
    engine = create_async_engine(target.url, connect_args=connect_args, **options)
    if target.is_sqlite:
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
    if slow_statement_ms is not None:
        _log_slow_statements(engine, slow_statement_ms)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def _log_slow_statements(engine: AsyncEngine, threshold_ms: float) -> None:
    """Log each statement that takes longer than the threshold, with its time (never its values)."""

    # The start is kept on the statement's own execution context, which dies with it (even on error).
    def started(
        _conn: Any, _cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool
    ) -> None:
        context.tasks_started = time.perf_counter()

    def finished(
        _conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool
    ) -> None:
        elapsed_ms = (time.perf_counter() - context.tasks_started) * 1000
        if elapsed_ms >= threshold_ms:
            slow_log.warning(
                "slow statement: %.1fms: %s",
                elapsed_ms,
                " ".join(statement.split()),
                extra={"duration_ms": round(elapsed_ms, 1)},
            )

    event.listen(engine.sync_engine, "before_cursor_execute", started)
    event.listen(engine.sync_engine, "after_cursor_execute", finished)


def _quiet_data_loggers() -> None:
    """Below WARNING these log every statement, bound values and result rows (password hashes among
    them): never let them. DATABASE_ECHO still works: SQLAlchemy sets its engine's own logger."""
    for name in ("aiosqlite", "sqlalchemy.engine"):
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.WARNING, logger.level))


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside a writer; busy_timeout waits for a lock instead of failing."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
