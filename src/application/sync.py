"""Keeping clients in step: the change feed (what changed since a token) and the tokens themselves.

Every committed change to an owner's tasks and lists is in their change log (ports.ChangeLog), at a
position in commit order. A client holds a token naming a position; it asks for what came after
and gets a page of changes, each item as it is now (or a tombstone), and a token to go on from.
Without a token, the whole current state comes first, as upserts, paged the same way, ending with
the token of the position the state was read at: whatever changed meanwhile comes after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from application.cursors import CursorCodec
from application.errors import InvalidCursor
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.queries import PagePosition, Sort, SortField, TaskFilter
from application.summaries import ListSummary
from domain.errors import DomainError
from domain.task import Task

Kind = Literal["task", "list"]
DEFAULT_RETENTION = timedelta(days=30)
SYNC_PAGE_DEFAULT = 100
SYNC_PAGE_MAX = 1000
_BY_CREATION = Sort(SortField.CREATED_AT, descending=False)


class InvalidSyncToken(InvalidCursor):
    """A sync token that was altered, is another user's, or is no token at all."""


class SyncTokenExpired(DomainError):
    """A sync token older than the change log keeps: the client has to sync from scratch."""


@dataclass(frozen=True, slots=True)
class Change:
    """One committed change in an owner's log: the item, and whether it was deleted."""

    position: int
    kind: Kind
    item_id: UUID
    deleted: bool


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """A change as the feed gives it: the item as it is now, or None when it was deleted, and the
    token that resumes just after it."""

    kind: Kind
    item_id: UUID
    item: Task | ListSummary | None
    token: str


@dataclass(frozen=True, slots=True)
class SyncPage:
    entries: list[FeedEntry]
    next: str
    has_more: bool


@dataclass(frozen=True, slots=True)
class SyncPosition:
    """Where a token stands: after `position` in the log; while the current state is still being
    sent (a sync without a token), also which kind of item it has got to and after which one."""

    position: int
    issued_at: float
    phase: Kind | None = None
    after: tuple[str, ...] = field(default=())


class SyncTokens:
    """Sync tokens: signed (CursorCodec) and bound to their owner, so a client can hold one but
    neither forge one nor use another user's. Each says when it was issued: one older than the
    change log's retention is refused, as the changes after it may be purged."""

    def __init__(self, codec: CursorCodec, clock: Clock, retention: timedelta = DEFAULT_RETENTION) -> None:
        self._codec = codec
        self._clock = clock
        self.retention = retention

    def issue(
        self, owner_id: str, position: int, phase: Kind | None = None, after: tuple[str, ...] = ()
    ) -> str:
        fields: dict[str, object] = {"p": position, "t": int(self._clock.now().timestamp())}
        if phase is not None:
            fields.update(k=phase, a=list(after))
        return self._codec.seal(fields, _bound(owner_id))

    def read(self, owner_id: str, token: str) -> SyncPosition:
        try:
            fields = self._codec.unseal(token, _bound(owner_id))  # InvalidCursor
            position = SyncPosition(
                position=int(fields["p"]),
                issued_at=float(fields["t"]),
                phase=fields.get("k"),
                after=tuple(str(part) for part in fields.get("a", ())),
            )
        except (InvalidCursor, KeyError, TypeError, ValueError) as error:
            raise InvalidSyncToken("is not a sync token of yours") from error
        if position.phase not in (None, "task", "list") or position.position < 0:
            raise InvalidSyncToken("is not a sync token of yours")
        if self._clock.now().timestamp() - position.issued_at > self.retention.total_seconds():
            raise SyncTokenExpired("the sync token is older than the change log keeps")
        return position


def _bound(owner_id: str) -> str:
    return f"sync:{owner_id}"


