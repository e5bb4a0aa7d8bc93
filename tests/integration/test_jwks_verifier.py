"""JwksTokens against a real JWKS endpoint on loopback: key types, rotation, throttling, outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import jwt
import pytest

from adapters.security.jwks import MAX_KEY_SET_BYTES, JwksTokens
from application.errors import InvalidToken
from application.identity import Principal
from tests.support.jwks_server import (
    JwksServer,
    SigningKey,
    better_auth_token,
    claims_for,
    ec_key,
    ed25519_key,
    hmac_jwk,
    hmac_signed,
    rsa_key,
    serving_jwks,
    unsigned,
)

REFETCH_INTERVAL = 10.0
PAST_THE_INTERVAL = REFETCH_INTERVAL + 1
JWKS_LOGGER = "adapters.security.jwks"


class ManualClock:
    """A monotonic clock that moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def server() -> Iterator[JwksServer]:
    with serving_jwks() as server:
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def verifiers(server: JwksServer, clock: ManualClock) -> AsyncIterator[Callable[..., JwksTokens]]:
    """Make verifiers of the server's key set on the manual clock; each is closed after the test."""
    made: list[JwksTokens] = []

    def make(**options: Any) -> JwksTokens:
        verifier = JwksTokens(server.url, refetch_interval_seconds=REFETCH_INTERVAL, clock=clock, **options)
        made.append(verifier)
        return verifier

    yield make
    for verifier in made:
        await verifier.aclose()


@pytest.fixture
def verifier(verifiers: Callable[..., JwksTokens]) -> JwksTokens:
    return verifiers()


async def test_an_eddsa_token_gives_the_principal_its_claims_name(
    server: JwksServer, verifier: JwksTokens
) -> None:
    key = ed25519_key()
    server.publish(key)
    token = key.sign(claims_for("user-1", email="ada@example.com", name="Ada"))

    principal = await verifier.verify(token)

    assert principal == Principal(subject="user-1", email="ada@example.com", name="Ada")


@pytest.mark.parametrize("make_key", [rsa_key, ec_key], ids=["RS256", "ES256"])
async def test_a_token_signed_with_a_published_rsa_or_ec_key_is_accepted(
    server: JwksServer, verifier: JwksTokens, make_key: Callable[[], SigningKey]
) -> None:
    key = make_key()
    server.publish(ed25519_key(), key)

    principal = await verifier.verify(key.sign(claims_for("user-2")))

    assert principal == Principal(subject="user-2")


async def test_a_better_auth_token_is_accepted_with_its_issuer_and_audience_configured(
    server: JwksServer, verifiers: Callable[..., JwksTokens]
) -> None:
    key = ed25519_key()
    server.publish(key)
    verifier = verifiers(issuer=server.base_url, audience=server.base_url)
    token = better_auth_token(key, "ba-user-1", server.base_url)

    principal = await verifier.verify(token)

    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": key.kid, "typ": "JWT"}
    assert principal == Principal(subject="ba-user-1", email="ba-user-1@example.com", name="User ba-user-1")


async def test_a_better_auth_token_for_another_audience_is_refused(
    server: JwksServer, verifiers: Callable[..., JwksTokens]
) -> None:
    key = ed25519_key()
    server.publish(key)
    verifier = verifiers(issuer=server.base_url, audience=server.base_url)

    with pytest.raises(InvalidToken):
        await verifier.verify(better_auth_token(key, "ba-user-2", server.base_url, aud="http://elsewhere"))


async def test_a_new_kid_within_the_refetch_interval_is_refused_without_asking_the_endpoint(
    server: JwksServer, verifier: JwksTokens
) -> None:
    old, new = ed25519_key(), ed25519_key()
    server.publish(old)
    await verifier.verify(old.sign(claims_for("user-3")))
    server.publish(old, new)

    with pytest.raises(InvalidToken):
        await verifier.verify(new.sign(claims_for("user-3")))

    assert server.requests == 1


async def test_a_rotated_in_key_is_fetched_once_and_then_served_from_the_cache(
    server: JwksServer, verifier: JwksTokens, clock: ManualClock
) -> None:
    old, new = ed25519_key(), ed25519_key()
    server.publish(old)
    await verifier.verify(old.sign(claims_for("user-4")))
    server.publish(old, new)
    clock.advance(PAST_THE_INTERVAL)

    first = await verifier.verify(new.sign(claims_for("user-4")))
    second = await verifier.verify(new.sign(claims_for("user-5")))
    still_old = await verifier.verify(old.sign(claims_for("user-6")))

    assert [first.subject, second.subject, still_old.subject] == ["user-4", "user-5", "user-6"]
    assert server.requests == 2


