"""Every port: the interfaces the use cases depend on and the adapters implement, in one place, so
that whoever writes an adapter (or a fake for tests) finds here all there is to implement, and the
composition root (entrypoints/container.py) maps each of them to its adapter. The values they speak
of stay beside the use cases that make them (identity.py, idempotency.py, limits.py)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self
from uuid import UUID

from application.queries import Place, Sibling, TaskFilter
from application.summaries import ListSummary, TagCount, TaskStats
from domain.errors import OwnershipViolation
from domain.task import UNSET, Task, Unset
from domain.task_list import TaskList

if TYPE_CHECKING:  # the values the ports speak of; their modules import ports for Clock
    from application.idempotency import IdempotentCreation
    from application.identity import IssuedToken, Principal
    from application.limits import Rate
    from application.sync import Change
    from domain.user import User


class TaskRepository(ABC):
    """One owner's tasks. Built for a single owner; no method reaches another owner's rows.

    Each public method hands the owner to its abstract counterpart, so an adapter
    cannot forget the scope: the owner is an argument it has to use.
    """

    def __init__(self, owner_id: str) -> None:
        self.owner_id = owner_id

    async def add(self, task: Task) -> None:
        """Store a new task. It may be written only when the unit of work commits, so a clash
        with a stored one can surface there; reads in the same unit of work see it either way."""
        self._check_owner(task)
        await self._add(task)

    async def get(self, task_id: UUID, *, for_update: bool = False) -> Task | None:
        """The task, or None; `for_update` holds other writers off it until this unit of work ends."""
        return await self._get(self.owner_id, task_id, for_update)

    async def find(self, task_filter: TaskFilter) -> list[Task]:
        """The tasks the filter selects, in its sort order, after its position, at most `limit`."""
        return await self._find(self.owner_id, task_filter)

    async def count(self, task_filter: TaskFilter) -> int:
        """How many tasks the filter selects, whatever its position and limit."""
        return await self._count(self.owner_id, task_filter)

    async def update(self, task: Task, *, expected_version: int) -> bool:
        """Store the task if its stored version is still `expected_version`."""
        self._check_owner(task)
        return await self._update(self.owner_id, task, expected_version)

    async def delete(self, task_id: UUID, *, expected_version: int | None = None) -> bool:
        """Delete the task (only at `expected_version` when given); return whether it was."""
        return await self._delete(self.owner_id, task_id, expected_version)

    async def get_many(self, task_ids: Collection[UUID], *, for_update: bool = False) -> dict[UUID, Task]:
        """Those of the tasks that are the owner's, by id, read at once; ids that are not are left out."""
        wanted = frozenset(task_ids)
        return await self._get_many(self.owner_id, wanted, for_update) if wanted else {}

    async def delete_many(self, task_ids: Collection[UUID]) -> set[UUID]:
        """Delete those of the tasks that are the owner's, at once; return the ids that were."""
        wanted = frozenset(task_ids)
        return await self._delete_many(self.owner_id, wanted) if wanted else set()

    async def stats(self, now: datetime, *, list_id: UUID | Unset | None = UNSET) -> TaskStats:
        """Counts over the owner's tasks (those of one list, None: the Inbox, when `list_id` is
        given); overdue means due before `now` and not completed."""
        return await self._stats(self.owner_id, now, list_id)

    # --- Places: lists, subtasks and the manual order ---

    async def siblings(
        self, place: Place, *, after: Sibling | None = None, limit: int | None = None, last: bool = False
    ) -> list[Sibling]:
        """The positions of the tasks in `place`, in manual order (by position, then id), from
        just past `after` (None: from the first), at most `limit`; `last`: from the last one back."""
        return await self._siblings(self.owner_id, place, after, limit, last)

    async def ancestry(self, task_id: UUID) -> list[UUID]:
        """The task's parent, its parent's parent, ... up to its top-level task: [] for a top-level
        one (or one that is not the owner's)."""
        return await self._ancestry(self.owner_id, task_id)

    async def subtree(self, task_id: UUID) -> list[Task]:
        """Every task under this one (its subtasks, theirs, ...), parents before their children."""
        return await self._subtree(self.owner_id, task_id)

    async def complete_subtree(self, task_id: UUID, now: datetime) -> int:
        """Complete every open task under this one, at `now` (each a new version); how many."""
        return await self._complete_subtree(self.owner_id, task_id, now)

    async def move_subtree(self, task_id: UUID, list_id: UUID | None, now: datetime) -> int:
        """Put every task under this one in list `list_id` (each a new version); how many moved."""
        return await self._move_subtree(self.owner_id, task_id, list_id, now)

    async def tag_counts(self) -> list[TagCount]:
        """The owner's tags with how many tasks carry each, most used first, ties by name."""
        return await self._tag_counts(self.owner_id)

    def _check_owner(self, task: Task) -> None:
        if task.owner_id != self.owner_id:
            raise OwnershipViolation(f"task {task.id} does not belong to this repository's owner")

    @abstractmethod
    async def _add(self, task: Task) -> None: ...

    @abstractmethod
    async def _get(self, owner_id: str, task_id: UUID, for_update: bool) -> Task | None: ...

    @abstractmethod
    async def _find(self, owner_id: str, task_filter: TaskFilter) -> list[Task]: ...

    @abstractmethod
    async def _count(self, owner_id: str, task_filter: TaskFilter) -> int: ...

    @abstractmethod
    async def _update(self, owner_id: str, task: Task, expected_version: int) -> bool: ...

    @abstractmethod
    async def _delete(self, owner_id: str, task_id: UUID, expected_version: int | None) -> bool: ...

    @abstractmethod
    async def _get_many(
        self, owner_id: str, task_ids: frozenset[UUID], for_update: bool
    ) -> dict[UUID, Task]: ...

    @abstractmethod
    async def _delete_many(self, owner_id: str, task_ids: frozenset[UUID]) -> set[UUID]: ...

    @abstractmethod
    async def _stats(self, owner_id: str, now: datetime, list_id: UUID | Unset | None) -> TaskStats: ...

    @abstractmethod
    async def _siblings(
        self, owner_id: str, place: Place, after: Sibling | None, limit: int | None, last: bool
    ) -> list[Sibling]: ...

    @abstractmethod
    async def _ancestry(self, owner_id: str, task_id: UUID) -> list[UUID]: ...

    @abstractmethod
    async def _subtree(self, owner_id: str, task_id: UUID) -> list[Task]: ...

    @abstractmethod
    async def _complete_subtree(self, owner_id: str, task_id: UUID, now: datetime) -> int: ...

    @abstractmethod
    async def _move_subtree(
        self, owner_id: str, task_id: UUID, list_id: UUID | None, now: datetime
    ) -> int: ...

    @abstractmethod
    async def _tag_counts(self, owner_id: str) -> list[TagCount]: ...


