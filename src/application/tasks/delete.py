"""Delete one of the owner's tasks."""

from uuid import UUID

from application.ports import UnitOfWorkFactory
from domain.errors import TaskNotFound, VersionMismatch


class DeleteTask:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, owner_id: str, task_id: UUID, *, if_match: int | None = None) -> None:
        async with self._uow(owner_id) as uow:
            if await uow.tasks.delete(task_id, expected_version=if_match):
                await uow.commit()
                return
            # Only the failure path pays for telling "gone" from "changed".
            if if_match is not None and await uow.tasks.get(task_id) is not None:
                raise VersionMismatch(task_id)
        raise TaskNotFound(task_id)
