"""Route dependencies taken from the app's own container, on each request."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request

from entrypoints.container import Container


def provided(pick: Callable[[Container], Any]) -> Callable[[Request], Awaitable[Any]]:
    """A FastAPI dependency that calls the provider `pick` chooses on this app's container.

    The container lives in `app.state`, not in module-level wiring, so two apps in one process
    never answer from each other's container, and an override on it applies at once. The
    dependency is a coroutine: FastAPI runs a plain `def` dependency in its thread pool, a hand-off
    to another thread and back on every request.
    """

    async def dependency(request: Request) -> Any:
        container: Container = request.app.state.container
        return pick(container)()

    return dependency
