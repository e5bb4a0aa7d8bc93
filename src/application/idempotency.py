"""The idempotency-keys port: one owner's record of which creation each client-chosen key made."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from domain.errors import OwnershipViolation
from domain.task import Task

IDEMPOTENCY_KEY_MAX_LENGTH = 255
REQUEST_HASH_LENGTH = 64  # a SHA-256 in hex


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotentCreation:
    """A key, the fingerprint of the request first sent with it, and the task that request made.

    The task is kept as it was created, not looked up again: a retry must get the answer the
    client missed, whatever has happened to the task since (edited, completed, deleted).
    """

    key: str
    request_hash: str
    task: Task
    created_at: datetime
    expires_at: datetime

    def is_live(self, now: datetime) -> bool:
        return now < self.expires_at


def request_hash(task: Task) -> str:
    """SHA-256 of what the client asked for, after the domain normalised it.

    Two bodies that would make the same task (keys in another order, a default spelled out,
    a tag in another case, a time in another offset) are the same request; any other body is not.
    """
    asked = {
        "title": task.title,
        "description": task.description,
        "priority": task.priority.value,
        "tags": list(task.tags),
        "due_at": None if task.due_at is None else task.due_at.isoformat(),
        "recurrence": None if task.recurrence is None else task.recurrence.value,
        "completed": task.completed,
    }
    canonical = json.dumps(["task/v1", asked], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyKeys(ABC):
    """One owner's idempotency keys. Built for a single owner, like the tasks repository."""

    def __init__(self, owner_id: str) -> None:
        self.owner_id = owner_id

    async def claim(self, creation: IdempotentCreation) -> IdempotentCreation | None:
        """Take the key for this creation, atomically: None when it is now ours (the caller goes on
        to create the task in the same unit of work), else the live creation that holds it.

        A key whose creation has expired (at `creation.created_at`) is taken over. When another
        unit of work holds the key uncommitted, this waits for it to end, as a database does.
        """
        if creation.task.owner_id != self.owner_id:
            raise OwnershipViolation(f"task {creation.task.id} does not belong to this repository's owner")
        return await self._claim(self.owner_id, creation)

    @abstractmethod
    async def _claim(self, owner_id: str, creation: IdempotentCreation) -> IdempotentCreation | None: ...
