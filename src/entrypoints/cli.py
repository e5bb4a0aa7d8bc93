"""The `tasks` command: serve the API, migrate the database, print a token."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from datetime import timedelta

import uvicorn
from pydantic import ValidationError

from adapters.sqlmodel.urls import mask
from application.maintenance import Purged, PurgeExpired
from entrypoints.container import Container
from entrypoints.embedded import ConfigurationError, prepare
from entrypoints.observability import configure_logging
from entrypoints.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tasks", description="A multi-user task service.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)

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
            print(f"tasks: {name}: {problem['msg']}", file=sys.stderr)
        return 2
    except ConfigurationError as error:
        print(f"tasks: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)

    if args.command == "serve":
        if settings.uses_sqlite and not _migrated_apart():
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
    elif args.command == "migrate":
        # Imported only here: Alembic stays out of the serving process's memory.
        from entrypoints.migrations import upgrade_to_head  # noqa: PLC0415

        upgrade_to_head(settings.migration_url)
        print(f"migrated {mask(settings.migration_url)} to head")
    elif args.command == "purge":
        purged = asyncio.run(_purge(settings))
        print(
            f"purged {purged.idempotency_keys} expired idempotency keys"
            f" and {purged.rate_limits} spent rate-limit counts"
        )
    else:
        tokens = Container(settings=settings).adapters.tokens()
        if tokens is None:
            print("tasks: `tasks token` signs with AUTH_JWT_SECRET, which is not set", file=sys.stderr)
            return 2
        seconds = settings.auth_token_lifetime_seconds if args.ttl is None else args.ttl
        print(tokens.issue(args.sub, lifetime=timedelta(seconds=seconds)).access_token)
    return 0


async def _purge(settings: Settings) -> Purged:
    container = Container(settings=settings)
    try:
        purge: PurgeExpired = container.use_cases.purge_expired()
        return await purge()
    finally:
        await container.adapters.database().close()


def _migrated_apart() -> bool:
    """The embedded database migrates before serving, in a process of its own: Alembic and
    SQLAlchemy's engine then never take up the server's memory. Its errors are on stderr."""
    done = subprocess.run([sys.executable, "-m", "entrypoints.cli", "migrate"], check=False)
    return done.returncode == 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


if __name__ == "__main__":
    raise SystemExit(main())
