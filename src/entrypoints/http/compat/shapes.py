"""The one place where the spellings of the todo full-stack clients meet the v1 use cases: the
fields and values they send, what they read back, and their list parameters. `docs/api.md` has a
table of every alias; `/api/v1` takes none of them and stays strict.

Reading is lenient where these clients differ and strict where a guess could lose data: unknown
fields are ignored (a client's `user_id` or `reminder_offset` changes nothing), but a priority,
recurrence, status or sort that names nothing known is a 422 saying what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    create_model,
    model_validator,
)
from pydantic.config import JsonDict

from application.queries import Sort, SortField
from application.summaries import TagCount
from application.tasks.listing import MAX_OFFSET
from domain.errors import InvalidTask
from domain.task import TAG_MAX_LENGTH, TAGS_MAX_COUNT, Priority, Recurrence, Task, normalise_tags
from entrypoints.http.schemas import PartialTask, Tags, TaskBase, TaskPublic, partial

LIST_LIMIT = 100  # the largest page: most of these clients ask for none and page by offset

_PRIORITIES = {"low": Priority.LOW, "medium": Priority.MEDIUM, "high": Priority.HIGH, "urgent": Priority.HIGH}


def _priority(value: object) -> object:
    """Any case; `urgent`, the fourth level some clients have, is high (there is none above it)."""
    if isinstance(value, str):
        found = _PRIORITIES.get(value.strip().lower())
        if found is None:
            raise ValueError("must be low, medium or high (in any case; urgent counts as high)")
        return found
    return value


_RRULE_FREQUENCY = re.compile(r"^(?:RRULE:)?FREQ=(DAILY|WEEKLY|MONTHLY)(?:;INTERVAL=1)?$")


def _recurrence(value: object) -> object:
    """daily, weekly or monthly in any case, or the RRULE that says only that (`FREQ=WEEKLY`);
    `none` or an empty string is no recurrence."""
    if not isinstance(value, str):
        return value
    text = value.strip().upper()
    if text in ("", "NONE"):
        return None
    rule = _RRULE_FREQUENCY.match(text)
    word = rule[1] if rule else text
    if word.lower() not in Recurrence.__members__.values():
        raise ValueError(
            "must be daily, weekly or monthly (or FREQ=DAILY, FREQ=WEEKLY, FREQ=MONTHLY), or none"
        )
    return word.lower()


def _due(value: object) -> object:
    """A date alone is midnight UTC of that day; a time without an offset is read as UTC."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time(), UTC)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError("must be a date (2026-03-05) or a date-time (2026-03-05T09:00:00Z)") from None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("must be a date (2026-03-05) or a date-time (2026-03-05T09:00:00Z)")
    return value


def _tag_list(value: object) -> object:
    """A list, or one string of comma-separated tags."""
    if isinstance(value, str):
        return [tag for tag in (part.strip() for part in value.split(",")) if tag]
    return value


CompatPriority = Annotated[Priority, BeforeValidator(_priority)]
CompatRecurrence = Annotated[Recurrence | None, BeforeValidator(_recurrence)]
CompatDue = Annotated[datetime | None, BeforeValidator(_due)]
CompatTags = Annotated[Tags, BeforeValidator(_tag_list)]

_DUE = AliasChoices("due_at", "due_date", "target_completion_date", "dueDate")
_RECURRENCE = AliasChoices("recurrence", "recurrence_rule")
_COMPLETED = AliasChoices("completed", "is_completed")


class CompatTaskCreate(TaskBase):
    """v1's task body (title and description as there) with the spellings these clients use for
    the other fields; any field it does not know is ignored."""

    model_config = ConfigDict(extra="ignore")

    priority: CompatPriority = Priority.MEDIUM
    tags: CompatTags = []
    due_at: CompatDue = Field(default=None, validation_alias=_DUE)
    recurrence: CompatRecurrence = Field(default=None, validation_alias=_RECURRENCE)
    completed: bool = Field(default=False, strict=True, validation_alias=_COMPLETED)


