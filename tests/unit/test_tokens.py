"""Shared-secret tokens: HS256 only, `exp` and `sub` required, anything else is an InvalidToken."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from adapters.security.jwt_tokens import SharedSecretTokens
from application.errors import InvalidToken

SECRET = "s" * 64
YEAR_2100 = 4102444800  # an `exp` far in the future


def segment(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
def tokens() -> SharedSecretTokens:
    return SharedSecretTokens(SECRET)


def test_an_issued_token_verifies_to_its_subject(tokens: SharedSecretTokens) -> None:
    token = tokens.issue("alice", lifetime=timedelta(minutes=5))

    assert tokens.verify(token) == "alice"


def test_an_issued_token_is_hs256_with_exp_and_sub(tokens: SharedSecretTokens) -> None:
    token = tokens.issue("alice", lifetime=timedelta(minutes=5))

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert {"sub", "exp", "iat"} <= jwt.decode(token, options={"verify_signature": False}).keys()


@pytest.mark.parametrize("secret", ["", "short", "x" * 31, "é" * 15])
def test_a_secret_under_32_bytes_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        SharedSecretTokens(secret)


def test_a_secret_of_32_bytes_is_accepted() -> None:
    tokens = SharedSecretTokens("é" * 16)

    assert tokens.verify(tokens.issue("alice", lifetime=timedelta(minutes=1))) == "alice"


def test_an_expired_token_is_refused(tokens: SharedSecretTokens) -> None:
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    token = tokens.issue("alice", lifetime=timedelta(minutes=5), now=two_hours_ago)

    with pytest.raises(InvalidToken):
        tokens.verify(token)


def test_a_token_without_exp_is_refused(tokens: SharedSecretTokens) -> None:
    token = jwt.encode({"sub": "alice"}, SECRET, algorithm="HS256")

    with pytest.raises(InvalidToken):
        tokens.verify(token)


def test_a_token_without_sub_is_refused(tokens: SharedSecretTokens) -> None:
    token = jwt.encode({"exp": YEAR_2100}, SECRET, algorithm="HS256")

    with pytest.raises(InvalidToken):
        tokens.verify(token)


def test_a_token_with_an_empty_sub_is_refused(tokens: SharedSecretTokens) -> None:
    token = jwt.encode({"sub": "", "exp": YEAR_2100}, SECRET, algorithm="HS256")

    with pytest.raises(InvalidToken):
        tokens.verify(token)


def test_a_token_signed_with_another_secret_is_refused(tokens: SharedSecretTokens) -> None:
    token = SharedSecretTokens("o" * 64).issue("alice", lifetime=timedelta(minutes=5))

    with pytest.raises(InvalidToken):
        tokens.verify(token)


def test_an_unsigned_alg_none_token_is_refused(tokens: SharedSecretTokens) -> None:
    token = f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment({'sub': 'alice', 'exp': YEAR_2100})}."

    with pytest.raises(InvalidToken):
        tokens.verify(token)


def test_a_token_signed_with_hs512_and_the_right_secret_is_refused(tokens: SharedSecretTokens) -> None:
    token = jwt.encode({"sub": "alice", "exp": YEAR_2100}, SECRET, algorithm="HS512")

    with pytest.raises(InvalidToken):
        tokens.verify(token)


def test_a_token_claiming_rs256_is_refused(tokens: SharedSecretTokens) -> None:
    header = segment({"alg": "RS256", "typ": "JWT"})
    payload = segment({"sub": "alice", "exp": YEAR_2100})
    token = f"{header}.{payload}.{segment({'not': 'a signature'})}"

    with pytest.raises(InvalidToken):
        tokens.verify(token)


def test_a_token_with_a_tampered_payload_is_refused(tokens: SharedSecretTokens) -> None:
    header, _, signature = tokens.issue("alice", lifetime=timedelta(minutes=5)).split(".")
    forged_payload = segment({"sub": "mallory", "exp": YEAR_2100})

    with pytest.raises(InvalidToken):
        tokens.verify(f"{header}.{forged_payload}.{signature}")


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "a.b"])
def test_a_malformed_token_is_refused(tokens: SharedSecretTokens, token: str) -> None:
    with pytest.raises(InvalidToken):
        tokens.verify(token)