class ListRepository(ABC):
    """One owner's task lists, built for a single owner like the tasks repository."""

    def __init__(self, owner_id: str) -> None:
        self.owner_id = owner_id

    async def add(self, task_list: TaskList) -> None:
        self._check_owner(task_list)
        await self._add(task_list)

    async def get(self, list_id: UUID, *, for_update: bool = False) -> TaskList | None:
        """The list, or None; `for_update` holds other writers off it (and off deleting it) until
        this unit of work ends."""
        return await self._get(self.owner_id, list_id, for_update)

    async def summary(self, list_id: UUID) -> ListSummary | None:
        """The list with its count of open tasks, or None."""
        return await self._summary(self.owner_id, list_id)

    async def summaries(self, *, archived: bool) -> list[ListSummary]:
        """The owner's archived (or not archived) lists with their counts of open tasks, in the
        owner's order (by position, then id)."""
        return await self._summaries(self.owner_id, archived)

    async def siblings(self) -> list[Sibling]:
        """Every one of the owner's lists' positions, in order (archived ones too)."""
        return await self._siblings(self.owner_id)

    async def count(self) -> int:
        return await self._count(self.owner_id)

    async def update(self, task_list: TaskList, *, expected_version: int) -> bool:
        self._check_owner(task_list)
        return await self._update(self.owner_id, task_list, expected_version)

    async def delete(self, list_id: UUID, *, expected_version: int | None = None) -> bool:
        """Delete the list and every task in it; whether it was."""
        return await self._delete(self.owner_id, list_id, expected_version)

    def _check_owner(self, task_list: TaskList) -> None:
        if task_list.owner_id != self.owner_id:
            raise OwnershipViolation(f"list {task_list.id} does not belong to this repository's owner")

    @abstractmethod
    async def _add(self, task_list: TaskList) -> None: ...

    @abstractmethod
    async def _get(self, owner_id: str, list_id: UUID, for_update: bool) -> TaskList | None: ...

    @abstractmethod
    async def _summary(self, owner_id: str, list_id: UUID) -> ListSummary | None: ...

    @abstractmethod
    async def _summaries(self, owner_id: str, archived: bool) -> list[ListSummary]: ...

    @abstractmethod
    async def _siblings(self, owner_id: str) -> list[Sibling]: ...

    @abstractmethod
    async def _count(self, owner_id: str) -> int: ...

    @abstractmethod
    async def _update(self, owner_id: str, task_list: TaskList, expected_version: int) -> bool: ...

    @abstractmethod
    async def _delete(self, owner_id: str, list_id: UUID, expected_version: int | None) -> bool: ...


