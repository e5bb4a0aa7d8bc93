"""A real JWKS endpoint on loopback, and the keys and tokens to publish and sign with."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

JWKS_PATH = "/api/auth/jwks"
BETTER_AUTH_LIFETIME = timedelta(minutes=15)


class JwksServer(ThreadingHTTPServer):
    """Serves `document` as JSON at JWKS_PATH, counting every request; answers 503 while `down`."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _JwksHandler)
        self._lock = threading.Lock()
        self._document: object = {"keys": []}
        self._requests = 0
        # A short poll keeps stop() quick: shutdown() waits for the serving loop's next poll.
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.02}, name="jwks-server", daemon=True
        )
        self.down = False

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}{JWKS_PATH}"

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    def publish(self, *keys: SigningKey | dict[str, Any]) -> None:
        """Replace the key set with these keys' public JWKs (a dict is published as it is)."""
        self.serve({"keys": [key.public_jwk() if isinstance(key, SigningKey) else key for key in keys]})

    def serve(self, document: object) -> None:
        """Answer with any JSON document, well-formed key set or not."""
        with self._lock:
            self._document = document

    def start(self) -> JwksServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening altogether: later requests are refused at the socket."""
        if self._thread.is_alive():
            self.shutdown()
            self._thread.join(timeout=5)
        self.server_close()

    def _answer(self) -> tuple[int, bytes]:
        with self._lock:
            self._requests += 1
            if self.down:
                return 503, b'{"error": "unavailable"}'
            return 200, json.dumps(self._document).encode()


class _JwksHandler(BaseHTTPRequestHandler):
    server: JwksServer

    def do_GET(self) -> None:
        if self.path != JWKS_PATH:
            self.send_error(404)
            return
        status, body = self.server._answer()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


@contextmanager
def serving_jwks(*keys: SigningKey) -> Iterator[JwksServer]:
    server = JwksServer().start()
    server.publish(*keys)
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class SigningKey:
    """A private key, the `kid` it is published under, and the algorithm it signs with."""

    kid: str
    algorithm: str
    private_key: Any

    def public_jwk(self) -> dict[str, Any]:
        public = self.private_key.public_key()
        jwk: dict[str, Any] = _JWK_WRITERS[self.algorithm].to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def public_raw(self) -> bytes:
        """The public key's raw bytes (32 for Ed25519), as an attacker could read them from the JWKS."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict[str, Any], *, algorithm: str | None = None, kid: str | None = None) -> str:
        """A token with this key's signature; `algorithm` and `kid` override what the header says."""
        return jwt.encode(
            claims,
            self.private_key,
            algorithm=algorithm or self.algorithm,
            headers={"kid": kid or self.kid},
        )


_JWK_WRITERS: dict[str, Any] = {"EdDSA": OKPAlgorithm, "RS256": RSAAlgorithm, "ES256": ECAlgorithm}


def _kid(kid: str | None) -> str:
    return kid or f"kid-{uuid.uuid4().hex[:12]}"


def ed25519_key(kid: str | None = None) -> SigningKey:
    """The kind of key Better Auth's JWT plugin makes by default."""
    return SigningKey(_kid(kid), "EdDSA", ed25519.Ed25519PrivateKey.generate())


def rsa_key(kid: str | None = None) -> SigningKey:
    return SigningKey(_kid(kid), "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str | None = None) -> SigningKey:
    return SigningKey(_kid(kid), "ES256", ec.generate_private_key(ec.SECP256R1()))


def hmac_jwk(secret: bytes, kid: str | None = None) -> dict[str, Any]:
    """A symmetric (`oct`) key as a JWKS could carry it; a verifier must never use one."""
    return {"kty": "oct", "k": b64url(secret), "kid": _kid(kid), "alg": "HS256", "use": "sig"}


def claims_for(subject: str, *, lifetime: timedelta = timedelta(minutes=5), **extra: Any) -> dict[str, Any]:
    """`sub`, `iat` and `exp`, plus `extra`; an extra claim set to None is left out."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"sub": subject, "iat": now, "exp": now + lifetime, **extra}
    return {name: value for name, value in claims.items() if value is not None}


def better_auth_claims(subject: str, base_url: str, **changes: Any) -> dict[str, Any]:
    """The claims Better Auth's JWT plugin issues by default (a change set to None is left out)."""
    defaults = {
        "iss": base_url,
        "aud": base_url,
        "email": f"{subject}@example.com",
        "name": f"User {subject}",
        "id": subject,
    }
    return claims_for(subject, lifetime=BETTER_AUTH_LIFETIME, **{**defaults, **changes})


def better_auth_token(key: SigningKey, subject: str, base_url: str, **changes: Any) -> str:
    """A token as Better Auth issues it: EdDSA with a `kid`, `iss` and `aud` the base URL."""
    return key.sign(better_auth_claims(subject, base_url, **changes))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json_segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":"), default=_numeric_date).encode())


def _numeric_date(value: object) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    raise TypeError(f"cannot put {value!r} in a token")


def hmac_signed(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """An HS256 token signed by hand, so any bytes (a PEM too, which PyJWT refuses) can be the secret."""
    signing_input = f"{_json_segment(header)}.{_json_segment(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A token with an empty signature, as `alg: none` asks."""
    return f"{_json_segment(header)}.{_json_segment(claims)}."


def with_claims(token: str, claims: dict[str, Any]) -> str:
    """The same header and signature around other claims: a tampered payload."""
    header, _, signature = token.split(".")
    return f"{header}.{_json_segment(claims)}.{signature}"
