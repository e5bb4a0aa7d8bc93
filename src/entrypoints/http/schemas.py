"""HTTP schemas for tasks: what clients send and what they get back, never the table or the entity."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, get_args, get_type_hints
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    create_model,
)
from pydantic.fields import FieldInfo

from application.queries import SortField
from application.summaries import ListSummary, TagCount, TaskStats
from application.sync import SYNC_PAGE_DEFAULT, SYNC_PAGE_MAX, FeedEntry
from application.tasks.bulk import MAX_BULK_IDS, BulkAction
from application.tasks.placing import Destination
from domain.task import (
    DESCRIPTION_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TAGS_MAX_COUNT,
    TITLE_MAX_LENGTH,
    UNSET,
    Priority,
    Recurrence,
    Task,
    TaskChanges,
    TaskDraft,
    Unset,
)
from domain.task_list import LIST_NAME_MAX_LENGTH, ListChanges

# Text holds no NUL (PostgreSQL cannot store it) and titles and tags are not blank.
_SOME_TEXT = r"^[^\x00]*[^\s\x00][^\x00]*$"
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH, pattern=_SOME_TEXT),
]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX_LENGTH, pattern=r"^[^\x00]*$")]
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TAG_MAX_LENGTH, pattern=_SOME_TEXT)
]
Tags = Annotated[list[Tag], Field(max_length=TAGS_MAX_COUNT)]


def _rfc3339_text(value: object) -> object:
    """Times arrive as RFC 3339 text; a number (or numeric text) is not quietly read as a Unix timestamp."""
    if isinstance(value, int | float) or (isinstance(value, str) and not _RFC3339_DATE.match(value)):
        raise ValueError("must be an RFC 3339 date-time string with an offset")
    return value


def _representable_in_utc(value: datetime) -> datetime:
    """0001-01-01T00:00:00+01:00 is a valid time with no UTC reading Python can hold."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of the representable range (years 1 to 9999) in UTC") from None
    return value


_RFC3339_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]")
Time = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text), AfterValidator(_representable_in_utc)]


class TaskBase(BaseModel):
    """The fields a client may set; anything else in a body is refused."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    priority: Priority = Priority.MEDIUM
    tags: Tags = []
    due_at: Time | None = None
    recurrence: Recurrence | None = None
    completed: StrictBool = False

    def to_draft(self) -> TaskDraft:
        sent: dict[str, Any] = {name: getattr(self, name) for name in _DRAFT_FIELDS}
        sent["tags"] = tuple(sent["tags"])
        return TaskDraft(**sent)


_DRAFT_FIELDS = frozenset(f.name for f in fields(TaskDraft))
if set(TaskBase.model_fields) != _DRAFT_FIELDS:
    raise TypeError("TaskBase takes each field of TaskDraft, and no other")


class _Places(BaseModel):
    """A body that may name where the task goes; a part it leaves out is worked out (Destination)."""

    def to_destination(self) -> Destination:
        named = {name: getattr(self, name) for name in _PLACE_FIELDS & self.model_fields_set}
        return Destination(**named)


_PLACE_FIELDS = frozenset({"list_id", "parent_id", "after"})
ListRef = Annotated[UUID | None, Field(description="One of your lists; null: the Inbox.")]
ParentRef = Annotated[
    UUID | None, Field(description="One of your tasks in the same list; null: the top level.")
]


class TaskCreate(TaskBase, _Places):
    """Body of POST: a new task, last among its siblings (in the Inbox at the top level unless
    `list_id` or `parent_id` say otherwise; a subtask without `list_id` goes in its parent's list)."""

    list_id: ListRef = None
    parent_id: ParentRef = None


class TaskMove(_Places):
    """Body of POST /{task_id}/move: where the task (its subtasks with it) goes. Left out,
    `list_id` and `parent_id` are worked out: after a task, beside it; under a parent, in its list;
    in another list, at its top level; otherwise where it is. `after`: the sibling it goes just
    after; null: first; left out: last."""

    model_config = ConfigDict(extra="forbid")

    list_id: ListRef = None
    parent_id: ParentRef = None
    after: UUID | None = None


class TaskReplace(TaskBase):
    """Body of PUT: every client-settable field; one left out takes its default."""


class PartialTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def to_changes(self) -> TaskChanges:
        sent = {name: getattr(self, name) for name in self.model_fields_set & _DRAFT_FIELDS}
        if "tags" in sent:
            sent["tags"] = tuple(sent["tags"])
        return TaskChanges(**sent)


def partial(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s fields, each of which may be left out (for `create_model`). The default (None) is
    never validated, so leaving out a field that cannot be empty is allowed, but sending null for
    it fails; constraints and aliases stay as they were."""
    return {
        name: (field.annotation, FieldInfo.merge_field_infos(field, default=None))
        for name, field in model.model_fields.items()
    }


class _PartialPlacedTask(PartialTask, _Places):
    def to_destination(self) -> Destination:
        """A PATCH moves the task only if it names another list or parent than the task's."""
        return dataclasses.replace(super().to_destination(), stay_if_there=True)


if TYPE_CHECKING:
    TaskUpdate = _PartialPlacedTask
else:
    TaskUpdate = create_model(
        "TaskUpdate",
        __base__=_PartialPlacedTask,
        __doc__="Body of PATCH: only the fields sent change; `null` clears the nullable ones. "
        "`list_id` and `parent_id` move the task (its subtasks with it), last among its new siblings.",
        **partial(TaskBase),
        list_id=(ListRef, None),
        parent_id=(ParentRef, None),
    )


SORT_PATTERN = rf"^-?({'|'.join(field.value for field in SortField)})$"
INBOX = "inbox"
ListFilter = Annotated[
    str | None,
    Field(
        pattern=r"^(inbox|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$",
        description="Only the tasks of this list of yours, or of the Inbox (`inbox`).",
    ),
]


def _list_wanted(list_id: str | None) -> UUID | Unset | None:
    """UNSET: any list; None: the Inbox; an id: that list."""
    if list_id is None:
        return UNSET
    return None if list_id == INBOX else UUID(list_id)


class StatsQuery(BaseModel):
    list_id: ListFilter = None

    @property
    def list_wanted(self) -> UUID | Unset | None:
        return _list_wanted(self.list_id)


class TaskListQuery(BaseModel):
    """What a listing is filtered, sorted and paged by: its query parameters, read in one go
    (FastAPI then validates them in one call, not one by one)."""

    completed: bool | None = None
    priority: Priority | None = None
    tag: Tags = Field(default=[], description="Repeatable: tasks carrying all of these tags.")
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        # No control characters: title and description are searched as two lines, and a search
        # must not match across them.
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="Case-insensitive text in the title or description; % and _ match themselves.",
    )
    due_before: Time | None = None
    due_after: Time | None = None
    overdue: bool | None = Field(default=None, description="Due in the past and not completed.")
    sort: str = Field(
        default="-created_at",
        pattern=SORT_PATTERN,
        description="A field, `-` first for descending; ties go by id.",
    )
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=512)
    list_id: ListFilter = None
    parent_id: UUID | None = Field(default=None, description="Only the subtasks of this task of yours.")
    top_level: bool = Field(
        default=False, description="`true`: only tasks that are no subtask (with `parent_id`: none)."
    )

    @property
    def list_wanted(self) -> UUID | Unset | None:
        return _list_wanted(self.list_id)

    @property
    def parent_wanted(self) -> UUID | Unset:
        """UNSET: any parent; an id: that task's subtasks (`top_level` is said apart)."""
        return UNSET if self.parent_id is None else self.parent_id