class ChangeLog(ABC):
    """One owner's change log: each committed change to their tasks and lists, at a position in
    commit order (a change committed later is always further on). The adapters write it in the
    change's own transaction, as part of the repositories' writes; this only reads it."""

    def __init__(self, owner_id: str) -> None:
        self.owner_id = owner_id

    async def since(self, position: int, limit: int) -> list[Change]:
        """The owner's changes after `position`, in order, at most `limit`."""
        return await self._since(self.owner_id, position, limit)

    async def head(self) -> int:
        """The position of the owner's last change (0: none yet)."""
        return await self._head(self.owner_id)

    async def listen(self, until: datetime) -> None:
        """Say that a live stream waits for this owner's changes until `until`: other processes
        are told of them as they commit (where the database can tell them). Once this has committed,
        each change of the owner's had committed before it, or is told as it commits: a read of the
        log begun after this misses none that is not told."""
        await self._listen(self.owner_id, until)

    @abstractmethod
    async def _since(self, owner_id: str, position: int, limit: int) -> list[Change]: ...

    @abstractmethod
    async def _head(self, owner_id: str) -> int: ...

    @abstractmethod
    async def _listen(self, owner_id: str, until: datetime) -> None: ...


class AbstractUnitOfWork(ABC):
    """One transaction. Rolls back unless the use case commits."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._end(exc)

    async def _end(self, exc: BaseException | None) -> None:
        """Leave the transaction, `exc` having ended the block (None: it ran to its end)."""
        await self.rollback()

    @abstractmethod
    async def commit(self) -> None: ...

    @abstractmethod
    async def rollback(self) -> None: ...


class UnitOfWork(AbstractUnitOfWork):
    """One transaction for one owner, whose repositories reach only that owner's rows."""

    owner_id: str
    tasks: TaskRepository
    lists: ListRepository
    idempotency_keys: IdempotencyKeys
    changes: ChangeLog

    @abstractmethod
    async def hold(self, topic: str) -> None:
        """Until this unit of work ends, hold off any other of this owner's units of work that
        holds the same `topic`: for a decision over many rows that no row lock covers (how many
        lists there are; that no tree of tasks gets a cycle or grows too deep)."""


class UnitOfWorkFactory(Protocol):
    """Opens a unit of work whose repositories are scoped to `owner_id`."""

    def __call__(self, owner_id: str) -> UnitOfWork: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> UUID: ...


class IdempotencyKeys(ABC):
    """One owner's idempotency keys. Built for a single owner, like the tasks repository."""

    def __init__(self, owner_id: str) -> None:
        self.owner_id = owner_id

    async def claim(self, creation: IdempotentCreation) -> IdempotentCreation | None:
        """Take the key for this creation, atomically: None when it is now ours (the caller goes on
        to create the task in the same unit of work), else the live creation that holds it.

        A key whose creation has expired (at `creation.created_at`) is taken over. When another
        unit of work holds the key uncommitted, this waits for it to end, as a database does.
        """
        if creation.task.owner_id != self.owner_id:
            raise OwnershipViolation(f"task {creation.task.id} does not belong to this repository's owner")
        return await self._claim(self.owner_id, creation)

    @abstractmethod
    async def _claim(self, owner_id: str, creation: IdempotentCreation) -> IdempotentCreation | None: ...


class UserRepository(ABC):
    @abstractmethod
    async def add(self, user: User) -> bool:
        """Store a new account; False if its email (in any case) is taken already.

        After False from a race lost to a concurrent registration, abandon the unit of work.
        """

    @abstractmethod
    async def get(self, user_id: str) -> User | None: ...

    @abstractmethod
    async def get_by_email(self, email: str) -> User | None:
        """The account with this email, compared without regard to case."""

    @abstractmethod
    async def replace_password_hash(self, user_id: UUID, password_hash: str) -> None:
        """Store a new hash of the same password (made with today's parameters)."""


class AccountsUnitOfWork(AbstractUnitOfWork):
    """One transaction over the accounts, which belong to nobody until they exist."""

    users: UserRepository


class AccountsUnitOfWorkFactory(Protocol):
    def __call__(self) -> AccountsUnitOfWork: ...


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> Principal:
        """The principal a token speaks for, or InvalidToken."""
        ...


class TokenIssuer(Protocol):
    def issue(self, subject: str) -> IssuedToken: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify_and_update(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """Whether the password matches (with no hash: spend the same time and answer False), and
        when it does and the hash was made with older parameters, a new hash to store instead."""
        ...


class RateLimiter(Protocol):
    async def hit(self, key: str, rate: Rate, now: datetime) -> float | None:
        """Count one hit on `key` at `now`: None when it is within `rate`, otherwise how many seconds
        until one would be (a refused hit is not counted)."""
        ...


class ExpiredRecords(Protocol):
    async def purge_idempotency_keys(self, now: datetime, limit: int) -> int:
        """Delete at most `limit` idempotency keys of any owner that expired by `now`; how many."""
        ...

    async def purge_rate_limits(self, now: datetime, limit: int) -> int:
        """Delete at most `limit` rate-limit counts fully regained by `now`; how many."""
        ...

    async def purge_changes(self, before: datetime, limit: int) -> int:
        """Delete at most `limit` change-log entries of any owner made before `before`; how many."""
        ...
