"""Delete one of the owner's tasks."""

from collections.abc import Collection
from uuid import UUID

from application.ports import UnitOfWorkFactory
from application.retry import retry_transient
from domain.errors import TaskNotFound, VersionMismatch


class DeleteTask:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    @retry_transient
    async def __call__(
        self, owner_id: str, task_id: UUID, *, if_match: Collection[int] | None = None
    ) -> None:
        """Delete the task; with `if_match`, only if its version is one of those."""
        async with self._uow(owner_id) as uow:
            expected = None
            if if_match is not None:
                task = await uow.tasks.get(task_id, for_update=True)
                if task is None:
                    raise TaskNotFound(task_id)
                if task.version not in if_match:
                    raise VersionMismatch(task_id)
                expected = task.version
            if not await uow.tasks.delete(task_id, expected_version=expected):
                # Without a precondition nothing was there; with one, it changed under us.
                raise TaskNotFound(task_id) if expected is None else VersionMismatch(task_id)
            await uow.commit()
