"""Alembic environment: async engine, URL from the settings, metadata from the adapter's tables."""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from adapters.sqlmodel.engine import create_engine
from adapters.sqlmodel.setup import PoolOptions
from adapters.sqlmodel.tables import compared_on, metadata
from adapters.sqlmodel.urls import database_target
from entrypoints.settings import Settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    """Code that runs migrations may pass a URL; otherwise the settings decide."""
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    return url or Settings().migration_url


def _configure(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        include_object=compared_on(connection.dialect.name),
        render_as_batch=sqlite,
    )
    if sqlite:
        # A batch migration rebuilds a table (copy, drop, rename): with foreign keys enforced, the
        # drop would delete in cascade every row that refers to it (a list's tasks, a task's
        # subtasks). So they are off while migrating (the pragma takes effect only outside a
        # transaction, hence before it), and checked whole once the migrations are done.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows whose keys refer to nothing: {broken[:5]}")
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")


async def _run_online() -> None:
    engine = create_engine(_database_url(), PoolOptions(null_pool=True))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=database_target(_database_url()).url,
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:
        asyncio.run(_run_online())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
