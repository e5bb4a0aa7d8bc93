"""Idempotency keys in memory, with the database's semantics: a claim waits for an uncommitted one."""

from __future__ import annotations

import asyncio
import copy
import dataclasses

from application.idempotency import IdempotentCreation
from application.ports import IdempotencyKeys

Slot = tuple[str, str]  # (owner, key): the unique pair


class IdempotencyLedger:
    """Committed creations by (owner, key), and the keys some unit of work holds uncommitted."""

    def __init__(self) -> None:
        self.committed: dict[Slot, IdempotentCreation] = {}
        self.in_flight: dict[Slot, asyncio.Event] = {}


class InMemoryIdempotencyKeys(IdempotencyKeys):
    def __init__(self, owner_id: str, ledger: IdempotencyLedger) -> None:
        super().__init__(owner_id)
        self._ledger = ledger
        self._claimed: dict[Slot, IdempotentCreation] = {}

    async def _claim(self, owner_id: str, creation: IdempotentCreation) -> IdempotentCreation | None:
        slot = (owner_id, creation.key)
        # As on a unique index: a second claimer waits until the first commits or rolls back.
        while slot not in self._claimed and (pending := self._ledger.in_flight.get(slot)) is not None:
            await pending.wait()
        current = self._claimed.get(slot) or self._ledger.committed.get(slot)
        if current is not None and current.is_live(creation.created_at):
            return _copied(current)
        if slot not in self._claimed:
            self._ledger.in_flight[slot] = asyncio.Event()
        self._claimed[slot] = _copied(creation)
        return None

    def commit(self) -> None:
        self._ledger.committed.update(self._claimed)
        self._release()

    def rollback(self) -> None:
        self._release()

    def _release(self) -> None:
        for slot in self._claimed:
            self._ledger.in_flight.pop(slot).set()
        self._claimed.clear()


def _copied(creation: IdempotentCreation) -> IdempotentCreation:
    return dataclasses.replace(creation, task=copy.copy(creation.task))
