"""Errors the domain raises when a rule would be broken."""

from collections.abc import Iterable
from uuid import UUID


class DomainError(Exception):
    """Base of every error the domain and the use cases raise on purpose."""


class InvalidField(DomainError):
    """A value would break one of an entity's invariants."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidTask(InvalidField):
    """A value would break one of the task's invariants."""


class InvalidUser(InvalidField):
    """A value would break one of the account's invariants."""


class InvalidSelection(InvalidField):
    """A request picks its tasks in a way no request may (too many at once, say)."""


class EmailTaken(DomainError):
    """Another account already has this email address, in whatever case."""


class InvalidCredentials(DomainError):
    """The email is unknown or the password is wrong; which one is never said."""


class TaskNotFound(DomainError):
    """No such task for this owner (whether it exists for another owner is not said)."""


class TasksNotFound(TaskNotFound):
    """Some of the tasks a request names are not this owner's; `task_ids` lists which."""

    def __init__(self, task_ids: Iterable[UUID]) -> None:
        self.task_ids = tuple(task_ids)
        super().__init__(*self.task_ids)


class VersionMismatch(DomainError):
    """The task changed since the version the caller based its change on."""


class OwnershipViolation(DomainError):
    """Code tried to store one owner's task through another owner's repository."""


class InvalidList(InvalidField):
    """A value would break one of the task list's invariants."""


class InvalidPlacement(InvalidField):
    """A task cannot go where it was asked to (a cycle, too deep, a parent in another list)."""


class ListNotFound(DomainError):
    """No such list for this owner (whether it exists for another owner is not said)."""


class TooManyLists(DomainError):
    """The owner has as many lists as anyone may."""


class ListVersionMismatch(VersionMismatch):
    """The list changed since the version the caller based its change on."""
