"""List the owner's tasks a page at a time: filtered, sorted, and paged by keyset."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from application.cursors import CursorCodec, fingerprint
from application.errors import InvalidCursor
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.queries import PagePosition, Sort, SortField, SortValue, TaskFilter
from domain.errors import InvalidSelection, ListNotFound, TaskNotFound
from domain.task import UNSET, Priority, Task, Unset, fold, normalise_tags


@dataclass(frozen=True, slots=True)
class TaskPage:
    items: list[Task]
    next_cursor: str | None
    total: int | None = None  # how many the filters select, when asked for


# How far `offset` may skip: the database still reads each skipped task, so it is no way to walk a
# long list (the cursor is).
MAX_OFFSET = 1000


class ListTasks:
    def __init__(self, uow: UnitOfWorkFactory, cursors: CursorCodec, clock: Clock) -> None:
        self._uow = uow
        self._cursors = cursors
        self._clock = clock

    async def __call__(
        self,
        owner_id: str,
        *,
        completed: bool | None = None,
        priority: Priority | None = None,
        tags: Sequence[str] = (),
        q: str | None = None,
        due_before: datetime | None = None,
        due_after: datetime | None = None,
        overdue: bool | None = None,
        sort: Sort | None = None,
        limit: int = 20,
        cursor: str | None = None,
        offset: int = 0,
        with_total: bool = False,
        list_id: UUID | Unset | None = UNSET,
        parent_id: UUID | Unset | None = UNSET,
        top_level: bool = False,
    ) -> TaskPage:
        """`offset` skips that many tasks first (at most MAX_OFFSET); `with_total` also counts
        every task the filters select. `list_id`: one list's tasks (None: the Inbox's);
        `parent_id`: one task's subtasks (None: top-level tasks only); a list or task that is not
        the owner's is ListNotFound or TaskNotFound. `top_level`: only tasks that are no subtask
        (with a `parent_id` too, the two select nothing together)."""
        if limit < 1:
            raise ValueError("a page holds at least one task")
        if not 0 <= offset <= MAX_OFFSET:
            raise InvalidSelection("offset", f"must be from 0 to {MAX_OFFSET}")
        if top_level and isinstance(parent_id, Unset):
            parent_id = None
        sort = sort or Sort()
        # The same instant however it was written: stored times are UTC, and SQLite compares clock
        # readings, not instants.
        due_before = _in_utc("due_before", due_before)
        due_after = _in_utc("due_after", due_after)
        tags = tuple(sorted(normalise_tags(tags)))
        text = None if q is None else fold(q)
        # A cursor is bound to its owner and to every filter and the sort it was made for.
        query = fingerprint(
            {
                "owner": owner_id,
                "completed": completed,
                "priority": priority,
                "tags": list(tags),
                "q": text,
                "due_before": due_before,
                "due_after": due_after,
                "overdue": overdue,
                "sort": str(sort),
                **{
                    name: str(value) if isinstance(value, UUID) else value
                    for name, value in (("list_id", list_id), ("parent_id", parent_id))
                    if not isinstance(value, Unset)
                },
            }
        )
        after = None
        if cursor is not None:
            position = self._cursors.decode(cursor, query)
            after = PagePosition(_typed(position.value, sort.field), position.id)
        wanted = TaskFilter(
            completed=completed,
            priority=priority,
            tags=tags,
            text=text,
            due_before=due_before,
            due_after=due_after,
            overdue=overdue,
            list_id=list_id,
            parent_id=parent_id,
            now=self._clock.now() if overdue is not None else None,
            sort=sort,
            # One row past the page tells whether another page follows, without a COUNT.
            limit=limit + 1,
            offset=offset,
            after=after,
        )
        async with self._uow(owner_id) as uow:
            await require_places(uow, list_id, parent_id)
            if top_level and parent_id is not None:
                return TaskPage(items=[], next_cursor=None, total=0 if with_total else None)
            rows = await uow.tasks.find(wanted)
            total = await uow.tasks.count(wanted) if with_total else None
        items = rows[:limit]
        if len(rows) <= limit:
            return TaskPage(items=items, next_cursor=None, total=total)
        next_cursor = self._cursors.encode(PagePosition.after(items[-1], sort), query)
        return TaskPage(items=items, next_cursor=next_cursor, total=total)


async def require_places(
    uow: UnitOfWork, list_id: UUID | Unset | None, parent_id: UUID | Unset | None = UNSET
) -> None:
    """A list or parent a query names is the owner's, else it is not found (not an empty answer)."""
    if isinstance(list_id, UUID) and await uow.lists.get(list_id) is None:
        raise ListNotFound(list_id)
    if isinstance(parent_id, UUID) and await uow.tasks.get(parent_id) is None:
        raise TaskNotFound(parent_id)


def _in_utc(field: str, moment: datetime | None) -> datetime | None:
    """The same instant in UTC; near year 1 or 9999 some offsets leave none to name."""
    if moment is None:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidSelection(field, "is out of the representable range (years 1 to 9999) in UTC") from None


def _typed(value: object, field: SortField) -> SortValue:
    """A signed cursor's value back in the sort field's own type."""
    try:
        if value is None:
            return None
        if field in (SortField.CREATED_AT, SortField.DUE_AT):
            return datetime.fromisoformat(str(value))
        if field is SortField.PRIORITY and isinstance(value, int):
            return value
        if field in (SortField.TITLE, SortField.POSITION) and isinstance(value, str):
            return value
    except ValueError:
        pass
    raise InvalidCursor("the cursor does not fit this sort")
