"""Idempotent creation: which task each of an owner's client-chosen keys made, and the request hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from uuid import UUID

from domain.task import Task, TaskDraft

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


def request_hash(draft: TaskDraft, place: Mapping[str, UUID | None] | None = None) -> str:
    """SHA-256 of what the client asked for: the draft as the domain normalises it, and the place
    it named (`list_id`, `parent_id`), if any.

    Two bodies that would make the same task (keys in another order, a default spelled out,
    a tag in another case, a time in another offset) are the same request; any other body is not.
    A body that names no place hashes as before places existed.
    """
    normalised = draft.normalised()
    asked = {f.name: _json(getattr(normalised, f.name)) for f in fields(normalised)}
    for name, value in (place or {}).items():
        asked[name] = None if value is None else str(value)
    canonical = json.dumps(["task/v1", asked], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _json(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value