async def test_a_retired_key_works_while_cached_and_is_refused_once_a_refetch_replaces_the_set(
    server: JwksServer, verifier: JwksTokens, clock: ManualClock
) -> None:
    old, new = ed25519_key(), ed25519_key()
    server.publish(old)
    await verifier.verify(old.sign(claims_for("user-7")))
    server.publish(new)

    while_cached = await verifier.verify(old.sign(claims_for("user-7")))
    clock.advance(PAST_THE_INTERVAL)
    with_new_key = await verifier.verify(new.sign(claims_for("user-7")))
    with pytest.raises(InvalidToken):
        await verifier.verify(old.sign(claims_for("user-7")))

    assert while_cached.subject == with_new_key.subject == "user-7"
    assert server.requests == 2


@pytest.mark.parametrize("primed", [False, True], ids=["cold-cache", "after-the-interval"])
async def test_a_burst_of_unknown_kids_reaches_the_endpoint_at_most_once(
    server: JwksServer, verifier: JwksTokens, clock: ManualClock, primed: bool
) -> None:
    published, forger = ed25519_key(), ed25519_key()
    server.publish(published)
    if primed:
        await verifier.verify(published.sign(claims_for("user-8")))
        clock.advance(PAST_THE_INTERVAL)
    requests_before = server.requests
    forged = [forger.sign(claims_for("mallory"), kid=f"forged-{n}") for n in range(50)]

    outcomes = await asyncio.gather(*(verifier.verify(token) for token in forged), return_exceptions=True)

    assert all(isinstance(outcome, InvalidToken) for outcome in outcomes), outcomes
    assert server.requests - requests_before == 1


def _answer_503(server: JwksServer) -> None:
    server.down = True


@pytest.mark.parametrize("outage", [_answer_503, JwksServer.stop], ids=["503", "stopped"])
async def test_cached_keys_keep_verifying_while_the_endpoint_is_down(
    server: JwksServer,
    verifier: JwksTokens,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    outage: Callable[[JwksServer], None],
) -> None:
    cached, unreachable = ed25519_key(), ed25519_key()
    server.publish(cached)
    await verifier.verify(cached.sign(claims_for("user-9")))
    server.publish(cached, unreachable)
    outage(server)
    clock.advance(PAST_THE_INTERVAL)

    with caplog.at_level(logging.WARNING, logger=JWKS_LOGGER), pytest.raises(InvalidToken):
        await verifier.verify(unreachable.sign(claims_for("user-9")))
    principal = await verifier.verify(cached.sign(claims_for("user-9")))

    assert principal.subject == "user-9"
    assert any("refetch" in record.getMessage() for record in caplog.records), caplog.records


async def test_a_verifier_that_never_reached_the_endpoint_refuses_every_token(
    server: JwksServer, verifier: JwksTokens
) -> None:
    key = ed25519_key()
    server.publish(key)
    server.down = True

    with pytest.raises(InvalidToken):
        await verifier.verify(key.sign(claims_for("user-10")))

    assert server.requests == 1


def _rs256_key_as_ps256(keys: dict[str, SigningKey]) -> str:
    return keys["rsa"].sign(claims_for("mallory"), algorithm="PS256")


def _rs256_key_as_rs512(keys: dict[str, SigningKey]) -> str:
    return keys["rsa"].sign(claims_for("mallory"), algorithm="RS512")


def _es256_key_header_says_eddsa(keys: dict[str, SigningKey]) -> str:
    return keys["ec"].sign(claims_for("mallory"), algorithm="ES256", kid=keys["ed"].kid)


def _hs256_with_public_key_raw(keys: dict[str, SigningKey]) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": keys["ed"].kid}
    return hmac_signed(header, claims_for("mallory"), keys["ed"].public_raw())


def _hs256_with_public_key_pem(keys: dict[str, SigningKey]) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": keys["ed"].kid}
    return hmac_signed(header, claims_for("mallory"), keys["ed"].public_pem())


def _alg_none(keys: dict[str, SigningKey]) -> str:
    return unsigned({"alg": "none", "typ": "JWT", "kid": keys["ed"].kid}, claims_for("mallory"))


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(_rs256_key_as_ps256, id="RS256-key-PS256-token"),
        pytest.param(_rs256_key_as_rs512, id="RS256-key-RS512-token"),
        pytest.param(_es256_key_header_says_eddsa, id="EdDSA-key-ES256-token"),
        pytest.param(_hs256_with_public_key_raw, id="EdDSA-key-HS256-raw-public-key"),
        pytest.param(_hs256_with_public_key_pem, id="EdDSA-key-HS256-pem-public-key"),
        pytest.param(_alg_none, id="EdDSA-key-alg-none"),
    ],
)
async def test_a_token_whose_algorithm_is_not_its_keys_is_refused(
    server: JwksServer, verifier: JwksTokens, forge: Callable[[dict[str, SigningKey]], str]
) -> None:
    keys = {"ed": ed25519_key(), "rsa": rsa_key(), "ec": ec_key()}
    server.publish(*keys.values())
    token = forge(keys)

    with pytest.raises(InvalidToken):
        await verifier.verify(token)

    assert server.requests == 1  # the key set was fetched, so the refusal is the algorithm's


