"""Running unconfigured: a secret kept beside the SQLite file, never invented for a shared database."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from entrypoints.embedded import SECRET_FILE_NAME, ConfigurationError, prepare
from entrypoints.settings import Settings

NEON = "postgresql://user:pw@ep-x-pooler.eu-central-1.aws.neon.tech/neondb?sslmode=require"
GIVEN_SECRET = "a-configured-secret-of-more-than-32-bytes"


def settings_for(database_url: str, secret: str | None = None) -> Settings:
    return Settings(_env_file=None, database_url=database_url, auth_jwt_secret=secret)


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'tasks.db'}"


def secret_of(settings: Settings) -> str:
    assert settings.auth_jwt_secret is not None
    return settings.auth_jwt_secret.get_secret_value()


def test_sqlite_without_a_secret_gets_one_generated_beside_the_database(tmp_path: Path) -> None:
    prepared = prepare(settings_for(sqlite_url(tmp_path)))

    secret_file = tmp_path / "data" / SECRET_FILE_NAME
    assert secret_file.read_text().strip() == secret_of(prepared)
    assert len(secret_of(prepared).encode()) >= 32


def test_the_generated_secret_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    prepare(settings_for(sqlite_url(tmp_path)))

    mode = stat.S_IMODE((tmp_path / "data" / SECRET_FILE_NAME).stat().st_mode)
    assert mode == 0o600


def test_a_second_start_reads_the_same_secret(tmp_path: Path) -> None:
    first = prepare(settings_for(sqlite_url(tmp_path)))

    second = prepare(settings_for(sqlite_url(tmp_path)))

    assert secret_of(second) == secret_of(first)


def test_the_database_folder_is_created(tmp_path: Path) -> None:
    prepare(settings_for(sqlite_url(tmp_path), GIVEN_SECRET))

    assert (tmp_path / "data").is_dir()


def test_postgres_without_a_secret_is_a_configuration_error_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="AUTH_JWT_SECRET"):
        prepare(settings_for(NEON))


def test_in_memory_sqlite_without_a_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="AUTH_JWT_SECRET"):
        prepare(settings_for("sqlite+aiosqlite:///:memory:"))


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_configured_secret_is_kept_as_given(tmp_path: Path, database: str) -> None:
    url = sqlite_url(tmp_path) if database == "sqlite" else NEON

    prepared = prepare(settings_for(url, GIVEN_SECRET))

    assert secret_of(prepared) == GIVEN_SECRET
    assert not (tmp_path / "data" / SECRET_FILE_NAME).exists()


def test_an_empty_secret_file_is_not_taken_as_the_secret(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / SECRET_FILE_NAME).write_text("")

    with pytest.raises(ConfigurationError):
        prepare(settings_for(sqlite_url(tmp_path)))
