"""What a task listing asks for: filters, one sort, and where the previous page ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.task import UNSET, Priority, Task, Unset

SortValue = datetime | int | str | None


@dataclass(frozen=True, slots=True)
class Place:
    """A sibling group: the tasks of one list (None: the Inbox) under one parent (None: top level)."""

    list_id: UUID | None
    parent_id: UUID | None

    @classmethod
    def of(cls, task: Task) -> Place:
        return cls(task.list_id, task.parent_id)


@dataclass(frozen=True, slots=True, order=True)
class Sibling:
    """A task's place in its group's manual order: ordered by position, then id."""

    position: str
    id: UUID

    @classmethod
    def of(cls, task: Task) -> Sibling:
        return cls(task.position, task.id)


class SortField(StrEnum):
    CREATED_AT = "created_at"
    DUE_AT = "due_at"
    PRIORITY = "priority"
    TITLE = "title"
    POSITION = "position"  # the manual order, meant within a list's top level or a task's subtasks


@dataclass(frozen=True, slots=True)
class Sort:
    """One field, ascending or descending; ties go by id in the same direction.

    Tasks without the field (only `due_at` can be missing) come last either way.
    """

    field: SortField = SortField.CREATED_AT
    descending: bool = True

    @classmethod
    def parse(cls, text: str) -> Sort:
        """`created_at`, `-due_at`, ...: a leading `-` sorts descending."""
        descending = text.startswith("-")
        return cls(SortField(text.removeprefix("-")), descending)

    def __str__(self) -> str:
        return f"{'-' if self.descending else ''}{self.field}"

    def value_of(self, task: Task) -> SortValue:
        """The task's position on this sort, as adapters compare it."""
        match self.field:
            case SortField.CREATED_AT:
                return task.created_at
            case SortField.DUE_AT:
                return task.due_at
            case SortField.PRIORITY:
                return task.priority.rank
            case SortField.TITLE:
                return task.title_key
            case SortField.POSITION:
                return task.position


@dataclass(frozen=True, slots=True)
class PagePosition:
    """Where a page ended: the last task's sort value and id."""

    value: SortValue
    id: UUID

    @classmethod
    def after(cls, task: Task, sort: Sort) -> PagePosition:
        return cls(sort.value_of(task), task.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskFilter:
    """Which of the owner's tasks a listing wants (every condition must hold), in which order,
    from where, and how many. `now` decides what `overdue` means."""

    completed: bool | None = None
    priority: Priority | None = None
    tags: tuple[str, ...] = ()
    text: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue: bool | None = None
    # UNSET: any list (or parent); None: the Inbox (or top level); an id: that list (or parent).
    list_id: UUID | Unset | None = UNSET
    parent_id: UUID | Unset | None = UNSET
    now: datetime | None = None
    sort: Sort = Sort()
    after: PagePosition | None = None
    limit: int = 20
    offset: int = 0  # how many of the selected tasks, past the position, to skip first

    def __post_init__(self) -> None:
        if self.overdue is not None and self.now is None:
            raise ValueError("an overdue filter needs the current time")
