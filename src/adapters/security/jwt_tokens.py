"""HS256 bearer tokens with a shared secret, through PyJWT."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from application.errors import ExpiredToken, InvalidToken
from application.identity import IssuedToken, Principal
from domain.owner import OWNER_ID_MAX_LENGTH

MIN_SECRET_BYTES = 32
HMAC_ALGORITHMS = ("HS256",)  # fixed by configuration, never taken from the token's header


class SharedSecretTokens:
    """Issues and verifies HS256 tokens whose `sub` is the owner.

    A client sends the same token with every request until it expires, and checking one costs
    more than the rest of a small request's own work (PyJWT, about 70 us here). So the tokens
    verified lately are remembered, each with the time it stops being valid (its `exp`, plus the
    leeway): until then the same token is the same principal, as decoding it again would find
    (a valid token's `nbf` and `iat` only become truer with time). Any other string, a tampered
    one included, is decoded in full. The secret, issuer and audience are fixed for the process's
    life, so a remembered verdict never goes stale.

    With an `issuer` or `audience` configured, a token must name them (`iss` equal, `aud`
    containing it), and the tokens issued here carry them. Without, whatever `iss` or `aud` a
    client's token carries is not checked: PyJWT would refuse any `aud` when it expects none.
    """

    def __init__(
        self,
        secret: str,
        *,
        lifetime: timedelta = timedelta(hours=1),
        leeway_seconds: float = 30.0,
        issuer: str | None = None,
        audience: str | None = None,
        remembered: int = 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"AUTH_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._required = ["exp", "sub"] + ["iss"] * (issuer is not None) + ["aud"] * (audience is not None)
        self._lifetime = lifetime
        self._leeway = leeway_seconds
        self._clock = clock
        self._remembered = remembered
        self._verified: dict[str, tuple[Principal, float]] = {}  # oldest first

    def issue(
        self, subject: str, *, lifetime: timedelta | None = None, now: datetime | None = None
    ) -> IssuedToken:
        lifetime = lifetime or self._lifetime
        issued_at = now or datetime.now(UTC)
        claims: dict[str, object] = {"sub": subject, "iat": issued_at, "exp": issued_at + lifetime}
        if self._issuer is not None:
            claims["iss"] = self._issuer
        if self._audience is not None:
            claims["aud"] = self._audience
        token = jwt.encode(claims, self._secret, algorithm=HMAC_ALGORITHMS[0])
        return IssuedToken(access_token=token, expires_in=int(lifetime.total_seconds()))

    async def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            principal, valid_until = known
            if self._clock() < valid_until:
                return principal
            del self._verified[token]  # expired: decoding says so, in its own words
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=list(HMAC_ALGORITHMS),
                issuer=self._issuer,
                audience=self._audience,
                options={"require": self._required, "verify_aud": self._audience is not None},
                leeway=self._leeway,
            )
        except jwt.ExpiredSignatureError as error:
            raise ExpiredToken(str(error)) from error
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        principal = principal_of(claims, local=True)
        self._remember(token, principal, float(claims["exp"]) + self._leeway)
        return principal

    def _remember(self, token: str, principal: Principal, valid_until: float) -> None:
        if len(self._verified) >= self._remembered:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, valid_until)


def principal_of(claims: dict[str, Any], *, local: bool) -> Principal:
    """The principal verified claims name; a subject that cannot be an owner is refused."""
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("the token's subject is empty")
    if len(subject) > OWNER_ID_MAX_LENGTH or not _storable(subject):
        raise InvalidToken("the token's subject cannot name an owner")
    return Principal(
        subject=subject, email=_text(claims.get("email")), name=_text(claims.get("name")), local=local
    )


def _storable(text: str) -> bool:
    """Text a database can keep: valid UTF-8 (no lone surrogates) and no control characters."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(ord(character) < 32 or ord(character) == 127 for character in text)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and _storable(value) else None
