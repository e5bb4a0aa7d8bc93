"""Opaque, tamper-evident page cursors bound to the query they were made for."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from application.errors import InvalidCursor
from application.queries import PagePosition

_SIGNATURE_BYTES = 16


class CursorCodec:
    """Signs page positions with HMAC-SHA256 so clients can hold them but not forge them."""

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"tasks-service/cursor\x00" + key).digest()

    def encode(self, position: PagePosition, query: str) -> str:
        """A cursor for the position, bound to the query's `fingerprint`."""
        value = position.value.isoformat() if isinstance(position.value, datetime) else position.value
        payload = json.dumps({"v": value, "i": position.id.hex, "q": query}, separators=(",", ":")).encode()
        return _b64encode(self._sign(payload) + payload)

    def decode(self, cursor: str, query: str) -> PagePosition:
        """The position, its value as sent (a time comes back as ISO text: the caller knows the sort),
        if the cursor was made for the query with this `fingerprint`."""
        payload = self._verified(cursor, b"", "the cursor is not valid")
        fields = json.loads(payload)
        if fields["q"] != query:
            raise InvalidCursor("the cursor was made for other filters")
        return PagePosition(value=fields["v"], id=UUID(hex=fields["i"]))

    def seal(self, fields: Mapping[str, object], purpose: str) -> str:
        """Any small JSON object as a signed token that only `unseal` with the same `purpose` (what
        it is for and whose it is) takes back."""
        payload = json.dumps(fields, separators=(",", ":")).encode()
        return _b64encode(self._sign(_purpose(purpose) + payload) + payload)

    def unseal(self, token: str, purpose: str) -> dict[str, Any]:
        """The fields sealed for `purpose`, or InvalidCursor."""
        payload = self._verified(token, _purpose(purpose), "the token is not valid")
        fields = json.loads(payload)
        if not isinstance(fields, dict):
            raise InvalidCursor("the token is not valid")
        return fields

    def _verified(self, token: str, signed_before: bytes, invalid: str) -> bytes:
        """The token's payload, if its signature (over `signed_before` and the payload) holds."""
        try:
            raw = _b64decode(token)
        except (binascii.Error, ValueError) as error:
            raise InvalidCursor(invalid) from error
        signature, payload = raw[:_SIGNATURE_BYTES], raw[_SIGNATURE_BYTES:]
        if not hmac.compare_digest(signature, self._sign(signed_before + payload)):
            raise InvalidCursor(invalid)
        return payload

    def _sign(self, payload: bytes) -> bytes:
        # Not hmac.digest: its one-shot call gives the GIL up, and winning it back from a database
        # thread can cost the event loop milliseconds (seen under load, not in a loop on its own).
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def fingerprint(query: Mapping[str, object]) -> str:
    """What binds a cursor to its query (owner, filters, sort): taken once per request, for the
    cursor it reads and the one it makes."""
    canonical = json.dumps(query, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _purpose(purpose: str) -> bytes:
    """Signed before a sealed payload: its length first, so no purpose can pass for another's
    prefix, and a page cursor (signed over its JSON alone, which starts with `{`) is none."""
    encoded = purpose.encode()
    return b"%d:" % len(encoded) + encoded


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
