"""The `tasks` command: serve the API, migrate the database, print a token."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

import uvicorn

from adapters.security.jwt_tokens import SharedSecretTokens
from adapters.sqlmodel.urls import mask
from entrypoints.embedded import ConfigurationError, prepare
from entrypoints.migrations import upgrade_to_head
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

    token = commands.add_parser("token", help="print a bearer token for a user id, for trying the API")
    token.add_argument("sub", help="the user id the token speaks for")
    token.add_argument("--ttl", type=int, help="lifetime in seconds (default AUTH_TOKEN_LIFETIME_SECONDS)")

    args = parser.parse_args(argv)
    try:
        settings = prepare(Settings())
    except ConfigurationError as error:
        print(f"tasks: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)

    if args.command == "serve":
        if settings.uses_sqlite:
            upgrade_to_head(settings.migration_url)
        uvicorn.run(
            "entrypoints.http.app:build_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            access_log=False,  # the app logs each request with its request id
            log_config=None,
        )
    elif args.command == "migrate":
        upgrade_to_head(settings.migration_url)
        print(f"migrated {mask(settings.migration_url)} to head")
    else:
        secret = settings.auth_jwt_secret.get_secret_value() if settings.auth_jwt_secret else ""
        lifetime = timedelta(seconds=args.ttl or settings.auth_token_lifetime_seconds)
        print(SharedSecretTokens(secret).issue(args.sub, lifetime=lifetime))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