class SyncChanges:
    """A page of the owner's feed after a token, or of their whole state without one."""

    def __init__(self, uow: UnitOfWorkFactory, tokens: SyncTokens, clock: Clock) -> None:
        self._uow = uow
        self._tokens = tokens
        self._clock = clock

    async def head(self, owner_id: str) -> str:
        """A token for now: what changes from here on."""
        async with self._uow(owner_id) as uow:
            return self._tokens.issue(owner_id, await uow.changes.head())

    async def listen(self, owner_id: str, seconds: float) -> None:
        """Say that a live stream waits for the owner's changes, for the next `seconds`."""
        async with self._uow(owner_id) as uow:
            await uow.changes.listen(self._clock.now() + timedelta(seconds=seconds))
            await uow.commit()

    def read(self, owner_id: str, token: str) -> SyncPosition:
        """The token's position, or InvalidCursor / SyncTokenExpired."""
        return self._tokens.read(owner_id, token)

    async def __call__(self, owner_id: str, since: str | None, limit: int = SYNC_PAGE_DEFAULT) -> SyncPage:
        if since is None:
            return await self._state(owner_id, None, limit)
        position = self._tokens.read(owner_id, since)
        if position.phase is not None:
            return await self._state(owner_id, position, limit)
        return await self._changes(owner_id, position.position, limit)

    async def _changes(self, owner_id: str, after: int, limit: int) -> SyncPage:
        async with self._uow(owner_id) as uow:
            changes = await uow.changes.since(after, limit + 1)
            has_more = len(changes) > limit
            changes = changes[:limit]
            # Several changes to one item fold into its last; the entries keep the log's order.
            last: dict[tuple[Kind, UUID], Change] = {}
            for change in changes:
                last.pop((change.kind, change.item_id), None)
                last[change.kind, change.item_id] = change
            upserts = [change for change in last.values() if not change.deleted]
            tasks = await uow.tasks.get_many([c.item_id for c in upserts if c.kind == "task"])
            lists = await _all_lists(uow) if any(c.kind == "list" for c in upserts) else {}
        entries = []
        for change in last.values():
            item = None if change.deleted else (tasks if change.kind == "task" else lists).get(change.item_id)
            if item is None and not change.deleted:
                continue  # deleted since: the deletion is further on in the log
            token = self._tokens.issue(owner_id, change.position)
            entries.append(FeedEntry(change.kind, change.item_id, item, token))
        end = changes[-1].position if changes else after
        return SyncPage(entries, self._tokens.issue(owner_id, end), has_more)

    async def _state(self, owner_id: str, at: SyncPosition | None, limit: int) -> SyncPage:
        """The lists (by id), then the tasks (as created), as upserts, from where the page before
        stopped (`at`); then the token of the log's position when the first page was read."""
        items: list[Task | ListSummary] = []
        async with self._uow(owner_id) as uow:
            head = at.position if at is not None else await uow.changes.head()
            phase, after = (at.phase, at.after) if at is not None and at.phase else ("list", ())
            if phase == "list":
                lists = sorted((await _all_lists(uow)).values(), key=lambda summary: summary.list.id)
                items.extend([s for s in lists if not after or s.list.id > UUID(after[0])][: limit + 1])
                after = ()
            if len(items) <= limit:
                past = PagePosition(datetime.fromisoformat(after[0]), UUID(after[1])) if after else None
                wanted = TaskFilter(sort=_BY_CREATION, limit=limit + 1 - len(items), after=past)
                items.extend(await uow.tasks.find(wanted))
        has_more = len(items) > limit
        items = items[:limit]
        if has_more:
            last = items[-1]
            if isinstance(last, Task):
                next_token = self._tokens.issue(
                    owner_id, head, "task", (last.created_at.isoformat(), str(last.id))
                )
            else:
                next_token = self._tokens.issue(owner_id, head, "list", (str(last.list.id),))
        else:
            next_token = self._tokens.issue(owner_id, head)
        at_head = self._tokens.issue(owner_id, head)
        return SyncPage([_upsert(item, at_head) for item in items], next_token, has_more)


async def _all_lists(uow: UnitOfWork) -> dict[UUID, ListSummary]:
    """Every one of the owner's lists, archived or not, by id (an owner has at most MAX_LISTS)."""
    found: dict[UUID, ListSummary] = {}
    for archived in (False, True):
        found.update({summary.list.id: summary for summary in await uow.lists.summaries(archived=archived)})
    return found


def _upsert(item: Task | ListSummary, token: str) -> FeedEntry:
    if isinstance(item, Task):
        return FeedEntry("task", item.id, item, token)
    return FeedEntry("list", item.list.id, item, token)
