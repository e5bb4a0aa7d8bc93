"""The composition root: which adapter serves which port, and how long each one lives."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from dependency_injector import containers, providers

from adapters.security.jwt_tokens import SharedSecretTokens
from adapters.security.passwords import Argon2Hasher
from adapters.security.routing import RoutedTokenVerifier
from adapters.sqlmodel.database import Database
from adapters.sqlmodel.health import DatabaseProbe
from adapters.sqlmodel.maintenance import SqlExpiredRecords
from adapters.sqlmodel.rate_limits import SqlRateLimiter
from adapters.sqlmodel.setup import PoolOptions, create_database
from adapters.sqlmodel.transactions import TransactionPolicy
from adapters.sqlmodel.unit_of_work import SqlAccountsUnitOfWork, SqlUnitOfWork
from adapters.system import SystemClock, UuidV7Generator
from application.accounts import CurrentUser, LogIn, Register
from application.cursors import CursorCodec
from application.events import EventTickets
from application.limits import AttemptLimits, AttemptRates, Rate
from application.lists import CreateList, DeleteList, GetList, ListLists, MoveList, UpdateList
from application.maintenance import PurgeExpired
from application.sync import SyncChanges, SyncTokens
from application.tasks import (
    CreateTask,
    CreateTaskOnce,
    DeleteTask,
    GetTask,
    ListTasks,
    MoveTask,
    ReplaceTask,
    ToggleTask,
    UpdateTask,
)
from application.tasks.bulk import ActOnTasks
from application.tasks.changes import TaskWriter
from application.tasks.reports import GetTaskStats, ListTags
from entrypoints.live import LiveStreams
from entrypoints.settings import Settings

if TYPE_CHECKING:
    from adapters.security.jwks import JwksTokens

log = logging.getLogger(__name__)


def _database(settings: Settings) -> Database[Any]:
    pool = PoolOptions(
        size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        timeout=settings.database_pool_timeout,
        recycle=settings.database_pool_recycle,
        pre_ping=settings.database_pool_pre_ping,
        null_pool=settings.database_null_pool,
    )
    return create_database(
        settings.database_url,
        pool,
        policy=_transaction_policy(settings),
        echo=settings.database_echo,
        pooler=settings.database_pooler,
        connect_timeout=settings.database_connect_timeout_seconds,
        slow_statement_ms=settings.database_slow_statement_ms or None,
    )


def _transaction_policy(settings: Settings) -> TransactionPolicy:
    return TransactionPolicy(
        statement_timeout_ms=settings.database_statement_timeout_ms,
        idle_in_transaction_timeout_ms=settings.database_idle_in_transaction_timeout_ms,
        pool_timeout_seconds=settings.database_pool_timeout,
    )


def _tokens(settings: Settings) -> SharedSecretTokens | None:
    """Local accounts' issuer and the shared-secret verifier; None in JWKS-only mode. AUTH_ISSUER
    and AUTH_AUDIENCE bind these tokens too, so a token signed for another app is refused."""
    if settings.auth_jwt_secret is None:
        return None
    return SharedSecretTokens(
        settings.auth_jwt_secret.get_secret_value(),
        lifetime=timedelta(seconds=settings.auth_token_lifetime_seconds),
        leeway_seconds=settings.auth_leeway_seconds,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
    )


def _jwks(settings: Settings) -> JwksTokens | None:
    if settings.auth_jwks_url is None:
        return None
    if settings.auth_issuer is None or settings.auth_audience is None:
        log.warning(
            "AUTH_JWKS_URL is set without AUTH_ISSUER and AUTH_AUDIENCE: any token the identity "
            "provider signs, for whatever application, is accepted. Set both (Better Auth: its base URL)."
        )
    from adapters.security.jwks import JwksTokens  # noqa: PLC0415 (and httpx: only for a JWKS)

    return JwksTokens(
        settings.auth_jwks_url,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        leeway_seconds=settings.auth_leeway_seconds,
        refetch_interval_seconds=settings.auth_jwks_refetch_interval_seconds,
        timeout_seconds=settings.auth_jwks_timeout_seconds,
    )


def _cursor_key(settings: Settings) -> bytes:
    """Cursors are signed with a key of their own, derived from whichever secret is configured."""
    material = settings.auth_jwt_secret.get_secret_value() if settings.auth_jwt_secret else None
    material = material or f"{settings.auth_jwks_url}|{settings.database_url}"
    return hashlib.sha256(b"tasks-service/cursors\x00" + material.encode()).digest()


def _attempt_rates(settings: Settings) -> dict[str, AttemptRates]:
    return {
        "login": AttemptRates(
            per_address=Rate.parse(settings.auth_login_rate_per_address),
            per_account=Rate.parse(settings.auth_login_rate_per_account),
        ),
        "register": AttemptRates(
            per_address=Rate.parse(settings.auth_register_rate_per_address),
            per_account=Rate.parse(settings.auth_register_rate_per_account),
        ),
    }


class Adapters(containers.DeclarativeContainer):
    """Infrastructure: one pooled database per process, a transaction per unit of work."""

    settings = providers.Dependency(instance_of=Settings)

    database = providers.Singleton(_database, settings)
    unit_of_work = providers.Factory(SqlUnitOfWork, database=database)
    accounts_unit_of_work = providers.Factory(SqlAccountsUnitOfWork, database=database)
    database_probe = providers.Singleton(DatabaseProbe, database)
    rate_limiter = providers.Singleton(SqlRateLimiter, database)
    expired_records = providers.Singleton(SqlExpiredRecords, database)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidV7Generator)
    passwords = providers.Singleton(
        Argon2Hasher,
        concurrency=settings.provided.auth_password_concurrency,
        queue=settings.provided.auth_password_queue,
    )
    tokens = providers.Singleton(_tokens, settings)
    jwks = providers.Singleton(_jwks, settings)
    token_verifier = providers.Singleton(RoutedTokenVerifier, shared_secret=tokens, jwks=jwks)
    cursors = providers.Singleton(CursorCodec, key=providers.Callable(_cursor_key, settings))
    idempotency_key_ttl = providers.Callable(timedelta, seconds=settings.provided.idempotency_key_ttl_seconds)
    change_retention = providers.Callable(timedelta, days=settings.provided.sync_retention_days)
    sync_tokens = providers.Singleton(SyncTokens, codec=cursors, clock=clock, retention=change_retention)
    live_streams = providers.Singleton(
        LiveStreams, max_per_owner=settings.provided.events_max_streams_per_user
    )


W = TypeVar("W", bound=TaskWriter)


def _task_writer(use_case: type[W], adapters: Any, **more: Any) -> providers.Singleton[W]:
    """A use case that stores tasks, on the tasks' unit of work, clock and ids (and `more`)."""
    unit_of_work = adapters.unit_of_work.provider
    return providers.Singleton(use_case, uow=unit_of_work, clock=adapters.clock, ids=adapters.ids, **more)


