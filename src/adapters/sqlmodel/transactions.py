"""How units of work open their transactions, and what the drivers' failures mean to the application."""

from __future__ import annotations

import sqlite3
import ssl
from dataclasses import dataclass

import asyncpg

from application.errors import DatabaseUnavailable, TransientConflict

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
    pool_timeout_seconds: float = 30.0  # waiting for a free pooled connection


def is_unavailable(error: BaseException) -> bool:
    """The database could not be reached, or the connection died: nothing of the transaction was kept.

    A certificate that fails verification is the configuration's fault, not a passing failure."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return False
    if isinstance(error, OSError | TimeoutError | asyncpg.exceptions.ConnectionDoesNotExistError):
        return True
    if isinstance(error, asyncpg.exceptions.InternalClientError):
        # The server ended the connection while it sat idle (pg_terminate_backend, a restart):
        # asyncpg takes the unsolicited FATAL for a protocol error, and the connection answers
        # "cannot switch to state ..." until its socket closes (asyncpg #1069; SQLAlchemy #13241
        # counts it as a disconnect too).
        return True
    if isinstance(error, asyncpg.PostgresError):
        return str(getattr(error, "sqlstate", "") or "").startswith(_UNAVAILABLE_PREFIXES)
    if isinstance(error, asyncpg.InterfaceError):
        return "connection is closed" in str(error) or "connection was closed" in str(error)
    return False


def translated(error: BaseException) -> BaseException:
    """The application's word for a database failure, or the failure itself when it has none."""
    if isinstance(error, asyncpg.PostgresError) and getattr(error, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return TransientConflict(type(error).__name__)
    if isinstance(error, sqlite3.OperationalError) and error.sqlite_errorname in _TRANSIENT_SQLITE_ERRORS:
        return TransientConflict(error.sqlite_errorname)
    if is_unavailable(error):
        return DatabaseUnavailable(type(error).__name__)
    return error
