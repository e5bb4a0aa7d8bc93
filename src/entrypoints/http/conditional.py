"""ETags and If-Match for task answers, shared by the v1 and the compatibility routes."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Protocol
from uuid import UUID

from fastapi import Depends, Header, HTTPException, Response
from pydantic import BaseModel

from domain.task import Task
from entrypoints.http.auth import Owner
from entrypoints.http.schemas import TaskPublic

TaskId = Annotated[UUID, "the task's id"]
ListId = Annotated[UUID, "the list's id"]
CONDITIONAL = (
    'Send `If-Match: "<version>"` (the ETag of the task you last saw) to act only if nobody '
    "changed the task since: otherwise the answer is 412 and nothing changes."
)
IfMatch = Annotated[
    str,
    # A standard conditional header, described on each operation rather than listed as a parameter.
    Header(include_in_schema=False),
]
_ENTITY_TAG = re.compile(r'^(W/)?"[\x21\x23-\x7e\x80-\xff]*"$')  # RFC 9110 entity-tag
_STRONG_ETAG = re.compile(r'^"(0|[1-9]\d{0,8})"$')  # exactly as etag() writes it, so "01" is no match


class Versioned(Protocol):
    version: int


def etag(item: Versioned) -> str:
    """A task's or a list's entity tag: its version."""
    return f'"{item.version}"'


def accepted_versions(if_match: str) -> frozenset[int] | None:
    """`None` for no precondition (`*`), else the versions the listed strong ETags name (RFC 9110).

    Weak or foreign ETags match no version of a task, so they are simply left out of the set. A
    header that is not `*` or a list of entity tags (an unquoted `1`) is a 400: answering 412
    would claim the task changed.
    """
    entries = [entry.strip() for entry in if_match.split(",")]
    if "*" in entries:
        return None
    if not all(_ENTITY_TAG.match(entry) for entry in entries if entry):
        raise HTTPException(400, 'If-Match must be * or a list of entity tags in quotes, e.g. If-Match: "3".')
    return frozenset(int(match.group(1)) for entry in entries if (match := _STRONG_ETAG.match(entry)))


@dataclass(frozen=True, slots=True)
class NamedTask:
    """What a request to `/{task_id}` (or `/lists/{list_id}`) names: the caller, the task (or list),
    and the versions of it that its If-Match accepts (None: any)."""

    owner: str
    task_id: UUID
    versions: frozenset[int] | None

    @property
    def list_id(self) -> UUID:
        return self.task_id


async def _named_task(task_id: TaskId, owner: Owner, if_match: IfMatch = "*") -> NamedTask:
    return NamedTask(owner, task_id, accepted_versions(if_match))


async def _named_list(list_id: ListId, owner: Owner, if_match: IfMatch = "*") -> NamedTask:
    return NamedTask(owner, list_id, accepted_versions(if_match))


Named = Annotated[NamedTask, Depends(_named_task)]
NamedList = Annotated[NamedTask, Depends(_named_list)]


def answer(
    task: Task,
    *,
    status_code: int = 200,
    location: str | None = None,
    shown: Callable[[Task], BaseModel] = TaskPublic.of,
) -> Response:
    """The task's public shape (`shown`) with its ETag (and where it lives, for a creation).

    The route's response_model still documents the shape; answering a Response spares FastAPI
    validating the model it was just given once more before serialising it.
    """
    headers = {"ETag": etag(task)}
    if location is not None:
        headers["Location"] = location
    return json_answer(shown(task), status_code=status_code, headers=headers)


def json_answer(
    model: BaseModel, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A model as JSON, serialised once, by pydantic."""
    return Response(model.model_dump_json(), status_code, headers, media_type="application/json")
