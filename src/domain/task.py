"""The task entity and the invariants every task keeps."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, TypeVar
from uuid import UUID

from domain.errors import InvalidTask

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
TAGS_MAX_COUNT = 20
TAG_MAX_LENGTH = 50
MAX_DEPTH = 5  # a top-level task is at depth 1, its subtasks at 2, ... at most this deep


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """Low 0, medium 1, high 2: the order "by priority" means."""
        return list(Priority).index(self)


class Recurrence(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class Unset(Enum):
    """Marks a field a partial change leaves alone (None is a value: it clears)."""

    UNSET = "UNSET"


UNSET = Unset.UNSET
E = TypeVar("E", bound=Enum)


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskDraft:
    """What a client chooses when it creates a task or replaces one whole."""

    title: str
    description: str | None = None
    priority: Priority = Priority.MEDIUM
    tags: tuple[str, ...] = ()
    due_at: datetime | None = None
    recurrence: Recurrence | None = None
    completed: bool = False

    def normalised(self) -> TaskDraft:
        """The draft as a task keeps it (title trimmed, tags folded and de-duplicated, the time in
        UTC, ...), or InvalidTask: two drafts that make the same task normalise equal."""
        return TaskDraft(**{name: normalise(getattr(self, name)) for name, normalise in _NORMALISERS.items()})

    def as_changes(self) -> TaskChanges:
        return TaskChanges(**{f.name: getattr(self, f.name) for f in fields(self)})


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskChanges:
    """A partial change: only the fields that are not UNSET are applied."""

    title: str | Unset = UNSET
    description: str | Unset | None = UNSET
    priority: Priority | Unset = UNSET
    tags: tuple[str, ...] | Unset = UNSET
    due_at: datetime | Unset | None = UNSET
    recurrence: Recurrence | Unset | None = UNSET
    completed: bool | Unset = UNSET


@dataclass(frozen=True, slots=True)
class Placing:
    """Where a task goes: its list (None: the Inbox), its parent (None: top level), its position."""

    list_id: UUID | None
    parent_id: UUID | None
    position: str


@dataclass(slots=True, kw_only=True)
class Task:
    """One owner's task. Every change goes through a method that keeps the invariants."""

    id: UUID
    owner_id: str
    title: str
    description: str | None
    priority: Priority
    tags: tuple[str, ...]
    due_at: datetime | None
    recurrence: Recurrence | None
    completed: bool
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    version: int
    # The next occurrence this task brought when it was completed (see bring_next_occurrence).
    successor_id: UUID | None = None
    # Where the task is: its list (None: the Inbox), its parent (None: top level), and its position
    # among its siblings (the tasks of the same list and parent), which sort in byte order.
    list_id: UUID | None = None
    parent_id: UUID | None = None
    position: str = ""

    @classmethod
    def create(
        cls,
        *,
        id: UUID,
        owner_id: str,
        draft: TaskDraft,
        now: datetime,
        list_id: UUID | None = None,
        parent_id: UUID | None = None,
    ) -> Task:
        """A new task goes last among its siblings: its position is made from its creation time."""
        draft = draft.normalised()
        return cls(
            id=id,
            owner_id=owner_id,
            **{name: getattr(draft, name) for name in _NORMALISERS},
            created_at=now,
            updated_at=now,
            completed_at=now if draft.completed else None,
            version=1,
            list_id=list_id,
            parent_id=parent_id,
            position=position_at(now),
        )

    def apply(self, changes: TaskChanges, now: datetime, *, place: Placing | None = None) -> bool:
        """Apply a change all or nothing, and put the task at `place` if given (one new version for
        both); return whether anything actually changed."""
        wanted = _validated(changes)
        if place is not None:
            wanted.update(list_id=place.list_id, parent_id=place.parent_id, position=place.position)
        changed = {name: value for name, value in wanted.items() if getattr(self, name) != value}
        if not changed:
            return False
        for name, value in changed.items():
            setattr(self, name, value)
        if "completed" in changed:
            self.completed_at = now if self.completed else None
        self._touch(now)
        return True

    @property
    def title_key(self) -> str:
        """What sorting by title compares: the title without regard to case."""
        return fold(self.title)

    @property
    def search_text(self) -> str:
        """What a search looks in: title and description, case-folded, on separate lines."""
        return fold(f"{self.title}\n{self.description or ''}")

    def apply_position(self, position: str, now: datetime) -> bool:
        return self.apply(TaskChanges(), now, place=Placing(self.list_id, self.parent_id, position))

    @property
    def placing(self) -> Placing:
        return Placing(self.list_id, self.parent_id, self.position)

    def open_copy(self, *, id: UUID, now: datetime, parent_id: UUID, shift: timedelta | None) -> Task:
        """This subtask again, open, under `parent_id` (its copy in a recurring task's next
        occurrence), at the same position, its due time moved by `shift` (None: no due time)."""
        due_at = None
        if self.due_at is not None and shift is not None:
            try:
                due_at = self.due_at + shift
            except OverflowError:
                due_at = None
        copy = self._again(id=id, now=now, due_at=due_at, parent_id=parent_id)
        copy.position = self.position
        return copy

    def toggle(self, now: datetime) -> None:
        self.apply(TaskChanges(completed=not self.completed), now)

    def bring_next_occurrence(self, *, id: UUID, now: datetime) -> Task | None:
        """The task that follows a completed recurring one: the same task, due one interval later
        (counted from its due time, or from its completion when it had none), not completed.
        A task brings it once: this records it as `successor_id`, so completing the task again
        after a reopen brings no second one. The version stays: this is part of the change that
        completed the task, which counted already.
        None, and nothing recorded, when there is none: it already brought one, it is not recurring,
        not completed, or the next time would fall after 9999-12-31 (it is simply completed then)."""
        if self.successor_id is not None or self.recurrence is None or not self.completed:
            return None
        start = self.due_at or self.completed_at or now
        due_at = advance(start, self.recurrence)
        if due_at is None:
            return None  # the next one would fall after the last representable time
        successor = self._again(id=id, now=now, due_at=due_at, parent_id=self.parent_id)
        self.successor_id = successor.id
        return successor

    def _again(self, *, id: UUID, now: datetime, due_at: datetime | None, parent_id: UUID | None) -> Task:
        """A new task like this one, open, in its list, due at `due_at`, under `parent_id`."""
        draft = TaskDraft(
            title=self.title,
            description=self.description,
            priority=self.priority,
            tags=self.tags,
            due_at=due_at,
            recurrence=self.recurrence,
        )
        return Task.create(
            id=id, owner_id=self.owner_id, draft=draft, now=now, list_id=self.list_id, parent_id=parent_id
        )

    def _touch(self, now: datetime) -> None:
        self.updated_at = now
        self.version += 1


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def position_at(moment: datetime) -> str:
    """The position of a task made at `moment`: after those made before it, without reading them.
    A fractional-indexing key (application/positions.py) whose integer part is the microseconds
    since 1970 in nine base-62 digits (the head "i" says nine), so moves place tasks between
    these keys as between any others, and keys a rebalance hands out ("a0", "a1", ...) all sort
    before them: a task made later still goes last."""
    micros = max(0, (moment - _EPOCH) // timedelta(microseconds=1))
    digits = []
    for _ in range(9):
        micros, digit = divmod(micros, 62)
        digits.append(_BASE62[digit])
    return "i" + "".join(reversed(digits))


def fold(text: str) -> str:
    """Text without regard to case, the same in every adapter ("Straße" and "STRASSE" agree)."""
    return text.casefold()


def advance(moment: datetime, recurrence: Recurrence) -> datetime | None:
    """One interval later; a month later is the same day, or the month's last day when it is shorter.
    None when that is past the last time there is (9999-12-31, in UTC)."""
    try:
        if recurrence is Recurrence.DAILY:
            later = moment + timedelta(days=1)
        elif recurrence is Recurrence.WEEKLY:
            later = moment + timedelta(weeks=1)
        else:
            year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
            last_day = calendar.monthrange(year, month)[1]
            later = moment.replace(year=year, month=month, day=min(moment.day, last_day))
        later.astimezone(UTC)
    except (OverflowError, ValueError):  # ValueError: year 10000 (monthrange, replace)
        return None
    return later


def _validated(changes: TaskChanges) -> dict[str, Any]:
    wanted: dict[str, Any] = {}
    for name, normalise in _NORMALISERS.items():
        value = getattr(changes, name)
        if value is not UNSET:
            wanted[name] = normalise(value)
    return wanted


def _member(kind: type[E], field: str, value: object) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in kind)
        raise InvalidTask(field, f"must be one of {allowed}") from None


