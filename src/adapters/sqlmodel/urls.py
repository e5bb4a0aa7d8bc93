"""Turn the database URLs people paste (Neon's included) into what SQLAlchemy's async drivers take."""

from __future__ import annotations

import logging
import shlex
import ssl
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import URL, make_url

log = logging.getLogger(__name__)

_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+asyncpg"}
_SQLITE_SCHEMES = {"sqlite", "sqlite+aiosqlite"}
# Dropping one of these would quietly weaken TLS, so they are refused instead.
_TLS_FILES = {"sslrootcert", "sslcert", "sslkey", "sslpassword", "sslcrl", "sslcrldir"}
_SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    """A driver URL plus the keyword arguments its driver's connect() needs."""

    url: URL
    connect_args: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def looks_pooled(self) -> bool:
        """Neon's pooled endpoints (PgBouncer, transaction mode) have hosts like `ep-x-pooler.region...`."""
        return "-pooler." in f"{self.url.host or ''}."


def mask(url: URL | str) -> str:
    """The URL with its password hidden, fit for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


def database_target(raw: str) -> DatabaseTarget:
    url = make_url(raw)
    if url.drivername in _SQLITE_SCHEMES:
        return DatabaseTarget(url.set(drivername="sqlite+aiosqlite"))
    if url.drivername not in _POSTGRES_SCHEMES:
        raise ValueError(f"unsupported database URL scheme {url.drivername!r} in {mask(url)}")
    return _postgres_target(url)


def _postgres_target(url: URL) -> DatabaseTarget:
    """asyncpg rejects libpq's query parameters, so translate the ones that mean something."""
    query = dict(url.query)
    connect_args: dict[str, Any] = {}
    server_settings: dict[str, str] = {}

    # libpq's sslmode, or asyncpg's own `ssl` as SQLAlchemy users write it: the same values.
    sslmode = _single(query.pop("sslmode", None)) or _single(query.pop("ssl", None))
    if sslmode is not None:
        if sslmode not in _SSL_MODES:
            raise ValueError(f"unknown sslmode {sslmode!r} in {mask(url)}")
        connect_args["ssl"] = _ssl_argument(sslmode)
    # asyncpg negotiates SCRAM channel binding by itself.
    query.pop("channel_binding", None)
    application_name = _single(query.pop("application_name", None))
    if application_name:
        server_settings["application_name"] = application_name
    connect_timeout = _single(query.pop("connect_timeout", None))
    if connect_timeout:
        connect_args["timeout"] = float(connect_timeout)
    options = _single(query.pop("options", None))
    if options:
        server_settings.update(_server_options(options))
    refused = sorted(_TLS_FILES.intersection(query))
    if refused:
        raise ValueError(
            f"database URL parameters {', '.join(refused)} are not supported; use sslmode=require or "
            f"verify-full with the system's trusted certificates ({mask(url)})"
        )
    for name in query:
        log.warning("ignoring unsupported database URL parameter %r", name)

    if server_settings:
        connect_args["server_settings"] = server_settings
    return DatabaseTarget(url.set(drivername="postgresql+asyncpg", query={}), connect_args)


def _ssl_argument(sslmode: str) -> str | ssl.SSLContext:
    """asyncpg's `ssl`: the mode itself, except that verifying modes check against the system's
    certificate authorities (asyncpg's own verify modes demand ~/.postgresql/root.crt)."""
    if sslmode not in ("verify-ca", "verify-full"):
        return sslmode
    context = ssl.create_default_context()
    context.check_hostname = sslmode == "verify-full"
    return context


def _server_options(options: str) -> dict[str, str]:
    """Read libpq `options` (`-c name=value` or `--name=value`; make_url already percent-decoded).

    Neon's `endpoint=...` is for clients without SNI; asyncpg sends SNI, so it is dropped.
    """
    settings: dict[str, str] = {}
    words = iter(shlex.split(options))
    for word in words:
        if word == "-c":
            assignment = next(words, "")
        elif word.startswith("--") and "=" in word:
            name, _, value = word[2:].partition("=")
            assignment = f"{name.replace('-', '_')}={value}"
        else:
            assignment = ""
        name, equals, value = assignment.partition("=")
        if name and equals:
            settings[name] = value
        elif not word.startswith("endpoint="):
            log.warning("ignoring unsupported word %r in the database URL's options", word)
    return settings


def _single(value: str | tuple[str, ...] | None) -> str | None:
    return value[-1] if isinstance(value, tuple) else value


def sqlite_file(raw: str) -> str | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    url = make_url(raw)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database
