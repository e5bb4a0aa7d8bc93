"""The composition root: which adapter serves which port, and how long each one lives."""

from __future__ import annotations

import hashlib

from dependency_injector import containers, providers
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.security.jwt_tokens import SharedSecretTokens
from adapters.sqlmodel.engine import PoolOptions, create_engine, create_session_factory
from adapters.sqlmodel.health import DatabaseProbe
from adapters.sqlmodel.unit_of_work import SqlUnitOfWork
from adapters.system import SystemClock, UuidV7Generator
from application.cursors import CursorCodec
from application.tasks import (
    CreateTask,
    DeleteTask,
    GetTask,
    ListTasks,
    ReplaceTask,
    ToggleTask,
    UpdateTask,
)
from entrypoints.settings import Settings


def _engine(settings: Settings) -> AsyncEngine:
    pool = PoolOptions(
        size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        timeout=settings.database_pool_timeout,
        recycle=settings.database_pool_recycle,
        pre_ping=settings.database_pool_pre_ping,
        null_pool=settings.database_null_pool,
    )
    return create_engine(settings.database_url, pool, echo=settings.database_echo)


def _secret(settings: Settings) -> str:
    if settings.auth_jwt_secret is None:
        raise RuntimeError("no AUTH_JWT_SECRET: build the container from prepared settings")
    return settings.auth_jwt_secret.get_secret_value()


def _tokens(settings: Settings) -> SharedSecretTokens:
    return SharedSecretTokens(_secret(settings), leeway_seconds=settings.auth_leeway_seconds)


def _cursor_key(settings: Settings) -> bytes:
    return hashlib.sha256(_secret(settings).encode()).digest()


class Adapters(containers.DeclarativeContainer):
    """Infrastructure: one engine per process, a session per unit of work."""

    settings = providers.Dependency(instance_of=Settings)

    engine = providers.Singleton(_engine, settings)
    session_factory = providers.Singleton(create_session_factory, engine)
    unit_of_work = providers.Factory(SqlUnitOfWork, session_factory=session_factory)
    database_probe = providers.Factory(DatabaseProbe, engine)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidV7Generator)
    tokens = providers.Singleton(_tokens, settings)
    cursors = providers.Singleton(CursorCodec, key=providers.Callable(_cursor_key, settings))


class UseCases(containers.DeclarativeContainer):
    """One factory per use case; each opens its own unit of work per call."""

    adapters = providers.DependenciesContainer()

    create_task = providers.Factory(
        CreateTask, uow=adapters.unit_of_work.provider, clock=adapters.clock, ids=adapters.ids
    )
    get_task = providers.Factory(GetTask, uow=adapters.unit_of_work.provider)
    list_tasks = providers.Factory(ListTasks, uow=adapters.unit_of_work.provider, cursors=adapters.cursors)
    update_task = providers.Factory(UpdateTask, uow=adapters.unit_of_work.provider, clock=adapters.clock)
    replace_task = providers.Factory(ReplaceTask, uow=adapters.unit_of_work.provider, clock=adapters.clock)
    toggle_task = providers.Factory(ToggleTask, uow=adapters.unit_of_work.provider, clock=adapters.clock)
    delete_task = providers.Factory(DeleteTask, uow=adapters.unit_of_work.provider)


class Container(containers.DeclarativeContainer):
    """The root: routes take what they need from the app's own instance (see http/dependencies.py)."""

    settings = providers.Dependency(instance_of=Settings)
    adapters = providers.Container(Adapters, settings=settings)
    use_cases = providers.Container(UseCases, adapters=adapters)