class _ShownTask(BaseModel):
    @classmethod
    def of(cls, task: Task) -> Self:
        return cls.model_validate(task, from_attributes=True)  # one call into pydantic's core


# Every field of the entity is shown but these: the owner is the caller, and the successor is the
# service's own bookkeeping (completing a recurring task brings its next occurrence once). A field
# added to Task is the client's to see unless it joins this list: a task's fields are its owner's.
NOT_SHOWN = frozenset({"owner_id", "successor_id"})

if TYPE_CHECKING:
    TaskPublic = _ShownTask
else:
    _hints = get_type_hints(Task)
    TaskPublic = create_model(
        "TaskPublic",
        __base__=_ShownTask,
        __doc__="A task as clients see it.",
        **{f.name: (_hints[f.name], ...) for f in fields(Task) if f.name not in NOT_SHOWN},
    )


class TaskPagePublic(BaseModel):
    """One page of tasks; `next_cursor` fetches the next, null on the last page."""

    items: list[TaskPublic]
    next_cursor: str | None


class TaskStatsPublic(BaseModel):
    """Counts over all the caller's tasks; `overdue` ones are due in the past and not completed."""

    total: int
    completed: int
    pending: int
    overdue: int

    @classmethod
    def of(cls, counts: TaskStats) -> TaskStatsPublic:
        return cls(
            total=counts.total, completed=counts.completed, pending=counts.pending, overdue=counts.overdue
        )


class TagPublic(BaseModel):
    """One of the caller's tags and how many of their tasks carry it."""

    name: str
    count: int

    @classmethod
    def of(cls, tag: TagCount) -> TagPublic:
        return cls(name=tag.name, count=tag.count)


BULK_DESCRIPTION = (
    f"Complete, reopen or delete up to {MAX_BULK_IDS} of your tasks in one transaction. If any id is "
    "not one of your tasks, the answer is 404 whose `missing_ids` lists those ids, and nothing changes.\n\n"
    "`affected` counts the tasks that actually changed: every task deleted; for `complete` and "
    "`reopen`, the tasks whose state flipped (one already in the wanted state is left untouched and "
    "not counted). An id sent twice counts once. Completing a recurring task creates its next "
    "occurrence, as a toggle does; the new task is not counted.\n\n"
    "`move` (with `list_id`, null for the Inbox) puts each task at the top level of that list, last, "
    "in the order of `ids`, its subtasks with it; `affected` counts those that moved. A task whose "
    "parent (or any ancestor) is named too moves inside it, where it is. A task deleted takes its "
    "subtasks with it; only the tasks named are counted."
)