async def test_an_hmac_key_in_the_set_is_never_used(server: JwksServer, verifier: JwksTokens) -> None:
    secret = b"a symmetric secret published by mistake, 32+ bytes"
    ed, oct_key = ed25519_key(), hmac_jwk(secret)
    server.publish(ed, oct_key)
    forged = jwt.encode(claims_for("mallory"), secret, algorithm="HS256", headers={"kid": oct_key["kid"]})

    with pytest.raises(InvalidToken):
        await verifier.verify(forged)
    principal = await verifier.verify(ed.sign(claims_for("user-11")))

    assert principal.subject == "user-11"


async def test_a_set_holding_only_an_hmac_key_verifies_nothing(
    server: JwksServer, verifier: JwksTokens
) -> None:
    secret = b"a symmetric secret published by mistake, 32+ bytes"
    oct_key = hmac_jwk(secret)
    server.publish(oct_key)
    forged = jwt.encode(claims_for("mallory"), secret, algorithm="HS256", headers={"kid": oct_key["kid"]})

    with pytest.raises(InvalidToken):
        await verifier.verify(forged)

    assert server.requests == 1


async def test_concurrent_tokens_on_a_cold_cache_all_wait_for_the_first_fetch(
    server: JwksServer, verifier: JwksTokens
) -> None:
    key = ed25519_key()
    server.publish(key)
    tokens = [key.sign(claims_for(f"user-{n}")) for n in range(5)]

    outcomes = await asyncio.gather(*(verifier.verify(token) for token in tokens), return_exceptions=True)

    assert [getattr(outcome, "subject", outcome) for outcome in outcomes] == [f"user-{n}" for n in range(5)]
    assert server.requests == 1


async def test_concurrent_tokens_for_a_rotated_in_key_all_wait_for_the_refetch(
    server: JwksServer, verifier: JwksTokens, clock: ManualClock
) -> None:
    old, new = ed25519_key(), ed25519_key()
    server.publish(old)
    await verifier.verify(old.sign(claims_for("user-12")))
    server.publish(old, new)
    clock.advance(PAST_THE_INTERVAL)
    tokens = [new.sign(claims_for(f"user-{n}")) for n in range(5)]

    outcomes = await asyncio.gather(*(verifier.verify(token) for token in tokens), return_exceptions=True)

    assert [getattr(outcome, "subject", outcome) for outcome in outcomes] == [f"user-{n}" for n in range(5)]
    assert server.requests == 2


async def test_a_key_set_that_is_not_a_json_object_counts_as_a_failed_fetch(
    server: JwksServer, verifier: JwksTokens, clock: ManualClock
) -> None:
    cached = ed25519_key()
    server.publish(cached)
    await verifier.verify(cached.sign(claims_for("user-13")))
    server.serve([])
    clock.advance(PAST_THE_INTERVAL)

    with pytest.raises(InvalidToken):
        await verifier.verify(ed25519_key().sign(claims_for("user-13")))
    principal = await verifier.verify(cached.sign(claims_for("user-13")))

    assert principal.subject == "user-13"


async def test_a_retired_key_stops_working_once_the_set_is_older_than_its_maximum_age(
    server: JwksServer, verifiers: Callable[..., JwksTokens], clock: ManualClock
) -> None:
    verifier = verifiers(max_age_seconds=60)
    old, new = ed25519_key(), ed25519_key()
    server.publish(old)
    await verifier.verify(old.sign(claims_for("user-8")))
    server.publish(new)  # the issuer retires `old`; no token ever names an unknown kid

    clock.advance(61)
    answered_from_the_old_set = await verifier.verify(old.sign(claims_for("user-8")))
    for _ in range(50):  # the refresh runs behind that request
        if server.requests == 2:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)

    assert answered_from_the_old_set.subject == "user-8"
    assert server.requests == 2
    with pytest.raises(InvalidToken):
        await verifier.verify(old.sign(claims_for("user-8")))
    assert (await verifier.verify(new.sign(claims_for("user-8")))).subject == "user-8"


async def test_a_key_set_larger_than_any_real_one_counts_as_a_failed_fetch(
    server: JwksServer, verifier: JwksTokens, clock: ManualClock
) -> None:
    key = ed25519_key()
    server.publish(key)
    await verifier.verify(key.sign(claims_for("user-9")))
    server.serve({"keys": [key.public_jwk()], "padding": "x" * (MAX_KEY_SET_BYTES + 1)})
    clock.advance(PAST_THE_INTERVAL)

    with pytest.raises(InvalidToken):
        await verifier.verify(ed25519_key().sign(claims_for("user-9")))

    assert (await verifier.verify(key.sign(claims_for("user-9")))).subject == "user-9"
