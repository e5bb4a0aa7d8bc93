"""The task list entity: what a list keeps of the name and color it is given, and its versions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidList
from domain.task import UNSET
from domain.task_list import LIST_NAME_MAX_LENGTH, ListChanges, TaskList

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def a_list(name: str = "Work", color: str | None = None) -> TaskList:
    return TaskList.create(id=uuid.uuid4(), owner_id="alice", name=name, color=color, now=T0)


def test_a_new_list_keeps_its_name_trimmed_and_its_color_in_lower_case() -> None:
    made = a_list("  Groceries \n", "#A0B1C2")

    assert (made.name, made.color, made.archived, made.version) == ("Groceries", "#a0b1c2", False, 1)


@pytest.mark.parametrize("name", ["", "   ", "x" * (LIST_NAME_MAX_LENGTH + 1), "a\x00b"])
def test_a_name_blank_too_long_or_with_nul_is_refused(name: str) -> None:
    with pytest.raises(InvalidList) as refused:
        a_list(name)

    assert refused.value.field == "name"


@pytest.mark.parametrize("color", ["red", "#abc", "#abcdeg", "#abcdef0", "abcdef"])
def test_a_color_that_is_not_rrggbb_is_refused(color: str) -> None:
    with pytest.raises(InvalidList) as refused:
        a_list(color=color)

    assert refused.value.field == "color"


def test_a_change_is_one_new_version_and_a_change_to_the_same_values_is_none() -> None:
    made = a_list("Work", "#000000")
    later = T0 + timedelta(minutes=1)

    assert made.apply(ListChanges(name="Home", color=None, archived=True), later)
    assert (made.name, made.color, made.archived, made.version, made.updated_at) == (
        "Home",
        None,
        True,
        2,
        later,
    )
    assert not made.apply(
        ListChanges(name=" Home ", archived=True, color=UNSET), later + timedelta(minutes=1)
    )
    assert made.version == 2


def test_a_refused_change_changes_nothing() -> None:
    made = a_list("Work")

    with pytest.raises(InvalidList):
        made.apply(ListChanges(name="Home", color="blue"), T0)

    assert (made.name, made.version) == ("Work", 1)


def test_a_list_made_later_goes_after_one_made_earlier() -> None:
    first = a_list()
    second = TaskList.create(
        id=uuid.uuid4(), owner_id="alice", name="B", color=None, now=T0 + timedelta(seconds=1)
    )

    assert first.position < second.position
