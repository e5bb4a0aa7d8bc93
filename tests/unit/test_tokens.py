"""Shared-secret tokens: HS256 only, `exp` and `sub` required (`iss` and `aud` when configured),
anything else is an InvalidToken."""

from __future__ import annotations

import asyncio
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


async def test_an_issued_token_verifies_to_its_subject(tokens: SharedSecretTokens) -> None:
    token = tokens.issue("alice", lifetime=timedelta(minutes=5)).access_token

    assert (await tokens.verify(token)).subject == "alice"


def test_an_issued_token_is_hs256_with_exp_and_sub(tokens: SharedSecretTokens) -> None:
    token = tokens.issue("alice", lifetime=timedelta(minutes=5)).access_token

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert {"sub", "exp", "iat"} <= jwt.decode(token, options={"verify_signature": False}).keys()


@pytest.mark.parametrize("secret", ["", "short", "x" * 31, "é" * 15])
def test_a_secret_under_32_bytes_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        SharedSecretTokens(secret)


async def test_a_secret_of_32_bytes_is_accepted() -> None:
    tokens = SharedSecretTokens("é" * 16)

    assert (
        await tokens.verify(tokens.issue("alice", lifetime=timedelta(minutes=1)).access_token)
    ).subject == "alice"


async def test_an_expired_token_is_refused(tokens: SharedSecretTokens) -> None:
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    token = tokens.issue("alice", lifetime=timedelta(minutes=5), now=two_hours_ago).access_token

    with pytest.raises(InvalidToken):
        await tokens.verify(token)


async def test_a_token_without_exp_is_refused(tokens: SharedSecretTokens) -> None:
    token = jwt.encode({"sub": "alice"}, SECRET, algorithm="HS256")

    with pytest.raises(InvalidToken):
        await tokens.verify(token)


async def test_a_token_without_sub_is_refused(tokens: SharedSecretTokens) -> None:
    token = jwt.encode({"exp": YEAR_2100}, SECRET, algorithm="HS256")

    with pytest.raises(InvalidToken):
        await tokens.verify(token)


async def test_a_token_with_an_empty_sub_is_refused(tokens: SharedSecretTokens) -> None:
    token = jwt.encode({"sub": "", "exp": YEAR_2100}, SECRET, algorithm="HS256")

    with pytest.raises(InvalidToken):
        await tokens.verify(token)


async def test_a_token_signed_with_another_secret_is_refused(tokens: SharedSecretTokens) -> None:
    token = SharedSecretTokens("o" * 64).issue("alice", lifetime=timedelta(minutes=5)).access_token

    with pytest.raises(InvalidToken):
        await tokens.verify(token)


async def test_an_unsigned_alg_none_token_is_refused(tokens: SharedSecretTokens) -> None:
    token = f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment({'sub': 'alice', 'exp': YEAR_2100})}."

    with pytest.raises(InvalidToken):
        await tokens.verify(token)


async def test_a_token_signed_with_hs512_and_the_right_secret_is_refused(tokens: SharedSecretTokens) -> None:
    token = jwt.encode({"sub": "alice", "exp": YEAR_2100}, SECRET, algorithm="HS512")

    with pytest.raises(InvalidToken):
        await tokens.verify(token)


async def test_a_token_claiming_rs256_is_refused(tokens: SharedSecretTokens) -> None:
    header = segment({"alg": "RS256", "typ": "JWT"})
    payload = segment({"sub": "alice", "exp": YEAR_2100})
    token = f"{header}.{payload}.{segment({'not': 'a signature'})}"

    with pytest.raises(InvalidToken):
        await tokens.verify(token)


async def test_a_token_with_a_tampered_payload_is_refused(tokens: SharedSecretTokens) -> None:
    header, _, signature = tokens.issue("alice", lifetime=timedelta(minutes=5)).access_token.split(".")
    forged_payload = segment({"sub": "mallory", "exp": YEAR_2100})

    with pytest.raises(InvalidToken):
        await tokens.verify(f"{header}.{forged_payload}.{signature}")


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "a.b"])
async def test_a_malformed_token_is_refused(tokens: SharedSecretTokens, token: str) -> None:
    with pytest.raises(InvalidToken):
        await tokens.verify(token)


# --- `iss` and `aud`: checked only when configured (AUTH_ISSUER, AUTH_AUDIENCE) ---

ISSUER = "https://auth.example.com"
AUDIENCE = "https://tasks.example.com"


@pytest.fixture
def bound() -> SharedSecretTokens:
    return SharedSecretTokens(SECRET, issuer=ISSUER, audience=AUDIENCE)


def signed(**claims: object) -> str:
    return jwt.encode({"sub": "alice", "exp": YEAR_2100, **claims}, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"aud": "https://any-app.example"}, id="aud"),
        pytest.param({"aud": ["one", "two"]}, id="aud-list"),
        pytest.param({"iss": "https://anyone.example"}, id="iss"),
    ],
)
async def test_without_an_issuer_and_audience_a_token_naming_any_is_accepted(
    tokens: SharedSecretTokens, claims: dict[str, object]
) -> None:
    assert (await tokens.verify(signed(**claims))).subject == "alice"


