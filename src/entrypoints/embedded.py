"""What `tasks serve` needs to run with no configuration: a data folder and a kept secret."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from pydantic import SecretStr

from adapters.security.jwt_tokens import MIN_SECRET_BYTES
from adapters.sqlmodel.urls import sqlite_file
from entrypoints.settings import Settings

SECRET_FILE_NAME = ".tasks-jwt-secret"  # noqa: S105 (a file name, not a secret)


class ConfigurationError(Exception):
    """The service cannot start as configured; the message says what to set."""


def prepare(settings: Settings) -> Settings:
    """Create the SQLite file's folder and fill in a generated secret where one may be generated."""
    database_file = sqlite_file(settings.database_url)
    if database_file is not None:
        Path(database_file).parent.mkdir(parents=True, exist_ok=True)
    if settings.auth_jwt_secret is not None:
        return settings
    if database_file is None:
        if settings.auth_jwks_url is not None:
            return settings  # external identities only: no local accounts, so nothing to sign
        raise ConfigurationError(
            "neither AUTH_JWT_SECRET nor AUTH_JWKS_URL is set. On a shared database the service "
            "will not invent a signing secret: set AUTH_JWT_SECRET to a random string of at least "
            "32 bytes (e.g. `openssl rand -base64 48`) for local accounts and shared-secret tokens, "
            "and/or AUTH_JWKS_URL to your identity provider's key set (Better Auth: /api/auth/jwks)."
        )
    secret = _kept_secret(Path(database_file).parent / SECRET_FILE_NAME)
    return settings.model_copy(update={"auth_jwt_secret": SecretStr(secret)})


def _kept_secret(path: Path) -> str:
    """Read the secret beside the database, or create it once, readable by its owner only, and
    say so (a token signed with a new secret is good only where the same folder is used).

    The secret is written whole to a private temporary file and then linked into place, so a
    crash or a second worker starting at the same moment never sees a half-written file.
    """
    if not path.exists():
        draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process got there first: its secret is the one
        else:
            print(
                f"tasks: created a new token-signing secret in {path.resolve()}; tokens it signs are good"
                " wherever TASKS_DATA_DIR (or DATABASE_URL's SQLite file) names this folder",
                file=sys.stderr,
            )
        finally:
            draft.unlink()
    secret = path.read_text().strip()
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"the kept secret in {path} is shorter than {MIN_SECRET_BYTES} bytes: delete the file "
            "to have a new one generated, or set AUTH_JWT_SECRET"
        )
    return secret
