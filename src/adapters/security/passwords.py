"""Argon2 password hashing through pwdlib, off the event loop."""

import asyncio
import unicodedata

from pwdlib import PasswordHash


class Argon2Hasher:
    def __init__(self) -> None:
        self._hash = PasswordHash.recommended()
        # Checked against when there is no account, so a miss costs what a wrong password costs.
        self._decoy = self._hash.hash("decoy password, never anyone's")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash.hash, _normalised(password))

    async def verify(self, password: str, password_hash: str | None) -> bool:
        matches = await asyncio.to_thread(
            self._hash.verify, _normalised(password), password_hash or self._decoy
        )
        return matches and password_hash is not None


def _normalised(password: str) -> str:
    """One password however the keyboard composed it: "café" typed as é or as e + ◌́."""
    return unicodedata.normalize("NFKC", password)
