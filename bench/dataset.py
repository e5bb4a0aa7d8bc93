"""The benchmark's rows and callers: deterministic, so every app and every run gets the same data."""

from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from domain.task import Priority, Recurrence, Task, TaskDraft

DEFAULT_SECRET = "bench-secret-not-for-production-0123456789abcdef"  # noqa: S105 (a benchmark's own)
SECRET = os.environ.get("BENCH_SECRET", DEFAULT_SECRET)
TOKEN_HOURS = 12  # outlives the longest run
_NAMESPACE = uuid.UUID("6f1c2b9e-0d2a-4c55-9a3e-5b8f0c7d1e42")
_START = datetime(2025, 1, 1, tzinfo=UTC)
_STEP = timedelta(seconds=13)  # every task its own instant: the default order is strict
_VERBS = ("Buy", "Call", "Email", "Fix", "Plan", "Read", "Review", "Write", "Clean", "Book")
_THINGS = ("milk", "the dentist", "the report", "the bike", "a trip", "chapter 3", "the PR", "notes")
_TAGS = ("home", "work", "urgent", "errand", "later", "health", "money", "family", "reading", "code")


@dataclass(frozen=True, slots=True)
class Dataset:
    users: tuple[str, ...]
    tasks: tuple[Task, ...]  # in creation order

    def ids_by_user(self) -> dict[str, list[uuid.UUID]]:
        """Each user's task ids, oldest first."""
        ids: dict[str, list[uuid.UUID]] = {user: [] for user in self.users}
        for task in self.tasks:
            ids[task.owner_id].append(task.id)
        return ids


def user_ids(count: int) -> tuple[str, ...]:
    """Fixed ids, the same in every run: tokens and rows agree without being stored anywhere."""
    return tuple(str(uuid.uuid5(_NAMESPACE, f"user-{number}")) for number in range(count))


def writer_of(user: str) -> str:
    """The user whose tasks `user`'s creates go to in the bench: a user of its own, with no loaded
    rows, so the reads keep finding the loaded rows (page 1 and page 50 of the same kind of data)
    in every round, however many tasks the create runs have made by then."""
    return str(uuid.uuid5(_NAMESPACE, f"writer-of-{user}"))


def build(users: int = 100, tasks_per_user: int = 1000, seed: int = 8) -> Dataset:
    rng = random.Random(seed)
    owners = user_ids(users)
    tasks = []
    for number in range(tasks_per_user):
        for rank, owner in enumerate(owners):
            created = _START + _STEP * (number * users + rank)
            tasks.append(
                Task.create(id=_uuid7(created, rng), owner_id=owner, draft=_draft(rng, created), now=created)
            )
    return Dataset(owners, tuple(tasks))


def _draft(rng: random.Random, created: datetime) -> TaskDraft:
    title = f"{rng.choice(_VERBS)} {rng.choice(_THINGS)}"
    due = created + timedelta(days=rng.randint(1, 30)) if rng.random() < 0.6 else None
    return TaskDraft(
        title=title,
        description=None if rng.random() < 0.3 else f"{title}, then tell the others how it went.",
        priority=rng.choice(list(Priority)),
        tags=tuple(rng.sample(_TAGS, rng.randint(0, 3))),
        due_at=due,
        recurrence=rng.choice(list(Recurrence)) if rng.random() < 0.1 else None,
        completed=rng.random() < 0.25,
    )


def _uuid7(moment: datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 as the service makes them (time first), but from a seeded generator."""
    milliseconds = int(moment.timestamp() * 1000)
    value = (
        (milliseconds << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    )
    return uuid.UUID(int=value)


def token(user: str, secret: str = SECRET, now: datetime | None = None) -> str:
    """An HS256 token like the service's own: `sub`, `iat`, `exp`."""
    issued = now or datetime.now(UTC)
    claims = {"sub": user, "iat": issued, "exp": issued + timedelta(hours=TOKEN_HOURS)}
    return jwt.encode(claims, secret, algorithm="HS256")
