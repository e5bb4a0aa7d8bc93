"""Page-50 cursors, asked of each running app: the service signs its cursors, so only it can make them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx

DEEP_PAGE = 50
PAGE_SIZE = 20
_CONCURRENCY = 8


async def deep_cursors(base_url: str, tokens: Mapping[str, str], page: int = DEEP_PAGE) -> dict[str, str]:
    """Each user's cursor to `page`, found by walking the pages before it over HTTP."""
    gate = asyncio.Semaphore(_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:

        async def walk(user: str) -> tuple[str, str]:
            headers = {"Authorization": f"Bearer {tokens[user]}"}
            cursor: str | None = None
            async with gate:
                for number in range(1, page):
                    params = {"limit": PAGE_SIZE} | ({"cursor": cursor} if cursor else {})
                    answer = await client.get("/api/v1/tasks", params=params, headers=headers)
                    answer.raise_for_status()
                    cursor = answer.json()["next_cursor"]
                    if cursor is None:
                        raise RuntimeError(
                            f"{base_url}: user {user} has no page {number + 1}; "
                            f"page {page} needs more than {(page - 1) * PAGE_SIZE} tasks per user"
                        )
            return user, cursor

        return dict(await asyncio.gather(*(walk(user) for user in tokens)))
