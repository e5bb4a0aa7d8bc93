"""Build what talks to the database for a URL: the service's Database (driver connections, pooled),
and a SQLAlchemy engine for migrations and administration."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from adapters.sqlmodel.database import Database
from adapters.sqlmodel.postgres import PostgresDatabase
from adapters.sqlmodel.sqlite import PRAGMAS, SqliteDatabase
from adapters.sqlmodel.transactions import TransactionPolicy
from adapters.sqlmodel.urls import database_target

echo_log = logging.getLogger("tasks.sql")

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


def create_database(
    url: str,
    pool: PoolOptions | None = None,
    *,
    policy: TransactionPolicy | None = None,
    pooler: Pooler = "auto",
    connect_timeout: float = 5.0,
    slow_statement_ms: float | None = None,
    echo: bool = False,
) -> Database[Any]:
    """The service's database for `url`; nothing connects until the first unit of work."""
    _quiet_data_loggers()
    database = _database(url, pool, policy, pooler, connect_timeout, slow_statement_ms)
    if echo:  # the statements, never their values
        database.listeners.append(lambda sql, _: echo_log.info("%s", " ".join(sql.split())))
    return database


def _database(
    url: str,
    pool: PoolOptions | None,
    policy: TransactionPolicy | None,
    pooler: Pooler,
    connect_timeout: float,
    slow_statement_ms: float | None,
) -> Database[Any]:
    pool = pool or PoolOptions()
    policy = policy or TransactionPolicy(pool_timeout_seconds=pool.timeout)
    target = database_target(url)
    if target.is_sqlite:
        return SqliteDatabase(
            target.url.database or ":memory:",
            policy,
            size=pool.size + pool.max_overflow,
            keep_connections=not pool.null_pool,
            slow_statement_ms=slow_statement_ms,
        )
    connect_args = {
        "host": target.url.host,
        "port": target.url.port,
        "user": target.url.username,
        "password": target.url.password,
        "database": target.url.database,
        "timeout": connect_timeout,  # asyncpg's own default is 60 s
        **target.connect_args,
    }
    return PostgresDatabase(
        connect_args,
        policy,
        size=pool.size + pool.max_overflow,
        inactive_lifetime=pool.recycle,
        keep_connections=not pool.null_pool,
        pooled=pooler == "transaction" or (pooler == "auto" and target.looks_pooled),
        pre_ping=pool.pre_ping,
        slow_statement_ms=slow_statement_ms,
    )


def create_engine(
    url: str,
    pool: PoolOptions | None = None,
    *,
    echo: bool = False,
    pooler: Pooler = "auto",
    connect_timeout: float = 5.0,
) -> AsyncEngine:
    """A SQLAlchemy engine for `url`, for migrations and administration; `pooler` says whether a
    transaction-mode PgBouncer sits in front (`auto`: when the host looks like Neon's `-pooler`
    endpoint)."""
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
    return engine


def _quiet_data_loggers() -> None:
    """Below WARNING these log every statement, bound values and result rows (password hashes among
    them): never let them. DATABASE_ECHO still works: SQLAlchemy sets its engine's own logger."""
    for name in ("aiosqlite", "sqlalchemy.engine"):
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.WARNING, logger.level))


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()
