"""Configuration from the environment and `.env`, with the names the contract gives."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from adapters.security.jwt_tokens import MIN_SECRET_BYTES
from application.limits import Rate

DATABASE_FILE_NAME = "tasks.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Where the embedded database and its generated token-signing secret live (relative: to the
    # working directory), when DATABASE_URL is not set.
    tasks_data_dir: Path = Path("data")
    database_url: str = ""  # empty: SQLite, DATABASE_FILE_NAME in tasks_data_dir
    database_url_direct: str | None = None
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    database_pool_timeout: float = Field(default=30.0, gt=0)
    database_pool_recycle: int = 1800
    database_pool_pre_ping: bool = False
    database_null_pool: bool = False
    database_echo: bool = False
    database_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    database_statement_timeout_ms: int = Field(default=15_000, ge=0)
    database_idle_in_transaction_timeout_ms: int = Field(default=30_000, ge=0)
    database_slow_statement_ms: int = Field(default=500, ge=0)
    # "auto" detects Neon's -pooler hosts; "transaction" forces the PgBouncer-safe settings.
    database_pooler: Literal["auto", "transaction", "none"] = "auto"

    auth_jwt_secret: SecretStr | None = None
    auth_token_lifetime_seconds: int = Field(default=3600, ge=60)
    auth_leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    # Password hashes computed at once (each on a thread of its own) and waiting beyond those;
    # past both, login and registration answer 503 with Retry-After.
    auth_password_concurrency: int = Field(default=1, ge=1, le=64)
    auth_password_queue: int = Field(default=16, ge=0)
    # Login and registration attempts allowed per client address and per account (the email they
    # name): "N/second", "N/minute", "N/hour", "N/day" or "off". Counted in the database, so every
    # worker and replica shares one count; past it, 429 with Retry-After.
    auth_login_rate_per_address: str = "20/minute"
    auth_login_rate_per_account: str = "10/minute"
    auth_register_rate_per_address: str = "20/hour"
    auth_register_rate_per_account: str = "5/hour"
    auth_jwks_url: str | None = None
    auth_issuer: str | None = None
    auth_audience: str | None = None
    auth_jwks_refetch_interval_seconds: float = Field(default=10.0, ge=0)
    auth_jwks_timeout_seconds: float = Field(default=5.0, gt=0)
    # `tasks mcp` (MCP over stdio) acts for the user whose bearer token this is, checked like any.
    tasks_token: SecretStr | None = None

    # How long a POST's Idempotency-Key keeps answering with the task it first made.
    idempotency_key_ttl_seconds: int = Field(default=86_400, ge=1)
    # How often each serving process deletes expired idempotency keys, spent rate-limit counts and
    # changes past their retention (`tasks purge` does it once); 0: never while serving.
    purge_interval_seconds: int = Field(default=3600, ge=0)
    # How long the change log keeps each change, and so how old a sync token may be (410 beyond).
    sync_retention_days: int = Field(default=30, ge=1, le=3650)
    # Live streams (GET /api/v1/events): how many one user may have open on each serving process
    # (429 beyond), how often an idle one gets a heartbeat comment, how often a stream looks at the
    # feed when nobody told it of a change (another process on SQLite, or no DATABASE_URL_DIRECT
    # behind a pooler), and how long a client may take to read what was sent before it is closed.
    events_max_streams_per_user: int = Field(default=5, ge=1, le=100)
    events_heartbeat_seconds: float = Field(default=15.0, gt=0)
    events_poll_seconds: float = Field(default=2.0, gt=0)
    events_send_timeout_seconds: float = Field(default=30.0, gt=0)

    # Bodies larger than this are refused (413) before they are read to the end, let alone parsed.
    http_max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Headers larger than this (names and values together) are refused with 431.
    http_max_header_bytes: int = Field(default=16_384, ge=1024)

    # The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses or
    # networks, comma-separated ("*": any). From any other peer those headers are ignored, so a
    # client cannot pick the address its attempts are counted against.
    http_trusted_proxies: Annotated[list[str], NoDecode] = []

    cors_origins: Annotated[list[str], NoDecode] = []
    # Let browsers send cookies or HTTP authentication with cross-origin requests (fetch's
    # `credentials: "include"`); only with origins listed one by one, never "*".
    cors_allow_credentials: bool = False
    # What the compatibility routes' list answers: a plain array of tasks, `{tasks, total}`
    # ("object"), or that under `data` ("data"); frontends written to the todo spec differ.
    compat_list_shape: Literal["array", "object", "data"] = "array"
    log_level: Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("auth_jwks_url", "auth_issuer", "auth_audience", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("auth_jwt_secret", "tasks_token", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("auth_jwt_secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"must be at least {MIN_SECRET_BYTES} bytes (e.g. the output of `openssl rand -base64 48`)"
            )
        return value

    @field_validator("cors_origins", "http_trusted_proxies", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("http_trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        for proxy in value:
            if proxy != "*":
                try:
                    ipaddress.ip_network(proxy, strict=False)
                except ValueError:
                    raise ValueError(f"{proxy!r} is not an IP address or network (or *)") from None
        return value

    @field_validator(
        "auth_login_rate_per_address",
        "auth_login_rate_per_account",
        "auth_register_rate_per_address",
        "auth_register_rate_per_account",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        Rate.parse(value)  # its ValueError says how to write one
        return value

    @model_validator(mode="after")
    def _credentials_only_for_listed_origins(self) -> Settings:
        """Credentials for any origin would let every site a user visits act as that user."""
        if self.cors_allow_credentials and "*" in self.cors_origins:
            raise ValueError(
                "CORS_ALLOW_CREDENTIALS cannot be used with CORS_ORIGINS=*: list the allowed origins "
                "explicitly (e.g. CORS_ORIGINS=https://app.example.com,http://localhost:3000)"
            )
        return self

    @model_validator(mode="after")
    def _embedded_by_default(self) -> Settings:
        if not self.database_url.strip():
            self.database_url = f"sqlite+aiosqlite:///{self.tasks_data_dir / DATABASE_FILE_NAME}"
        return self

    @property
    def migration_url(self) -> str:
        """Migrations go over the direct (non-pooler) URL when there is one."""
        return self.database_url_direct or self.database_url

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
