"""Tasks for tests, built through the domain's own factory."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import UTC, datetime, timedelta

from domain.task import Task, TaskDraft

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def new_owner() -> str:
    return f"user-{uuid.uuid4()}"


def a_task(owner_id: str, *, title: str = "Write the report", at: datetime = T0, **draft: object) -> Task:
    return Task.create(
        id=uuid.uuid4(),
        owner_id=owner_id,
        draft=TaskDraft(title=title, **draft),
        now=at,  # type: ignore[arg-type]
    )


def tasks_over_time(owner_id: str, count: int, *, step: timedelta = timedelta(minutes=1)) -> list[Task]:
    return [a_task(owner_id, title=f"task {n}", at=T0 + n * step) for n in range(count)]


def draft_of(task: Task) -> TaskDraft:
    """What a client would send to make this task."""
    return TaskDraft(**{f.name: getattr(task, f.name) for f in fields(TaskDraft)})
