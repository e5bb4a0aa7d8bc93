"""One app trusting a shared secret and a Better Auth JWKS at once: which tokens get in, and as whom."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI

from entrypoints.http.app import create_app
from tests.api.helpers import TASKS, assert_problem, create_task, task_url
from tests.support.app import auth, running, test_settings
from tests.support.jwks_server import (
    JwksServer,
    SigningKey,
    better_auth_claims,
    better_auth_token,
    claims_for,
    ed25519_key,
    hmac_signed,
    serving_jwks,
    unsigned,
    with_claims,
)

OTHER_SECRET = "another-secret-that-is-also-long-enough-0123456789"
BEYOND_LEEWAY = timedelta(minutes=5)  # the app's leeway is the default 30 s


@dataclass(frozen=True)
class BetterAuth:
    """The identity provider the app trusts: its published key and its base URL (`iss` and `aud`)."""

    key: SigningKey
    base_url: str

    def token(self, subject: str = "mallory", **changes: object) -> str:
        return better_auth_token(self.key, subject, self.base_url, **changes)

    def claims(self, subject: str = "mallory", **changes: object) -> dict[str, object]:
        return better_auth_claims(subject, self.base_url, **changes)

    def headers(self, subject: str) -> dict[str, str]:
        return bearer(self.token(subject))

    def local_headers(self, subject: str) -> dict[str, str]:
        """A shared-secret token for this app: AUTH_ISSUER and AUTH_AUDIENCE bind those too."""
        return auth(subject, issuer=self.base_url, audience=self.base_url)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def better_auth_key() -> SigningKey:
    return ed25519_key()


@pytest.fixture(scope="module")
def jwks_server(better_auth_key: SigningKey) -> Iterator[JwksServer]:
    with serving_jwks(better_auth_key) as server:
        yield server


@pytest.fixture
def better_auth(better_auth_key: SigningKey, jwks_server: JwksServer) -> BetterAuth:
    return BetterAuth(better_auth_key, jwks_server.base_url)


@pytest.fixture
def app(sqlite_url: str, jwks_server: JwksServer) -> FastAPI:
    """Replaces the suite's `app`, so its `client` fixture runs this one (a fresh key cache per test)."""
    settings = test_settings(
        sqlite_url,
        auth_jwks_url=jwks_server.url,
        auth_issuer=jwks_server.base_url,
        auth_audience=jwks_server.base_url,
    )
    return create_app(settings)


def _missing_header(_: BetterAuth) -> dict[str, str]:
    return {}


def _basic_scheme(_: BetterAuth) -> dict[str, str]:
    return {"Authorization": "Basic dXNlcjpwYXNz"}


def _garbage(_: BetterAuth) -> dict[str, str]:
    return {"Authorization": "Bearer not-a-jwt"}


def _alg_none(ba: BetterAuth) -> dict[str, str]:
    return bearer(unsigned({"alg": "none", "typ": "JWT", "kid": ba.key.kid}, ba.claims()))


def _hs256_with_public_key(secret: Callable[[SigningKey], bytes]) -> Callable[[BetterAuth], dict[str, str]]:
    """The algorithm-confusion attack: the JWKS's own public key used as an HMAC secret."""

    def forge(ba: BetterAuth) -> dict[str, str]:
        header = {"alg": "HS256", "typ": "JWT", "kid": ba.key.kid}
        return bearer(hmac_signed(header, ba.claims(), secret(ba.key)))

    return forge


def _hs256_wrong_secret(_: BetterAuth) -> dict[str, str]:
    return bearer(jwt.encode(claims_for("mallory"), OTHER_SECRET, algorithm="HS256"))


def _hs256_without_issuer_and_audience(_: BetterAuth) -> dict[str, str]:
    return auth("mallory")


def _hs256_for_another_audience(ba: BetterAuth) -> dict[str, str]:
    return auth("mallory", issuer=ba.base_url, audience="https://another-app.example")


def _expired(ba: BetterAuth) -> dict[str, str]:
    now = datetime.now(UTC)
    return bearer(ba.token(iat=now - timedelta(minutes=20), exp=now - BEYOND_LEEWAY))


def _not_yet_valid(ba: BetterAuth) -> dict[str, str]:
    return bearer(ba.token(nbf=datetime.now(UTC) + BEYOND_LEEWAY))


def _no_subject(ba: BetterAuth) -> dict[str, str]:
    return bearer(ba.token(sub=None))


def _no_expiry(ba: BetterAuth) -> dict[str, str]:
    return bearer(ba.token(exp=None))


def _wrong_issuer(ba: BetterAuth) -> dict[str, str]:
    return bearer(ba.token(iss="https://impostor.example"))


def _wrong_audience(ba: BetterAuth) -> dict[str, str]:
    return bearer(ba.token(aud="https://another-app.example"))


def _unknown_kid(ba: BetterAuth) -> dict[str, str]:
    return bearer(better_auth_token(ed25519_key(), "mallory", ba.base_url))


