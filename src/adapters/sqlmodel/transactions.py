"""How each unit of work's transaction starts, and what its database failures mean."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession

from application.errors import DatabaseUnavailable, TransientConflict

log = logging.getLogger(__name__)

# Transaction-local settings (set_config(..., true)) survive a transaction-mode pooler, where a
# session-level SET would leak to whichever client gets the server connection next.
# app.user_id is what the row-level security policies compare each row's owner with.
_POSTGRES_PRELUDE = text(
    "SELECT set_config('app.user_id', :owner, true),"
    " set_config('statement_timeout', :statement_timeout, true),"
    " set_config('idle_in_transaction_session_timeout', :idle_timeout, true)"
)
# Serialization failure, deadlock; and SQLite's busy or locked after busy_timeout.
_TRANSIENT_SQLSTATES = ("40001", "40P01")
_TRANSIENT_SQLITE_ERRORS = ("SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED")
# Class 08 (connection exception), 57P01-03 (shut down, crashed, starting), 53300 (too many clients).
_UNAVAILABLE_PREFIXES = ("08", "57P01", "57P02", "57P03", "53300")


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionPolicy:
    statement_timeout_ms: int = 15_000
    idle_in_transaction_timeout_ms: int = 30_000
    connect_attempts: int = 4
    connect_backoff_seconds: float = 0.2  # doubled each time: 0.2 + 0.4 + 0.8 s at the most
    begin_deadline_seconds: float = 5.0  # all attempts together, however slowly each one fails


async def begin(session: AsyncSession, owner_id: str | None, policy: TransactionPolicy) -> None:
    """Check out a connection and open the transaction, retrying connection failures with backoff.

    Nothing has happened yet at this point, so a retry is always safe. Neon computes that were
    asleep, restarts and connections killed under the pool all land here.
    """
    try:
        async with asyncio.timeout(policy.begin_deadline_seconds):
            await _open_with_retries(session, owner_id, policy)
    except TimeoutError as error:  # a database that accepts connections but never answers
        raise DatabaseUnavailable("no answer before the deadline") from error


async def _open_with_retries(session: AsyncSession, owner_id: str | None, policy: TransactionPolicy) -> None:
    for attempt in range(1, policy.connect_attempts + 1):
        try:
            await _open(session, owner_id, policy)
            return
        except (DBAPIError, OSError, TimeoutError) as error:  # TimeoutError: one connect attempt's own
            if not is_unavailable(error) or attempt == policy.connect_attempts:
                raise translated(error) from error
            log.warning("database connection failed (attempt %d): %s", attempt, type(error).__name__)
            await session.rollback()  # gives back the dead connection; the pool discards it
            await asyncio.sleep(policy.connect_backoff_seconds * 2 ** (attempt - 1))


async def _open(session: AsyncSession, owner_id: str | None, policy: TransactionPolicy) -> None:
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await session.execute(
            _POSTGRES_PRELUDE,
            {
                # An empty owner matches no row: with no owner, row-level security shows nothing.
                "owner": owner_id or "",
                "statement_timeout": str(policy.statement_timeout_ms),
                "idle_timeout": str(policy.idle_in_transaction_timeout_ms),
            },
        )


def is_unavailable(error: BaseException) -> bool:
    if isinstance(error, PoolTimeout | OSError | TimeoutError):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        sqlstate = getattr(error.orig, "sqlstate", None) or ""
        return sqlstate.startswith(_UNAVAILABLE_PREFIXES) or isinstance(error.orig, OSError)
    return False


def translated(error: BaseException) -> BaseException:
    """The application's word for a database failure, or the failure itself when it has none."""
    if isinstance(error, DBAPIError) and (
        getattr(error.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES
        or getattr(error.orig, "sqlite_errorname", None) in _TRANSIENT_SQLITE_ERRORS
    ):
        return TransientConflict(type(error.orig).__name__)
    if is_unavailable(error):
        return DatabaseUnavailable(type(error).__name__)
    return error
