"""Build the service's database for a URL: driver connections, pooled, with each backend's settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from adapters.sqlmodel.database import Database
from adapters.sqlmodel.transactions import TransactionPolicy
from adapters.sqlmodel.urls import database_target

echo_log = logging.getLogger("tasks.sql")


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
    quiet_data_loggers()
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
        if target.url.database in (None, "", ":memory:"):
            # Its reading and writing connections would each open a database of their own.
            raise ValueError("SQLite needs a file: in-memory databases are not supported")
        # Pool settings do not apply: see SqliteDatabase. Each backend's module (and its driver) is
        # loaded only when it is the one in use: one worker's memory is part of what it costs.
        from adapters.sqlmodel.sqlite import SqliteDatabase  # noqa: PLC0415 (see above)

        return SqliteDatabase(target.url.database, policy, slow_statement_ms=slow_statement_ms)
    connect_args = postgres_connect_args(url, connect_timeout)
    from adapters.sqlmodel.postgres import PostgresDatabase  # noqa: PLC0415 (and asyncpg: only when used)

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


def postgres_connect_args(url: str, connect_timeout: float = 5.0) -> dict[str, Any]:
    """asyncpg.connect's arguments for a PostgreSQL URL (libpq's parameters translated)."""
    target = database_target(url)
    return {
        "host": target.url.host,
        "port": target.url.port,
        "user": target.url.username,
        "password": target.url.password,
        "database": target.url.database,
        "timeout": connect_timeout,  # asyncpg's own default is 60 s
        **target.connect_args,
    }


def listen_url(url: str, direct_url: str | None, pooler: Pooler = "auto") -> str | None:
    """Where a process can LISTEN for the change log's notifications: the direct URL when there is
    one, else the service's own URL unless a transaction-mode pooler sits there (it cannot LISTEN);
    None on SQLite, or when only a pooler can be reached (streams then poll)."""
    target = database_target(url)
    if target.is_sqlite:
        return None
    if direct_url:
        return direct_url
    pooled = pooler == "transaction" or (pooler == "auto" and target.looks_pooled)
    return None if pooled else url


def quiet_data_loggers() -> None:
    """Below WARNING these log every statement, bound values and result rows (password hashes among
    them): never let them. DATABASE_ECHO logs the statements alone, on `tasks.sql`."""
    for name in ("aiosqlite", "sqlalchemy.engine"):
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.WARNING, logger.level))