def _printable(field: str, text: str) -> str:
    """NUL has no place in text, and PostgreSQL cannot store it."""
    if "\x00" in text:
        raise InvalidTask(field, "must not contain NUL characters")
    return text


def normalise_title(title: str) -> str:
    trimmed = _printable("title", title).strip()
    if not trimmed:
        raise InvalidTask("title", "must not be blank")
    if len(trimmed) > TITLE_MAX_LENGTH:
        raise InvalidTask("title", f"must be at most {TITLE_MAX_LENGTH} characters")
    return trimmed


def normalise_description(description: str | None) -> str | None:
    if description is None:
        return None
    if len(_printable("description", description)) > DESCRIPTION_MAX_LENGTH:
        raise InvalidTask("description", f"must be at most {DESCRIPTION_MAX_LENGTH} characters")
    return description


def normalise_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Trim and lower-case each tag, drop repeats, keep the first-seen order."""
    unique: dict[str, None] = {}
    for tag in tags:
        name = _printable("tags", tag).strip().lower()
        if not name or len(name) > TAG_MAX_LENGTH:
            raise InvalidTask("tags", f"each tag must be 1 to {TAG_MAX_LENGTH} characters")
        unique[name] = None
    if len(unique) > TAGS_MAX_COUNT:
        raise InvalidTask("tags", f"at most {TAGS_MAX_COUNT} tags")
    return tuple(unique)


def normalise_time(field: str, value: datetime | None) -> datetime | None:
    """Times carry an offset and are kept in UTC."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidTask(field, "must include a UTC offset")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidTask(field, "is out of the representable range in UTC") from None


# How each field a client sets is made into what a task keeps: the one table TaskDraft.normalised
# (so Task.create) and Task.apply use. Each field of TaskDraft (and of TaskChanges) has its entry.
_NORMALISERS: dict[str, Callable[[Any], Any]] = {
    "title": normalise_title,
    "description": normalise_description,
    "priority": lambda value: _member(Priority, "priority", value),
    "tags": normalise_tags,
    "due_at": lambda value: normalise_time("due_at", value),
    "recurrence": lambda value: None if value is None else _member(Recurrence, "recurrence", value),
    "completed": bool,
}
if set(_NORMALISERS) != {f.name for f in fields(TaskDraft)} or set(_NORMALISERS) != {
    f.name for f in fields(TaskChanges)
}:
    raise TypeError("each field a client sets needs its normaliser in _NORMALISERS")
