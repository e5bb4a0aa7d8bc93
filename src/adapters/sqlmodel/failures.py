"""Why the database could not be reached, said in one line a person can act on.

Connection failures arrive wrapped (SQLAlchemy's DBAPIError around asyncpg's, an OSError inside
a TimeoutError...): the chain is searched for the first failure this module knows."""

from __future__ import annotations

import socket
import sqlite3
import ssl
from collections.abc import Iterator

import asyncpg


def connection_failure(error: BaseException, database: str | None = None) -> str | None:
    """What failed and what to do, or None when the error is not one of reaching the database;
    `database` is the name in the URL."""
    for cause in _chain(error):
        said = _said(cause, database or "<name>")
        if said is not None:
            return said
    return None


def _said(error: BaseException, database: str) -> str | None:  # noqa: PLR0911 (one answer per kind)
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return f'{error}. Create it (psql: CREATE DATABASE "{database}";), then run `tasks migrate`'
    if isinstance(error, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
        return f"{error}. Check the user name and password in the URL"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the server's TLS certificate did not verify ({error.verify_message}). Check sslmode and "
            "sslrootcert in the URL"
        )
    if isinstance(error, ssl.SSLError):
        return f"the TLS handshake failed ({error.reason or error}). Check sslmode in the URL"
    if isinstance(error, socket.gaierror):
        return "the host name does not resolve. Check the host in the URL"
    if isinstance(error, ConnectionRefusedError):
        return "nothing answers at that host and port. Is PostgreSQL running there, and is the port right?"
    if isinstance(error, TimeoutError):
        return (
            "no answer in time. Check the host and any firewall (a Neon compute waking up can take a few "
            "seconds: try again, or raise DATABASE_CONNECT_TIMEOUT_SECONDS)"
        )
    if isinstance(error, OSError):  # ConnectionError is one
        return f"the connection failed ({error}). Check the host, the port and sslmode in the URL"
    if isinstance(error, sqlite3.OperationalError) and "unable to open" in str(error):
        return "the SQLite file cannot be opened. Check that its folder exists and is writable"
    if isinstance(error, asyncpg.PostgresConnectionError | asyncpg.ConnectionDoesNotExistError):
        return f"the connection failed ({error})"
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([getattr(current, "orig", None), current.__cause__, current.__context__])
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
