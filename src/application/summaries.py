"""What the reports answer with: counts over one owner's tasks, never the tasks themselves."""

from dataclasses import dataclass

from domain.task_list import TaskList


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskStats:
    """How many of the owner's tasks there are, are done, are still to do, and are late."""

    total: int
    completed: int
    pending: int
    overdue: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TagCount:
    """One of the owner's tags and how many of their tasks carry it."""

    name: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ListSummary:
    """One of the owner's lists and how many open tasks it holds, counted where they are stored."""

    list: TaskList
    open_tasks: int
