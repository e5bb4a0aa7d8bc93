"""Settings read from the environment under the names the contract gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from entrypoints import cli
from entrypoints.settings import Settings

NEON_POOLED = (
    "postgresql://user:pw@ep-x-pooler.eu-central-1.aws.neon.tech/neondb"
    "?sslmode=require&channel_binding=require"
)
NEON_DIRECT = "postgresql://user:pw@ep-x.eu-central-1.aws.neon.tech/neondb?sslmode=require"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "DATABASE_URL_DIRECT",
        "CORS_ORIGINS",
        "CORS_ALLOW_CREDENTIALS",
        "AUTH_JWT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)


def read_settings() -> Settings:
    return Settings(_env_file=None)


def test_cors_origins_are_read_as_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://app.example.com, http://localhost:3000 ,")

    settings = read_settings()

    assert settings.cors_origins == ["https://app.example.com", "http://localhost:3000"]


def test_no_cors_origins_means_an_empty_list() -> None:
    settings = read_settings()

    assert settings.cors_origins == []


def test_cors_credentials_are_off_by_default() -> None:
    assert read_settings().cors_allow_credentials is False


def test_cors_credentials_are_allowed_with_listed_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://app.example.com")
    monkeypatch.setenv("CORS_ALLOW_CREDENTIALS", "true")

    assert read_settings().cors_allow_credentials is True


@pytest.mark.parametrize("origins", ["*", "https://app.example.com, *"])
def test_cors_credentials_with_any_origin_are_refused(monkeypatch: pytest.MonkeyPatch, origins: str) -> None:
    monkeypatch.setenv("CORS_ORIGINS", origins)
    monkeypatch.setenv("CORS_ALLOW_CREDENTIALS", "true")

    with pytest.raises(ValidationError, match=r"CORS_ALLOW_CREDENTIALS.*list the allowed origins"):
        read_settings()


def test_any_origin_without_credentials_is_still_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "*")

    assert read_settings().cors_origins == ["*"]


def test_tasks_refuses_to_run_with_cors_credentials_for_any_origin(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the machine's
    monkeypatch.setenv("CORS_ORIGINS", "*")
    monkeypatch.setenv("CORS_ALLOW_CREDENTIALS", "true")

    # `tasks serve` reads its settings the same way; `token` returns at once if they load.
    status = cli.main(["token", "someone"])

    assert status == 2
    error = capsys.readouterr().err
    assert "tasks: Value error, CORS_ALLOW_CREDENTIALS cannot be used with CORS_ORIGINS=*" in error


def test_a_neon_url_is_accepted_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", NEON_POOLED)

    settings = read_settings()

    assert settings.database_url == NEON_POOLED
    assert settings.uses_sqlite is False


def test_the_default_database_is_embedded_sqlite_in_the_data_folder() -> None:
    settings = read_settings()

    assert settings.database_url == "sqlite+aiosqlite:///data/tasks.db"
    assert settings.uses_sqlite is True


def test_tasks_data_dir_moves_the_default_database_but_not_a_configured_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TASKS_DATA_DIR", "/srv/tasks")
    moved = read_settings()
    monkeypatch.setenv("DATABASE_URL", NEON_POOLED)
    configured = read_settings()

    assert moved.database_url == "sqlite+aiosqlite:////srv/tasks/tasks.db"
    assert configured.database_url == NEON_POOLED


def test_migrations_prefer_the_direct_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", NEON_POOLED)
    monkeypatch.setenv("DATABASE_URL_DIRECT", NEON_DIRECT)

    settings = read_settings()

    assert settings.migration_url == NEON_DIRECT


def test_migrations_use_the_database_url_when_there_is_no_direct_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", NEON_POOLED)

    settings = read_settings()

    assert settings.migration_url == NEON_POOLED


def test_the_jwt_secret_is_kept_out_of_its_printed_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_JWT_SECRET", "a-configured-secret-of-more-than-32-bytes")

    settings = read_settings()

    assert settings.auth_jwt_secret is not None
    assert settings.auth_jwt_secret.get_secret_value() == "a-configured-secret-of-more-than-32-bytes"
    assert "a-configured-secret" not in repr(settings)


def test_a_secret_shorter_than_32_bytes_is_refused_when_the_settings_are_read() -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(_env_file=None, auth_jwt_secret="short")  # type: ignore[call-arg]


def test_a_blank_secret_counts_as_no_secret() -> None:
    settings = Settings(_env_file=None, auth_jwt_secret="   ")  # type: ignore[call-arg]

    assert settings.auth_jwt_secret is None
