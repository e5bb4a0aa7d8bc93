"""Run a use case again, whole, when its transaction was rolled back by a transient conflict."""

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, TypeVar

from application.errors import TransientConflict

TRANSIENT_ATTEMPTS = 3
_BACKOFF_SECONDS = 0.02

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


def retry_transient(
    run: Callable[Concatenate[S, P], Awaitable[R]],
) -> Callable[Concatenate[S, P], Awaitable[R]]:
    """Wrap a use case's `__call__`: a serialization failure or deadlock (the database rolled the
    transaction back, so nothing was kept) runs the whole use case again, a bounded number of times."""

    @functools.wraps(run)
    async def retrying(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, TRANSIENT_ATTEMPTS + 1):
            try:
                return await run(self, *args, **kwargs)
            except TransientConflict:
                if attempt == TRANSIENT_ATTEMPTS:
                    raise
                await asyncio.sleep(random.uniform(0, _BACKOFF_SECONDS * attempt))  # noqa: S311
        raise AssertionError("unreachable")

    return retrying
