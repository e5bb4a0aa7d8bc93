"""Routes for keeping clients in step: GET /api/v1/sync (the change feed), GET /api/v1/events (the
same changes, live, as Server-Sent Events) and POST /api/v1/events/ticket (to open one from a
browser's EventSource, which cannot send an Authorization header)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from application.errors import InfrastructureError
from application.events import EventTickets
from application.sync import SyncChanges
from entrypoints.http.auth import Owner, current_owner
from entrypoints.http.conditional import json_answer
from entrypoints.http.dependencies import provided
from entrypoints.http.middleware import HEAD
from entrypoints.http.problems import problem_responses
from entrypoints.http.query import query_model
from entrypoints.http.schemas import SYNC_TOKEN_MAX_LENGTH, ChangePublic, SyncPublic, SyncQuery, TicketPublic
from entrypoints.live import LiveStreams, Stream
from entrypoints.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["sync"], responses=problem_responses(401, 422, 500, 503))
Syncing = Annotated[SyncChanges, Depends(provided(SyncChanges))]
Ticketing = Annotated[EventTickets, Depends(provided(EventTickets))]
Streams = Annotated[LiveStreams, Depends(provided(LiveStreams))]
# How long a stream says it listens for (PostgreSQL's notifications), renewed at half of it.
LISTEN_SECONDS = 60.0
EVENTS_PAGE = 100
_STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}

SYNC_DESCRIPTION = """What changed in your tasks and lists since `since` (the `next` of your last
page), in the order it was committed: each item once per page, as it is now (`upsert`) or as a
tombstone (`delete`, `item` null). Without `since`: your whole state, as upserts, paged the same
way. Go on with `next` while `has_more`; keep the last `next` for later. A token older than the
change log keeps (30 days by default) answers 410: sync from scratch, without `since`."""

EVENTS_DESCRIPTION = """Your changes as they are committed, as Server-Sent Events: an event `change`
per item, its data what a change of `GET /api/v1/sync` is, its `id` a sync token. A reconnect with
`Last-Event-ID` (EventSource does it by itself) or `since` resumes just after that event, with no
gap and no duplicate; without either, the stream starts at now (a first event `ready` carries the
token of that point). Idle streams get a comment every 15 s. Authenticate with the Authorization
header, or with `ticket` (from `POST /api/v1/events/ticket`) where no header can be sent. At most 5
streams per user at once (429 beyond)."""


@router.get(
    "/api/v1/sync", response_model=SyncPublic, responses=problem_responses(410), description=SYNC_DESCRIPTION
)
async def sync(
    owner: Owner, changes: Syncing, query: Annotated[SyncQuery, Depends(query_model(SyncQuery))]
) -> Response:
    page = await changes(owner, query.since, query.limit)
    body = SyncPublic(
        changes=[ChangePublic.of(entry) for entry in page.entries], next=page.next, has_more=page.has_more
    )
    return json_answer(body, headers={"Cache-Control": "no-store"})


@router.post("/api/v1/events/ticket", response_model=TicketPublic, status_code=201)
async def events_ticket(owner: Owner, tickets: Ticketing) -> Response:
    """A ticket to open your live stream with, where no Authorization header can be sent: good
    once, for 30 s. It names you to the service, so treat it as you would your token."""
    issued = tickets.issue(owner)
    body = TicketPublic(ticket=issued.ticket, expires_in=issued.expires_in)
    return json_answer(body, status_code=201, headers={"Cache-Control": "no-store"})


@router.get(
    "/api/v1/events",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The stream."},
        **problem_responses(410, 429),
    },
    description=EVENTS_DESCRIPTION,
)
async def events(
    request: Request,
    changes: Syncing,
    tickets: Ticketing,
    streams: Streams,
    ticket: Annotated[str | None, Query(max_length=SYNC_TOKEN_MAX_LENGTH)] = None,
    since: Annotated[str | None, Query(max_length=SYNC_TOKEN_MAX_LENGTH)] = None,
    last_event_id: Annotated[str | None, Header(max_length=SYNC_TOKEN_MAX_LENGTH)] = None,
) -> Response:
    owner = await tickets.redeem(ticket) if ticket is not None else await current_owner(request)
    token = last_event_id or since
    if token is not None:
        changes.read(owner, token)  # refused now (422, 410), before the stream starts
    settings: Settings = request.app.state.container.settings()
    if request.scope.get(HEAD):  # the headers a GET would answer with, and no stream that never ends
        return Response(media_type="text/event-stream", headers=_STREAM_HEADERS)
    stream = streams.open(owner)  # 429 beyond the limit; closed when the stream ends
    try:
        start = token or await changes.head(owner)
    except BaseException:
        stream.close()
        raise
    return _StreamResponse(
        stream,
        _changes(changes, stream, start, announce=token is None, poll_seconds=settings.events_poll_seconds),
        ping=settings.events_heartbeat_seconds,
        send_timeout=settings.events_send_timeout_seconds,
        headers=_STREAM_HEADERS,
    )


class _StreamResponse(EventSourceResponse):
    """Gives the stream's place back however the answer ends: a client gone, a send that timed out,
    shutdown, or an end before the events were first asked for (where a `finally` in the generator
    would never run)."""

    def __init__(self, stream: Stream, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._stream.close()


async def _changes(
    changes: SyncChanges, stream: Stream, token: str, *, announce: bool, poll_seconds: float
) -> AsyncIterator[ServerSentEvent]:
    """Each change after `token`, read from the feed: nothing is queued for a slow reader (the next
    page is read only once the last event was sent), and a change is never lost (the feed is read
    again whenever the owner's items changed, or `poll_seconds` passed)."""
    owner, loop = stream.owner_id, asyncio.get_running_loop()
    listening_until = 0.0
    if announce:
        yield ServerSentEvent(data="{}", event="ready", id=token)
    await stream.ready()
    while True:
        try:
            if loop.time() >= listening_until - LISTEN_SECONDS / 2:
                await changes.listen(owner, LISTEN_SECONDS)  # before reading: none falls between
                listening_until = loop.time() + LISTEN_SECONDS
            page = await changes(owner, token, EVENTS_PAGE)
        except InfrastructureError as error:  # the database is away for now: try again later
            log.warning("a live stream could not read the feed: %s", type(error).__name__)
            await stream.wait(poll_seconds)
            continue
        for entry in page.entries:
            data = ChangePublic.of(entry).model_dump_json()
            yield ServerSentEvent(data=data, event="change", id=entry.token)
        token = page.next
        if not page.has_more:
            await stream.wait(poll_seconds)