class _CompatPartialTask(PartialTask):
    model_config = ConfigDict(extra="ignore")


if TYPE_CHECKING:
    CompatTaskUpdate = _CompatPartialTask
else:
    CompatTaskUpdate = create_model(
        "CompatTaskUpdate",
        __base__=_CompatPartialTask,
        __doc__="The fields sent change and the others stay, for PUT and PATCH alike (these clients "
        "send only what the user edited); `null` clears a field that may be empty.",
        **partial(CompatTaskCreate),
    )


class CompatTaskPublic(TaskPublic):
    """v1's task, and the same facts under the names these clients read."""

    is_completed: bool
    due_date: datetime | None
    user_id: str

    @classmethod
    def of(cls, task: Task) -> CompatTaskPublic:
        return cls.model_validate(_Shown(task), from_attributes=True)


class _Shown:
    """A task as CompatTaskPublic reads it: its own attributes, and the aliases."""

    __slots__ = ("_task",)

    def __init__(self, task: Task) -> None:
        self._task = task

    def __getattr__(self, name: str) -> Any:
        return getattr(self._task, _ALIASED.get(name, name))


_ALIASED = {"is_completed": "completed", "due_date": "due_at", "user_id": "owner_id"}


class CompatTaskList(BaseModel):
    """COMPAT_LIST_SHAPE=object: the page, and how many tasks the filters select."""

    tasks: list[CompatTaskPublic]
    total: int


class CompatTaskListData(BaseModel):
    """COMPAT_LIST_SHAPE=data: the same, under `data`."""

    data: CompatTaskList


class ListShape(StrEnum):
    ARRAY = "array"
    OBJECT = "object"
    DATA = "data"


_STATUSES = {
    "all": None,
    "pending": False,
    "incomplete": False,
    "active": False,
    "open": False,
    "todo": False,
    "completed": True,
    "complete": True,
    "done": True,
}
_SORT_FIELDS = {
    "created_at": SortField.CREATED_AT,
    "createdat": SortField.CREATED_AT,
    "created": SortField.CREATED_AT,
    "due_at": SortField.DUE_AT,
    "due_date": SortField.DUE_AT,
    "duedate": SortField.DUE_AT,
    "target_completion_date": SortField.DUE_AT,
    "priority": SortField.PRIORITY,
    "title": SortField.TITLE,
}
# Without an order, each field sorts the way a list of it is read: newest, soonest, most
# urgent first, titles A to Z.
_NATURALLY_DESCENDING = {SortField.CREATED_AT, SortField.PRIORITY}


def _known(spellings: Iterable[str], said: str, *, signed: bool = False) -> Callable[[str], str]:
    """A check that the text is one of `spellings` in any case (after a `-`, if `signed`): the
    text stays as it was sent, for the documented type to be the string it is."""
    known = frozenset(spellings)

    def check(text: str) -> str:
        word = text.strip()
        if (word.removeprefix("-") if signed else word).lower() not in known:
            raise ValueError(said)
        return text

    return check


def _any_case(spellings: Iterable[str], *, signed: bool = False) -> JsonDict:
    """The published pattern of a parameter read in any case: what a schema-driven client may send."""
    words = "|".join(
        "".join(f"[{c.upper()}{c}]" if c.isalpha() else re.escape(c) for c in word) for word in spellings
    )
    return {"pattern": rf"^\s*{'-?' if signed else ''}({words})\s*$"}


# No control characters, as on v1: title and description are searched as two lines.
SearchText = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
_ORDERS = {"asc": False, "ascending": False, "desc": True, "descending": True}
Status = Annotated[
    str, AfterValidator(_known(_STATUSES, f"must be one of {', '.join(_STATUSES)} (in any case)"))
]
SortBy = Annotated[
    str,
    AfterValidator(
        _known(_SORT_FIELDS, "must be created_at, due_date (or due_at), priority or title", signed=True)
    ),
]
Order = Annotated[str, AfterValidator(_known(_ORDERS, "must be asc or desc (in any case)"))]