def test_a_token_issued_with_an_issuer_and_audience_carries_them(bound: SharedSecretTokens) -> None:
    token = bound.issue("alice", lifetime=timedelta(minutes=5)).access_token

    claims = jwt.decode(token, options={"verify_signature": False})

    assert (claims["iss"], claims["aud"]) == (ISSUER, AUDIENCE)


def test_a_token_issued_without_them_names_neither(tokens: SharedSecretTokens) -> None:
    token = tokens.issue("alice", lifetime=timedelta(minutes=5)).access_token

    assert {"iss", "aud"}.isdisjoint(jwt.decode(token, options={"verify_signature": False}))


async def test_a_token_issued_with_an_issuer_and_audience_verifies(bound: SharedSecretTokens) -> None:
    token = bound.issue("alice", lifetime=timedelta(minutes=5)).access_token

    assert (await bound.verify(token)).subject == "alice"


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"iss": ISSUER, "aud": AUDIENCE}, id="both"),
        pytest.param({"iss": ISSUER, "aud": ["https://other.example", AUDIENCE]}, id="aud-list-with-ours"),
    ],
)
async def test_a_client_token_naming_the_issuer_and_audience_is_accepted(
    bound: SharedSecretTokens, claims: dict[str, object]
) -> None:
    assert (await bound.verify(signed(**claims))).subject == "alice"


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({}, id="neither"),
        pytest.param({"aud": AUDIENCE}, id="no-iss"),
        pytest.param({"iss": ISSUER}, id="no-aud"),
        pytest.param({"iss": "https://impostor.example", "aud": AUDIENCE}, id="other-iss"),
        pytest.param({"iss": ISSUER, "aud": "https://other.example"}, id="other-aud"),
        pytest.param({"iss": ISSUER, "aud": ["https://other.example"]}, id="aud-list-without-ours"),
    ],
)
async def test_with_an_issuer_and_audience_a_token_must_name_both(
    bound: SharedSecretTokens, claims: dict[str, object]
) -> None:
    with pytest.raises(InvalidToken):
        await bound.verify(signed(**claims))


async def test_an_issuer_alone_requires_iss_and_leaves_aud_unchecked() -> None:
    tokens = SharedSecretTokens(SECRET, issuer=ISSUER)

    assert (await tokens.verify(signed(iss=ISSUER, aud="https://any-app.example"))).subject == "alice"
    with pytest.raises(InvalidToken):
        await tokens.verify(signed(aud="https://any-app.example"))


async def test_an_audience_alone_requires_aud_and_leaves_iss_unchecked() -> None:
    tokens = SharedSecretTokens(SECRET, audience=AUDIENCE)

    assert (await tokens.verify(signed(iss="https://anyone.example", aud=AUDIENCE))).subject == "alice"
    with pytest.raises(InvalidToken):
        await tokens.verify(signed(iss="https://anyone.example"))


# --- Tokens verified lately are remembered until they expire ---


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token PyJWT decodes, in order."""
    seen: list[str] = []
    decode = jwt.decode

    def counting(token: str, *args: object, **kwargs: object) -> object:
        seen.append(token)
        return decode(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counting)
    return seen


async def test_a_token_verified_once_is_not_decoded_again_while_valid(
    tokens: SharedSecretTokens, decodes: list[str]
) -> None:
    token = tokens.issue("alice", lifetime=timedelta(minutes=5)).access_token

    principals = [await tokens.verify(token) for _ in range(3)]

    assert {principal.subject for principal in principals} == {"alice"}
    assert decodes == [token]


async def test_a_remembered_token_is_refused_once_it_expires() -> None:
    tokens = SharedSecretTokens(SECRET, leeway_seconds=0)
    # `exp` is whole seconds: this one expires at the start of the next second but one.
    expires = int(datetime.now(UTC).timestamp()) + 2
    token = jwt.encode({"sub": "alice", "exp": expires}, SECRET, algorithm="HS256")
    assert (await tokens.verify(token)).subject == "alice"

    await asyncio.sleep(max(0.0, expires - datetime.now(UTC).timestamp()) + 0.05)

    with pytest.raises(InvalidToken, match="expired"):
        await tokens.verify(token)


async def test_a_token_that_differs_from_a_remembered_one_is_decoded_and_refused(
    tokens: SharedSecretTokens,
) -> None:
    token = tokens.issue("alice", lifetime=timedelta(minutes=5)).access_token
    await tokens.verify(token)
    header, _, signature = token.split(".")
    forged_payload = segment({"sub": "mallory", "exp": YEAR_2100})

    for forged in (f"{header}.{forged_payload}.{signature}", f"{token}x", token[:-1]):
        with pytest.raises(InvalidToken):
            await tokens.verify(forged)


async def test_only_the_latest_tokens_are_remembered(decodes: list[str]) -> None:
    tokens = SharedSecretTokens(SECRET, remembered=2)
    first, second, third = (tokens.issue(name).access_token for name in ("a", "b", "c"))

    for token in (first, second, third, third, second, first):
        await tokens.verify(token)

    assert decodes == [first, second, third, first]


async def test_a_token_for_another_audience_is_never_remembered(
    bound: SharedSecretTokens, decodes: list[str]
) -> None:
    token = signed(iss=ISSUER, aud="https://other.example")

    for _ in range(2):
        with pytest.raises(InvalidToken):
            await bound.verify(token)

    assert decodes == [token, token]