# --- Lists ---

ListName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=LIST_NAME_MAX_LENGTH, pattern=_SOME_TEXT
    ),
]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


class ListCreate(BaseModel):
    """Body of POST /lists: a new list, last among yours."""

    model_config = ConfigDict(extra="forbid")

    name: ListName
    color: Color | None = None


class ListUpdate(BaseModel):
    """Body of PATCH /lists/{list_id}: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    # Left out, a field stays; only `color` may be null (no color). The default is never
    # validated, so leaving `name` out is allowed where sending null for it is not.
    name: ListName = None  # type: ignore[assignment]
    color: Color | None = None
    archived: StrictBool = None  # type: ignore[assignment]

    def to_changes(self) -> ListChanges:
        return ListChanges(**{name: getattr(self, name) for name in self.model_fields_set})


class ListMove(BaseModel):
    """Body of POST /lists/{list_id}/move: the list it goes just after; null: first."""

    model_config = ConfigDict(extra="forbid")

    after: UUID | None


class ListsQuery(BaseModel):
    archived: bool = Field(default=False, description="`true`: your archived lists instead.")


class ListPublic(BaseModel):
    """A list as clients see it; `open_tasks` counts its tasks not completed."""

    id: UUID
    name: str
    color: str | None
    position: str
    archived: bool
    open_tasks: int
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, summary: ListSummary) -> ListPublic:
        shown = summary.list
        return cls(
            id=shown.id,
            name=shown.name,
            color=shown.color,
            position=shown.position,
            archived=shown.archived,
            open_tasks=summary.open_tasks,
            created_at=shown.created_at,
            updated_at=shown.updated_at,
            version=shown.version,
        )


class ListsPublic(BaseModel):
    """Your lists, in your order."""

    items: list[ListPublic]


class _TaskBulkBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[UUID], Field(min_length=1, max_length=MAX_BULK_IDS)]

    @property
    def list_wanted(self) -> UUID | Unset | None:
        return UNSET


class TaskBulkChange(_TaskBulkBase):
    """Complete, reopen or delete the tasks named."""

    action: Literal["complete", "reopen", "delete"]


class TaskBulkMove(_TaskBulkBase):
    """Move the tasks named to the top level of list `list_id` (null: the Inbox)."""

    action: Literal["move"]
    list_id: ListRef

    @property
    def list_wanted(self) -> UUID | Unset | None:
        return self.list_id


# Body of POST /bulk: what to do (`action` says which of the two shapes), to which of the caller's tasks.
TaskBulk = Annotated[TaskBulkChange | TaskBulkMove, Field(discriminator="action")]
_SHAPED = {*get_args(TaskBulkChange.model_fields["action"].annotation), "move"}
if {action.value for action in BulkAction} != _SHAPED:
    raise TypeError("each bulk action needs its body shape")


class TaskBulkPublic(BaseModel):
    """What a bulk action did: how many tasks it changed."""

    affected: int


# --- Syncing: the change feed, and live streams ---

SYNC_TOKEN_MAX_LENGTH = 1024


class SyncQuery(BaseModel):
    since: str | None = Field(
        default=None,
        max_length=SYNC_TOKEN_MAX_LENGTH,
        description="The `next` token of your last page (or an event's `id`); none: your whole state.",
    )
    limit: int = Field(default=SYNC_PAGE_DEFAULT, ge=1, le=SYNC_PAGE_MAX)


class ChangePublic(BaseModel):
    """One item that changed: `upsert` with the item as it is now, or `delete` with null."""

    kind: Literal["task", "list"]
    op: Literal["upsert", "delete"]
    id: UUID
    item: TaskPublic | ListPublic | None

    @classmethod
    def of(cls, entry: FeedEntry) -> ChangePublic:
        item: TaskPublic | ListPublic | None = None
        if isinstance(entry.item, Task):
            item = TaskPublic.of(entry.item)
        elif entry.item is not None:
            item = ListPublic.of(entry.item)
        return cls(kind=entry.kind, op="delete" if item is None else "upsert", id=entry.item_id, item=item)


class SyncPublic(BaseModel):
    changes: list[ChangePublic]
    next: str = Field(description="Where to go on from: `since` of your next call.")
    has_more: bool = Field(description="`true`: ask again with `next` at once, there is more.")


class TicketPublic(BaseModel):
    ticket: str = Field(description="For `GET /api/v1/events?ticket=...`: once, within `expires_in` seconds.")
    expires_in: int