def _picks_nothing(name: str, value: object) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip().lower()
    return not text or (name == "priority" and text in ("all", "any"))


class CompatListQuery(BaseModel):
    """The list parameters these clients send; any other parameter is ignored, as their own
    backends did."""

    status: Status | None = Field(
        default=None,
        description="all, pending (incomplete, active, open, todo) or completed (done).",
        json_schema_extra=_any_case(_STATUSES),
    )
    completed: bool | None = None
    search: SearchText | None = Field(
        default=None, validation_alias=AliasChoices("search", "q"), description="Also `q`."
    )
    priority: CompatPriority | None = None
    tags: list[Annotated[str, Field(max_length=TAG_MAX_LENGTH * TAGS_MAX_COUNT)]] = Field(
        default=[],
        validation_alias=AliasChoices("tags", "tag"),
        description="Repeatable, or comma-separated.",
    )
    sort_by: SortBy | None = Field(
        default=None,
        validation_alias=AliasChoices("sort_by", "sort"),
        description="created_at, due_date, priority or title; `-` first for descending. Also `sort`.",
        json_schema_extra=_any_case(_SORT_FIELDS, signed=True),
    )
    sort_order: Order | None = Field(
        default=None,
        validation_alias=AliasChoices("sort_order", "order"),
        description="asc or desc; also `order`.",
        json_schema_extra=_any_case(_ORDERS),
    )
    limit: int = Field(default=LIST_LIMIT, ge=1, le=LIST_LIMIT)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_no_filter(cls, values: Any) -> Any:
        """What a filter form sends when nothing is picked (`?search=&priority=all&status=`)
        filters nothing, as these clients' own backends read it."""
        if not isinstance(values, dict):
            return values
        return {name: value for name, value in values.items() if not _picks_nothing(name, value)}

    @property
    def wanted_tags(self) -> list[str]:
        return [tag.strip() for value in self.tags for tag in value.split(",") if tag.strip()]

    @property
    def selects_nothing(self) -> bool:
        """Tags no task can carry (too long, too many to carry at once): the answer is no task, as
        these clients' own backends answered, not an error."""
        try:
            normalise_tags(self.wanted_tags)
        except InvalidTask:
            return True
        return False

    def arguments(self) -> dict[str, Any]:
        """ListTasks' keyword arguments for this query."""
        completed = self.completed if self.status is None else _STATUSES[self.status.strip().lower()]
        return {
            "completed": completed,
            "q": self.search,
            "priority": self.priority,
            "tags": self.wanted_tags,
            "sort": self._sort(),
            "limit": self.limit,
            "offset": self.offset,
        }

    def _sort(self) -> Sort | None:
        """The field asked for (newest first when only an order is), in the order asked for: by a
        leading `-`, else by sort_order, else the field's natural one."""
        if self.sort_by is None and self.sort_order is None:
            return None
        text = (self.sort_by or "created_at").strip()
        field = _SORT_FIELDS[text.removeprefix("-").lower()]
        if text.startswith("-"):
            return Sort(field, descending=True)
        if self.sort_order is not None:
            return Sort(field, descending=_ORDERS[self.sort_order.strip().lower()])
        return Sort(field, descending=field in _NATURALLY_DESCENDING)


class CompatTag(BaseModel):
    """One of the caller's tags, in the fields these clients read: a tag is its name, so `id` is
    the name too; tags have no colour here (`color` is null)."""

    id: str
    name: str
    color: str | None = None
    count: int
    usage_count: int

    @classmethod
    def of(cls, tag: TagCount) -> CompatTag:
        return cls(id=tag.name, name=tag.name, count=tag.count, usage_count=tag.count)
