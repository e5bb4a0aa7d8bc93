"""HS256 bearer tokens with a shared secret, through PyJWT."""

from datetime import UTC, datetime, timedelta

import jwt

from application.errors import InvalidToken
from domain.owner import OWNER_ID_MAX_LENGTH

MIN_SECRET_BYTES = 32
_ALGORITHMS = ["HS256"]  # fixed by configuration, never taken from the token's header


class SharedSecretTokens:
    """Issues and verifies HS256 tokens whose `sub` is the owner."""

    def __init__(self, secret: str, *, leeway_seconds: float = 30.0) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"AUTH_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._leeway = leeway_seconds

    def issue(self, subject: str, *, lifetime: timedelta, now: datetime | None = None) -> str:
        issued_at = now or datetime.now(UTC)
        claims = {"sub": subject, "iat": issued_at, "exp": issued_at + lifetime}
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHMS[0])

    def verify(self, token: str) -> str:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=_ALGORITHMS,
                options={"require": ["exp", "sub"]},
                leeway=self._leeway,
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("the token's subject is empty")
        if len(subject) > OWNER_ID_MAX_LENGTH or "\x00" in subject:
            raise InvalidToken("the token's subject cannot name an owner")
        return subject
