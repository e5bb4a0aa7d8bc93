"""Create a task at most once per client-chosen key: a retry gets the first answer."""

from datetime import timedelta

from application.errors import IdempotencyKeyReused
from application.idempotency import IdempotentCreation, request_hash
from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.retry import retry_transient
from application.tasks.changes import TaskWriter
from application.tasks.placing import STAY, Destination, place_of_new
from domain.errors import DomainError
from domain.task import Task, TaskDraft


class CreateTaskOnce(TaskWriter):
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, ttl: timedelta) -> None:
        super().__init__(uow, clock, ids)
        self._ttl = ttl

    @retry_transient
    async def __call__(
        self, owner_id: str, draft: TaskDraft, key: str, destination: Destination = STAY
    ) -> Task:
        """The task this key made: made now when the key is new (or expired), else the one made
        the first time, as it was then. The same key with another request is refused."""
        now = self._clock.now()
        hashed = request_hash(draft, destination.names)
        async with self._uow(owner_id) as uow:
            # The place is worked out first, so the creation the key keeps is the task as made; a
            # place that cannot be had is said only if the key turns out to be new (a retry gets
            # the first answer, whatever happened to the list or parent since).
            list_id = parent_id = None
            refused: DomainError | None = None
            if destination.asks:
                try:
                    list_id, parent_id = await place_of_new(uow, destination)
                except DomainError as error:
                    refused = error
            task = Task.create(
                id=self._ids.new_id(),
                owner_id=owner_id,
                draft=draft,
                now=now,
                list_id=list_id,
                parent_id=parent_id,
            )
            creation = IdempotentCreation(
                key=key, request_hash=hashed, task=task, created_at=now, expires_at=now + self._ttl
            )
            # The key is claimed before the task is written, in the same transaction: whoever
            # claims it first creates the task; everyone else waits for that and reads its answer.
            first = await uow.idempotency_keys.claim(creation)
            if first is None:
                if refused is not None:
                    raise refused  # the unit of work rolls back: the key stays free
                await uow.tasks.add(task)
                await uow.commit()
                return task
        if first.request_hash != creation.request_hash:
            raise IdempotencyKeyReused(key)
        return first.task
