"""The one task codec (a row, and the idempotency snapshot made from it), the request hash taken
from the normalised draft, and the public schema built from the entity."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

from adapters.sqlmodel.mappers import row_to_task, snapshot_to_task, task_to_row, task_to_snapshot
from adapters.sqlmodel.tables import tasks_table
from application.idempotency import request_hash
from domain.task import Priority, Recurrence, Task, TaskDraft
from entrypoints.http.schemas import NOT_SHOWN, TaskPublic
from tests.support.builders import T0, a_task, new_owner


def every_field_set() -> Task:
    """A task none of whose fields holds its default, so a field the codec dropped would show."""
    task = a_task(
        new_owner(),
        title="Pay rent",
        description="before the 5th",
        priority=Priority.HIGH,
        tags=("home", "money"),
        due_at=T0 + timedelta(days=3),
        recurrence=Recurrence.MONTHLY,
        completed=True,
    )
    return dataclasses.replace(task, version=4, successor_id=uuid.uuid4(), updated_at=T0 + timedelta(hours=1))


def test_a_row_holds_every_field_of_the_task_and_gives_it_back_equal() -> None:
    task = every_field_set()

    row = task_to_row(task)

    assert set(row) == {column.name for column in tasks_table.columns}
    assert row["user_id"] == task.owner_id
    assert row["priority"] == 2
    assert row["tags"] == ["home", "money"]
    assert row["recurrence"] == "monthly"
    assert row["title_key"] == "pay rent"
    assert "before the 5th" in row["search_key"]
    assert row_to_task(row) == task


def test_a_snapshot_is_the_row_as_json_and_gives_the_task_back_equal() -> None:
    task = every_field_set()

    snapshot = task_to_snapshot(task)

    assert json.loads(json.dumps(snapshot)) == snapshot  # plain JSON values only
    assert "user_id" not in snapshot  # the snapshot's own row says whose it is
    assert snapshot["priority"] == "high"  # named, as releases before this one read it
    assert snapshot["successor_id"] == str(task.successor_id)
    assert snapshot_to_task(task.owner_id, snapshot) == task


def test_a_snapshot_taken_before_the_row_codec_served_it_still_reads_back() -> None:
    """Written before December 2026: the priority by name, no successor_id, no folded keys."""
    task = every_field_set()
    old = {
        "id": str(task.id),
        "title": task.title,
        "description": task.description,
        "priority": "high",
        "tags": list(task.tags),
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "recurrence": "monthly",
        "completed": True,
        "created_at": task.created_at.isoformat(),
        "updated_at": task.updated_at.isoformat(),
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "version": task.version,
    }

    assert snapshot_to_task(task.owner_id, old) == dataclasses.replace(task, successor_id=None)


def test_the_request_hash_is_the_one_stored_keys_were_made_with() -> None:
    """Keys outlive a deploy: the hash of a request must not change with the code that takes it."""
    draft = TaskDraft(
        title="  Pay rent ",
        priority=Priority.HIGH,
        tags=("Money", "home", "money"),
        due_at=datetime(2026, 3, 5, 10, 0, tzinfo=timezone(timedelta(hours=2))),
        recurrence=Recurrence.MONTHLY,
    )
    asked = {
        "title": "Pay rent",
        "description": None,
        "priority": "high",
        "tags": ["money", "home"],
        "due_at": "2026-03-05T08:00:00+00:00",
        "recurrence": "monthly",
        "completed": False,
    }
    canonical = json.dumps(["task/v1", asked], sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    assert request_hash(draft) == hashlib.sha256(canonical.encode()).hexdigest()


def test_drafts_that_make_the_same_task_hash_alike_and_any_other_does_not() -> None:
    one = TaskDraft(title="Pay rent", tags=("home",), due_at=datetime(2026, 3, 5, 8, tzinfo=UTC))
    same = TaskDraft(
        title=" Pay rent",
        tags=("HOME", "home"),
        due_at=datetime(2026, 3, 5, 9, tzinfo=timezone(timedelta(hours=1))),
    )
    other = dataclasses.replace(one, completed=True)

    assert request_hash(one) == request_hash(same)
    assert request_hash(one) != request_hash(other)


def test_the_public_schema_shows_every_field_of_the_entity_but_the_owner_and_the_successor() -> None:
    task = every_field_set()
    shown = {f.name for f in dataclasses.fields(Task)} - NOT_SHOWN

    public = TaskPublic.of(task).model_dump(mode="json")

    assert set(public) == shown == set(TaskPublic.model_fields)
    assert public["tags"] == ["home", "money"]
    assert public["version"] == 4
    assert {"owner_id", "successor_id"} == NOT_SHOWN
