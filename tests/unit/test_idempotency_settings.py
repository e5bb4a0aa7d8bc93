"""IDEMPOTENCY_KEY_TTL_SECONDS: how long a creation's key keeps answering."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from entrypoints.settings import Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IDEMPOTENCY_KEY_TTL_SECONDS", raising=False)


def test_keys_are_kept_for_a_day_by_default() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.idempotency_key_ttl_seconds == 24 * 60 * 60


def test_the_lifetime_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDEMPOTENCY_KEY_TTL_SECONDS", "600")

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.idempotency_key_ttl_seconds == 600


def test_a_lifetime_of_zero_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDEMPOTENCY_KEY_TTL_SECONDS", "0")

    with pytest.raises(ValidationError, match="idempotency_key_ttl_seconds"):
        Settings(_env_file=None)  # type: ignore[call-arg]
