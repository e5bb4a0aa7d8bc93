"""A task list: one of an owner's named groups of tasks (the Inbox is no list: it is where tasks
without one are)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidList
from domain.task import UNSET, Unset, position_at

LIST_NAME_MAX_LENGTH = 100
MAX_LISTS = 1000  # per owner
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class ListChanges:
    """A partial change of a list: only the fields that are not UNSET are applied."""

    name: str | Unset = UNSET
    color: str | Unset | None = UNSET
    archived: bool | Unset = UNSET


@dataclass(slots=True, kw_only=True)
class TaskList:
    id: UUID
    owner_id: str
    name: str
    color: str | None
    # Among the owner's lists, in byte order, as a task's among its siblings.
    position: str
    archived: bool
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def create(cls, *, id: UUID, owner_id: str, name: str, color: str | None, now: datetime) -> TaskList:
        """A new list goes last among the owner's lists."""
        return cls(
            id=id,
            owner_id=owner_id,
            name=normalise_name(name),
            color=normalise_color(color),
            position=position_at(now),
            archived=False,
            created_at=now,
            updated_at=now,
            version=1,
        )

    def apply(self, changes: ListChanges, now: datetime) -> bool:
        """Apply a change all or nothing; whether anything actually changed."""
        wanted: dict[str, object] = {}
        if not isinstance(changes.name, Unset):
            wanted["name"] = normalise_name(changes.name)
        if changes.color is not UNSET:
            wanted["color"] = normalise_color(changes.color)
        if not isinstance(changes.archived, Unset):
            wanted["archived"] = bool(changes.archived)
        changed = {name: value for name, value in wanted.items() if getattr(self, name) != value}
        for name, value in changed.items():
            setattr(self, name, value)
        if changed:
            self._touch(now)
        return bool(changed)

    def move_to(self, position: str, now: datetime) -> bool:
        if position == self.position:
            return False
        self.position = position
        self._touch(now)
        return True

    def _touch(self, now: datetime) -> None:
        self.updated_at = now
        self.version += 1


def normalise_name(name: str) -> str:
    trimmed = name.strip()
    if "\x00" in trimmed:
        raise InvalidList("name", "must not contain NUL characters")
    if not trimmed or len(trimmed) > LIST_NAME_MAX_LENGTH:
        raise InvalidList("name", f"must be 1 to {LIST_NAME_MAX_LENGTH} characters after trimming")
    return trimmed


def normalise_color(color: str | None) -> str | None:
    """None, or `#rrggbb` kept in lower case."""
    if color is None:
        return None
    if not _COLOR.match(color):
        raise InvalidList("color", "must be null or #rrggbb")
    return color.lower()
