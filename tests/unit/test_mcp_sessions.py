"""The SDK's session manager behind /mcp, as the endpoint runs it: in a task of its own, started by
the first request, forgotten when it fails (so the next request starts another), and never left
running by a first request that was cancelled while it started."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from entrypoints.container import Container
from entrypoints.mcp.http import McpEndpoint, _running


class Manager:
    """Stands in for StreamableHTTPSessionManager: `run` opens a task group, as the SDK's does."""

    def __init__(self, *, fail_after: float | None = None, start_after: float = 0.0) -> None:
        self.fail_after = fail_after
        self.start_after = start_after
        self.running = False

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        await anyio.sleep(self.start_after)
        async with anyio.create_task_group() as group:
            if self.fail_after is not None:
                group.start_soon(self._fail)
            self.running = True
            try:
                yield
            finally:
                self.running = False

    async def _fail(self) -> None:
        assert self.fail_after is not None
        await anyio.sleep(self.fail_after)
        raise RuntimeError("the task group failed")


async def until(condition: Any, within: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_manager_that_fails_is_logged_and_forgotten_so_the_next_request_starts_another(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = McpEndpoint(container, None, "test")
    manager = Manager(fail_after=0.01)
    endpoint._stop = await _running(manager, endpoint._ended)  # type: ignore[arg-type]
    endpoint._app = object()  # type: ignore[assignment]

    with caplog.at_level(logging.ERROR, logger="tasks.mcp"):
        await until(lambda: endpoint._app is None)

    assert endpoint._stop is None
    assert not manager.running
    assert "the next request starts it again" in caplog.text
    await endpoint.close()  # nothing left to stop, and no error


async def test_closing_stops_a_running_manager_quietly(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = McpEndpoint(container, None, "test")
    manager = Manager()
    endpoint._stop = await _running(manager, endpoint._ended)  # type: ignore[arg-type]
    endpoint._app = object()  # type: ignore[assignment]
    assert manager.running

    with caplog.at_level(logging.ERROR, logger="tasks.mcp"):
        await endpoint.close()

    assert not manager.running
    assert endpoint._app is None
    assert caplog.text == ""


async def test_a_first_request_cancelled_while_the_manager_starts_leaves_nothing_running() -> None:
    manager = Manager(start_after=0.2)
    before = asyncio.all_tasks()
    starting = asyncio.create_task(_running(manager, lambda _: None))  # type: ignore[arg-type]
    await asyncio.sleep(0.05)

    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
    await asyncio.sleep(0.3)  # past when it would have started

    assert not manager.running
    assert asyncio.all_tasks() - before == set()