def _published_kid_other_key(ba: BetterAuth) -> dict[str, str]:
    return bearer(ed25519_key().sign(ba.claims(), kid=ba.key.kid))


def _tampered_payload(ba: BetterAuth) -> dict[str, str]:
    genuine = ba.token("alice")
    return bearer(with_claims(genuine, ba.claims("mallory")))


BAD_TOKENS = [
    pytest.param(_missing_header, id="missing-header"),
    pytest.param(_basic_scheme, id="basic-scheme"),
    pytest.param(_garbage, id="garbage"),
    pytest.param(_alg_none, id="alg-none"),
    pytest.param(_hs256_with_public_key(SigningKey.public_raw), id="hs256-signed-with-public-key-raw"),
    pytest.param(_hs256_with_public_key(SigningKey.public_pem), id="hs256-signed-with-public-key-pem"),
    pytest.param(_hs256_wrong_secret, id="hs256-wrong-secret"),
    pytest.param(_hs256_without_issuer_and_audience, id="hs256-without-iss-and-aud"),
    pytest.param(_hs256_for_another_audience, id="hs256-wrong-aud"),
    pytest.param(_expired, id="expired"),
    pytest.param(_not_yet_valid, id="nbf-beyond-leeway"),
    pytest.param(_no_subject, id="missing-sub"),
    pytest.param(_no_expiry, id="missing-exp"),
    pytest.param(_wrong_issuer, id="wrong-iss"),
    pytest.param(_wrong_audience, id="wrong-aud"),
    pytest.param(_unknown_kid, id="unknown-kid"),
    pytest.param(_published_kid_other_key, id="published-kid-other-key"),
    pytest.param(_tampered_payload, id="tampered-payload"),
]


@pytest.mark.parametrize("credentials", BAD_TOKENS)
async def test_a_bad_token_is_an_unauthorized_problem_with_a_bearer_challenge(
    client: httpx.AsyncClient,
    better_auth: BetterAuth,
    credentials: Callable[[BetterAuth], dict[str, str]],
) -> None:
    headers = credentials(better_auth)

    response = await client.get(TASKS, headers=headers)

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_better_auth_token_creates_and_lists_its_own_tasks(
    client: httpx.AsyncClient, better_auth: BetterAuth
) -> None:
    subject = f"ba-{uuid.uuid4()}"
    headers = better_auth.headers(subject)

    created = await create_task(client, headers, title="Ship it")
    listed = await client.get(TASKS, headers=headers)

    assert listed.status_code == 200
    assert [task["id"] for task in listed.json()["items"]] == [created["id"]]


async def test_the_better_auth_subject_owns_the_task_whichever_verifier_names_it(
    client: httpx.AsyncClient, better_auth: BetterAuth
) -> None:
    subject = f"ba-{uuid.uuid4()}"
    created = await create_task(client, better_auth.headers(subject))

    response = await client.get(task_url(created["id"]), headers=better_auth.local_headers(subject))

    assert response.status_code == 200
    assert response.json()["id"] == created["id"]


async def test_users_me_answers_with_what_the_better_auth_claims_say(
    client: httpx.AsyncClient, better_auth: BetterAuth
) -> None:
    subject = f"ba-{uuid.uuid4()}"

    response = await client.get("/api/v1/users/me", headers=better_auth.headers(subject))

    assert response.status_code == 200
    assert response.json() == {
        "id": subject,
        "email": f"{subject}@example.com",
        "name": f"User {subject}",
        "created_at": None,
    }


async def test_a_shared_secret_token_works_on_the_same_app(
    client: httpx.AsyncClient, better_auth: BetterAuth
) -> None:
    headers = better_auth.local_headers(f"local-{uuid.uuid4()}")

    created = await create_task(client, headers)
    listed = await client.get(TASKS, headers=headers)

    assert [task["id"] for task in listed.json()["items"]] == [created["id"]]


async def test_a_better_auth_users_task_is_not_found_for_a_shared_secret_token_of_another_subject(
    client: httpx.AsyncClient, better_auth: BetterAuth
) -> None:
    created = await create_task(client, better_auth.headers(f"ba-{uuid.uuid4()}"))

    response = await client.get(
        task_url(created["id"]), headers=better_auth.local_headers(f"local-{uuid.uuid4()}")
    )

    assert_problem(response, 404)


async def test_concurrent_first_requests_with_better_auth_tokens_are_all_served(
    client: httpx.AsyncClient, better_auth: BetterAuth
) -> None:
    tokens = [better_auth.headers(f"ba-{uuid.uuid4()}") for _ in range(5)]

    responses = await asyncio.gather(*(client.get(TASKS, headers=headers) for headers in tokens))

    assert [response.status_code for response in responses] == [200] * 5


async def test_a_shared_secret_app_without_jwks_refuses_a_better_auth_token(
    sqlite_url: str, better_auth: BetterAuth
) -> None:
    app = create_app(test_settings(sqlite_url))

    async with running(app) as client:
        response = await client.get(TASKS, headers=better_auth.headers(f"ba-{uuid.uuid4()}"))

    assert_problem(response, 401)
