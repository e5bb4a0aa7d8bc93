"""The rules a new task keeps: trimmed title, bounded text, normalised tags, times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from domain.errors import InvalidTask
from domain.task import Priority, Task, TaskDraft

NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def new_task(**draft: Any) -> Task:
    fields = {"title": "Buy milk", **draft}
    return Task.create(id=UUID(int=1), owner_id="alice", draft=TaskDraft(**fields), now=NOW)


def test_the_title_is_stored_trimmed() -> None:
    task = new_task(title="  Buy milk \n")

    assert task.title == "Buy milk"


@pytest.mark.parametrize("title", ["", " ", "\t\n  "])
def test_a_blank_title_is_refused(title: str) -> None:
    with pytest.raises(InvalidTask) as refused:
        new_task(title=title)

    assert refused.value.field == "title"


def test_a_title_of_200_characters_after_trimming_is_accepted() -> None:
    task = new_task(title="   " + "x" * 200 + "   ")

    assert task.title == "x" * 200


def test_a_title_over_200_characters_after_trimming_is_refused() -> None:
    with pytest.raises(InvalidTask) as refused:
        new_task(title=" " + "x" * 201 + " ")

    assert refused.value.field == "title"


def test_a_description_of_2000_characters_is_accepted() -> None:
    task = new_task(description="d" * 2000)

    assert task.description == "d" * 2000


def test_a_description_over_2000_characters_is_refused() -> None:
    with pytest.raises(InvalidTask) as refused:
        new_task(description="d" * 2001)

    assert refused.value.field == "description"


def test_tags_are_trimmed_lower_cased_and_deduplicated_in_first_seen_order() -> None:
    task = new_task(tags=(" Home", "WORK", "home ", "errands", "Work"))

    assert task.tags == ("home", "work", "errands")


@pytest.mark.parametrize("tag", ["", "   "])
def test_a_blank_tag_is_refused(tag: str) -> None:
    with pytest.raises(InvalidTask) as refused:
        new_task(tags=("home", tag))

    assert refused.value.field == "tags"


def test_a_tag_of_50_characters_after_trimming_is_accepted() -> None:
    task = new_task(tags=(" " + "t" * 50 + " ",))

    assert task.tags == ("t" * 50,)


def test_a_tag_over_50_characters_is_refused() -> None:
    with pytest.raises(InvalidTask) as refused:
        new_task(tags=("t" * 51,))

    assert refused.value.field == "tags"


def test_twenty_distinct_tags_are_accepted() -> None:
    tags = tuple(f"tag-{n}" for n in range(20))

    task = new_task(tags=tags)

    assert task.tags == tags


def test_more_than_twenty_distinct_tags_are_refused() -> None:
    with pytest.raises(InvalidTask) as refused:
        new_task(tags=tuple(f"tag-{n}" for n in range(21)))

    assert refused.value.field == "tags"


def test_repeated_tags_do_not_count_towards_the_limit() -> None:
    distinct = [f"tag-{n}" for n in range(20)]
    repeats = [name.upper() for name in distinct[:5]]

    task = new_task(tags=tuple(distinct + repeats))

    assert task.tags == tuple(distinct)


def test_a_due_time_without_an_offset_is_refused() -> None:
    with pytest.raises(InvalidTask) as refused:
        new_task(due_at=datetime(2025, 3, 1, 12, 0))

    assert refused.value.field == "due_at"


def test_a_due_time_is_stored_in_utc() -> None:
    paris_noon = datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))

    task = new_task(due_at=paris_noon)

    assert task.due_at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert task.due_at is not None
    assert task.due_at.tzinfo is UTC


def test_a_new_task_starts_at_version_one_with_defaults() -> None:
    task = new_task()

    assert task.version == 1
    assert task.created_at == task.updated_at == NOW
    assert task.priority is Priority.MEDIUM
    assert task.completed is False
    assert task.completed_at is None
    assert task.description is None
    assert task.tags == ()


def test_a_task_created_completed_records_when_it_was_completed() -> None:
    task = new_task(completed=True)

    assert task.completed is True
    assert task.completed_at == NOW
