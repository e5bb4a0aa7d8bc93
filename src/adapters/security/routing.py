"""Send each token to the one verifier configuration gives its kind of signature."""

import jwt

from adapters.security.jwt_tokens import HMAC_ALGORITHMS
from application.errors import InvalidToken
from application.identity import Principal
from application.ports import TokenVerifier


class RoutedTokenVerifier:
    """HMAC-signed tokens go to the shared-secret verifier, all others to the JWKS one.

    The header only chooses the route; each verifier decodes with its own fixed algorithm list,
    and no list ever holds an HMAC and an asymmetric algorithm together, so a token cannot
    talk its way into being checked with a public key as an HMAC secret.
    """

    def __init__(self, shared_secret: TokenVerifier | None, jwks: TokenVerifier | None) -> None:
        if shared_secret is None and jwks is None:
            raise ValueError("no token verifier is configured")
        self._shared_secret = shared_secret
        self._jwks = jwks

    async def verify(self, token: str) -> Principal:
        if self._jwks is None and self._shared_secret is not None:
            # One verifier, whose fixed algorithm list refuses every other kind: nothing to route.
            return await self._shared_secret.verify(token)
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        verifier = self._shared_secret if algorithm in HMAC_ALGORITHMS else self._jwks
        if verifier is None:
            raise InvalidToken(f"tokens signed with {algorithm!r} are not accepted here")
        return await verifier.verify(token)
