"""Asymmetric tokens (Better Auth's EdDSA, or RS256/ES256) verified against a JWKS endpoint."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import httpx
import jwt

from adapters.security.jwt_tokens import principal_of
from application.errors import ExpiredToken, InvalidToken
from application.identity import Principal

log = logging.getLogger(__name__)

ASYMMETRIC_ALGORITHMS = frozenset({"EdDSA", "RS256", "ES256"})
MAX_KEY_SET_BYTES = 64 * 1024


class JwksTokens:
    """Verifies tokens with keys fetched from `url`, cached by `kid`.

    An unknown `kid`, or a set older than `max_age`, refetches the set, at most once per
    `refetch_interval`, so a burst of forged kids cannot hammer the identity provider; when the
    endpoint fails, the last good set stays in use. Each key's algorithm comes from the key set,
    never from the token.
    """

    def __init__(
        self,
        url: str,
        *,
        issuer: str | None = None,
        audience: str | None = None,
        leeway_seconds: float = 30.0,
        refetch_interval_seconds: float = 10.0,
        max_age_seconds: float = 300.0,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._refetch_interval = refetch_interval_seconds
        self._max_age = max_age_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self._client: httpx.AsyncClient | None = None
        self._refresh: asyncio.Task[None] | None = None

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token names no key (kid)")
        key = await self._key(kid)
        if header.get("alg") != key.algorithm_name:
            raise InvalidToken("the token's algorithm is not its key's")
        required = (
            ["exp", "sub"] + ["iss"] * (self._issuer is not None) + ["aud"] * (self._audience is not None)
        )
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name],
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": required, "verify_aud": self._audience is not None},
            )
        except jwt.ExpiredSignatureError as error:
            raise ExpiredToken(str(error)) from error
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        return principal_of(claims, local=False)

    async def aclose(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _key(self, kid: str) -> jwt.PyJWK:
        if kid in self._keys:
            if self._stale() and self._may_refetch() and not self._lock.locked():
                # Known key, old set: answer now and refresh behind the request.
                self._refresh = asyncio.create_task(self._refetch_locked())
        else:
            # Wait out a fetch in flight: it may bring this key. Only then decide whether to fetch.
            async with self._lock:
                if kid not in self._keys and self._may_refetch():
                    await self._refetch()
        key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("the token's key (kid) is not in the key set")
        return key

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._refetch_interval

    def _stale(self) -> bool:
        """A key the issuer retired must stop working even if no token ever names an unknown kid."""
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._max_age

    async def _refetch_locked(self) -> None:
        async with self._lock:
            if self._stale() and self._may_refetch():
                await self._refetch()

    async def _refetch(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        try:
            async with asyncio.timeout(self._timeout):
                document = await self._download()
            if not isinstance(document, dict):
                raise ValueError("the key set is not a JSON object")
            key_set = jwt.PyJWKSet.from_dict(document)
        except Exception as error:  # whatever went wrong, the last good set stays in use
            log.warning(
                "JWKS refetch from %s failed (%s: %s); keeping %d cached keys",
                self._url,
                type(error).__name__,
                error,
                len(self._keys),
            )
            return
        finally:
            # Stamped when the fetch ends, so a slow fetch cannot be followed at once by another.
            self._fetched_at = self._clock()
        self._keys = {
            key.key_id: key
            for key in key_set.keys
            if key.key_id and key.algorithm_name in ASYMMETRIC_ALGORITHMS
        }
        log.info("JWKS refetched from %s: %d usable keys", self._url, len(self._keys))

    async def _download(self) -> object:
        """The key set's JSON, refusing a body larger than any real key set."""
        assert self._client is not None
        async with self._client.stream("GET", self._url) as response:
            response.raise_for_status()
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_KEY_SET_BYTES:
                    raise ValueError(f"the key set is larger than {MAX_KEY_SET_BYTES} bytes")
        return json.loads(body)
