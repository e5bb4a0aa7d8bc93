"""A SQLAlchemy engine for a database URL, for migrations and administration (the service itself
runs its statements through adapters.sqlmodel.setup's Database)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from adapters.sqlmodel.setup import Pooler, PoolOptions, quiet_data_loggers
from adapters.sqlmodel.sqlite import PRAGMAS
from adapters.sqlmodel.urls import database_target

# Behind PgBouncer in transaction mode each transaction may land on another server connection,
# so prepared statements must not outlive their use, nor clash by name (SQLAlchemy's asyncpg
# dialect docs, "Prepared Statement Name with PGBouncer"; asyncpg #1058). Caching them is
# faster, which is why this is only on behind a pooler.
_TRANSACTION_POOLER_ARGS: dict[str, Any] = {
    "statement_cache_size": 0,
    "prepared_statement_cache_size": 0,
    "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4()}__",
}


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
    quiet_data_loggers()
    engine = create_async_engine(target.url, connect_args=connect_args, **options)
    if target.is_sqlite:
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()