class UseCases(containers.DeclarativeContainer):
    """One object per use case for the process: they hold no request state, and each call opens its
    own unit of work."""

    adapters = providers.DependenciesContainer()

    create_task = _task_writer(CreateTask, adapters)
    create_task_once = _task_writer(CreateTaskOnce, adapters, ttl=adapters.idempotency_key_ttl)
    get_task = providers.Singleton(GetTask, uow=adapters.unit_of_work.provider)
    list_tasks = providers.Singleton(
        ListTasks, uow=adapters.unit_of_work.provider, cursors=adapters.cursors, clock=adapters.clock
    )
    update_task = _task_writer(UpdateTask, adapters)
    replace_task = _task_writer(ReplaceTask, adapters)
    toggle_task = _task_writer(ToggleTask, adapters)
    delete_task = providers.Singleton(DeleteTask, uow=adapters.unit_of_work.provider)
    act_on_tasks = _task_writer(ActOnTasks, adapters)
    move_task = _task_writer(MoveTask, adapters)
    create_list = _task_writer(CreateList, adapters)
    list_lists = _task_writer(ListLists, adapters)
    get_list = _task_writer(GetList, adapters)
    update_list = _task_writer(UpdateList, adapters)
    move_list = _task_writer(MoveList, adapters)
    delete_list = _task_writer(DeleteList, adapters)
    task_stats = providers.Singleton(GetTaskStats, uow=adapters.unit_of_work.provider, clock=adapters.clock)
    list_tags = providers.Singleton(ListTags, uow=adapters.unit_of_work.provider)

    attempt_limits = providers.Singleton(
        AttemptLimits,
        limiter=adapters.rate_limiter,
        clock=adapters.clock,
        rates=providers.Callable(_attempt_rates, adapters.settings),
    )
    register = providers.Singleton(
        Register,
        uow=adapters.accounts_unit_of_work.provider,
        hasher=adapters.passwords,
        clock=adapters.clock,
        ids=adapters.ids,
        limits=attempt_limits,
    )
    log_in = providers.Singleton(
        LogIn,
        uow=adapters.accounts_unit_of_work.provider,
        hasher=adapters.passwords,
        tokens=adapters.tokens,
        limits=attempt_limits,
    )
    current_user = providers.Singleton(CurrentUser, uow=adapters.accounts_unit_of_work.provider)
    purge_expired = providers.Singleton(
        PurgeExpired,
        records=adapters.expired_records,
        clock=adapters.clock,
        change_retention=adapters.change_retention,
    )
    sync_changes = providers.Singleton(
        SyncChanges, uow=adapters.unit_of_work.provider, tokens=adapters.sync_tokens, clock=adapters.clock
    )
    event_tickets = providers.Singleton(
        EventTickets, codec=adapters.cursors, limiter=adapters.rate_limiter, clock=adapters.clock
    )


class Container(containers.DeclarativeContainer):
    """The root: routes take what they need from the app's own instance (see http/dependencies.py)."""

    settings = providers.Dependency(instance_of=Settings)
    adapters = providers.Container(Adapters, settings=settings)
    use_cases = providers.Container(UseCases, adapters=adapters)
