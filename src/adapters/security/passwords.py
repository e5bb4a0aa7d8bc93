"""Argon2 password hashing through pwdlib, off the event loop and bounded."""

import asyncio
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pwdlib import PasswordHash

from application.errors import AtCapacity

T = TypeVar("T")


class Argon2Hasher:
    """Each hash takes tens of milliseconds of a core and megabytes of memory, by design. They run
    on `concurrency` threads of their own, so the event loop keeps a core whatever arrives; at most
    `queue` more wait for one, and beyond that a request is refused at once (AtCapacity) rather
    than every login and registration waiting behind a flood of guesses."""

    def __init__(self, *, concurrency: int = 1, queue: int = 16) -> None:
        self._hash = PasswordHash.recommended()
        # Checked against when there is no account, so a miss costs what a wrong password costs.
        self._decoy = self._hash.hash("decoy password, never anyone's")
        self._threads = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")
        self._allowed = concurrency + queue
        self._in_flight = 0

    async def hash(self, password: str) -> str:
        return await self._off_the_loop(self._hash.hash, _normalised(password))

    async def verify_and_update(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """pwdlib's verify_and_update: a hash made with other parameters than today's comes back
        remade, so accounts move to new parameters as their owners sign in."""
        checked, against = _normalised(password), password_hash or self._decoy
        matches, updated = await self._off_the_loop(self._hash.verify_and_update, checked, against)
        if password_hash is None:
            return False, None
        return matches, updated if matches else None

    async def _off_the_loop(self, work: Callable[..., T], *arguments: str) -> T:
        if self._in_flight >= self._allowed:
            raise AtCapacity("password hashing")
        self._in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, work, *arguments)
        finally:
            self._in_flight -= 1


def _normalised(password: str) -> str:
    """One password however the keyboard composed it: "café" typed as é or as e + ◌́."""
    return unicodedata.normalize("NFKC", password)
