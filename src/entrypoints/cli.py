"""The `tasks` command: serve the API, serve MCP over stdio, migrate the database, print a token."""

from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import uvicorn
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from adapters.sqlmodel.schema import SCHEMA_REVISION, schema_state
from adapters.sqlmodel.urls import mask
from application.maintenance import Purged, PurgeExpired
from entrypoints.container import Container
from entrypoints.embedded import ConfigurationError, prepare
from entrypoints.observability import configure_logging
from entrypoints.settings import Settings

log = logging.getLogger("tasks")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tasks", description="A multi-user task service.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)

    commands.add_parser(
        "mcp",
        help="serve MCP over stdio, for a local agent acting for the user whose token is in TASKS_TOKEN",
    )
    commands.add_parser("migrate", help="upgrade the database to the newest schema")
    commands.add_parser(
        "purge", help="delete expired idempotency keys and spent rate-limit counts (serving does it hourly)"
    )

    token = commands.add_parser("token", help="print a bearer token for a user id, for trying the API")
    token.add_argument("sub", help="the user id the token speaks for")
    token.add_argument(
        "--ttl", type=_positive, help="lifetime in seconds (default AUTH_TOKEN_LIFETIME_SECONDS)"
    )

    args = parser.parse_args(argv)
    try:
        settings = prepare(Settings())
    except ValidationError as error:
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"]).upper()
            where = f"{name}: " if name else ""  # a rule between settings names them itself
            print(f"tasks: {where}{problem['msg']}", file=sys.stderr)
        return 2
    except ConfigurationError as error:
        print(f"tasks: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)

    run = {"serve": _serve, "mcp": _mcp, "migrate": _migrate, "purge": _purge, "token": _token}[args.command]
    try:
        return run(args, settings)
    except CannotUseDatabase as error:
        print(f"tasks: {error}", file=sys.stderr)
        return 2


class CannotUseDatabase(Exception):
    """The database could not be used (unreachable, missing, refused, or its schema behind): the
    message says what failed, with the URL's password masked, and what to do."""


@contextmanager
def _told(url: str) -> Iterator[None]:
    """Failures to reach the database at `url` become one line; anything else stays a traceback."""
    try:
        yield
    except Exception as error:
        from adapters.sqlmodel.failures import connection_failure  # noqa: PLC0415 (asyncpg: only now)

        said = connection_failure(error, make_url(url).database)
        if said is None:
            raise
        raise CannotUseDatabase(f"cannot use the database at {mask(url)}: {said}") from error


def _ready(settings: Settings) -> bool:
    """The embedded database migrated, or the PostgreSQL schema checked."""
    if settings.uses_sqlite:
        return _migrated_apart()
    with _told(settings.database_url):
        asyncio.run(_check_schema(settings))
    return True


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if not _ready(settings):
        return 2
    uvicorn.run(
        "entrypoints.http.app:build_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,  # the app logs each request with its request id
        log_config=None,
        # X-Forwarded-* is the app's to believe, from HTTP_TRUSTED_PROXIES only (uvicorn's own
        # default would believe 127.0.0.1, i.e. anyone on the machine).
        proxy_headers=False,
    )
    return 0


def _mcp(_: argparse.Namespace, settings: Settings) -> int:
    # Imported only here: the MCP SDK stays out of the other commands.
    from entrypoints.http.app import API_VERSION  # noqa: PLC0415
    from entrypoints.mcp.stdio import NoToken, serve_stdio  # noqa: PLC0415

    if not _ready(settings):
        return 2
    try:
        with _told(settings.database_url):
            asyncio.run(serve_stdio(settings, API_VERSION))
    except NoToken as error:
        print(f"tasks: {error}", file=sys.stderr)
        return 2
    return 0


def _migrate(_: argparse.Namespace, settings: Settings) -> int:
    # Which of its own plugins Alembic sets up as it is imported, at INFO: noise to the reader.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # Imported only here: Alembic stays out of the serving process's memory.
    from entrypoints.migrations import upgrade_to_head  # noqa: PLC0415

    with _told(settings.migration_url):
        upgrade_to_head(settings.migration_url)
    print(f"migrated {mask(settings.migration_url)} to head", flush=True)
    return 0


def _purge(_: argparse.Namespace, settings: Settings) -> int:
    with _told(settings.database_url):
        purged = asyncio.run(_purged(settings))
    print(
        f"purged {purged.idempotency_keys} expired idempotency keys,"
        f" {purged.rate_limits} spent rate-limit counts and {purged.changes} old changes"
    )
    return 0


def _token(args: argparse.Namespace, settings: Settings) -> int:
    tokens = Container(settings=settings).adapters.tokens()
    if tokens is None:
        print("tasks: `tasks token` signs with AUTH_JWT_SECRET, which is not set", file=sys.stderr)
        return 2
    seconds = settings.auth_token_lifetime_seconds if args.ttl is None else args.ttl
    print(tokens.issue(args.sub, lifetime=timedelta(seconds=seconds)).access_token)
    return 0


async def _check_schema(settings: Settings) -> None:
    """Refuse a PostgreSQL database whose schema is behind this release; warn about a role that
    row-level security does not bind, and about a schema from a newer release."""
    database = Container(settings=settings).adapters.database()
    retries = logging.getLogger("adapters.sqlmodel.database")
    level = retries.level
    retries.setLevel(logging.ERROR)  # attempts are still retried; if all fail, one line says why
    try:
        state = await schema_state(database)
    finally:
        retries.setLevel(level)
        await database.close()
    if state.problem is not None:
        raise CannotUseDatabase(f"{state.problem} ({mask(settings.migration_url)})")
    if state.bypasses_rls:
        log.warning(
            "the database role is a superuser or has BYPASSRLS, so row-level security (the second wall "
            "between users) does not apply to it: connect as an ordinary role (README: "
            '"Row-level security: connect as an ordinary role")'
        )
    if state.ahead:
        log.warning(
            "the database schema (%s) is newer than this release (%s)", state.revision, SCHEMA_REVISION
        )


async def _purged(settings: Settings) -> Purged:
    container = Container(settings=settings)
    try:
        purge: PurgeExpired = container.use_cases.purge_expired()
        return await purge()
    finally:
        await container.adapters.database().close()


def _migrated_apart() -> bool:
    """The embedded database migrates before serving, in a process of its own: Alembic and
    SQLAlchemy's engine then never take up the server's memory. All it says goes to stderr (stdout
    is the protocol's under `tasks mcp`)."""
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "migrate"], check=False, stdout=sys.stderr
    )
    return done.returncode == 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


if __name__ == "__main__":
    raise SystemExit(main())
