"""A readiness probe: can the database answer a trivial query in time?"""

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)


class DatabaseProbe:
    def __init__(self, engine: AsyncEngine, timeout: float = 2.0) -> None:
        self._engine = engine
        self._timeout = timeout

    async def is_ready(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                await self._select_one()
        except Exception:  # any failure means "not ready"; the log keeps the reason
            log.warning("database readiness check failed", exc_info=True)
            return False
        return True

    async def _select_one(self) -> None:
        """One try more when the pool handed out a connection that had died (a blip, a restart)."""
        for attempt in (1, 2):
            try:
                async with self._engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
                return
            except DBAPIError as error:
                if not error.connection_invalidated or attempt == 2:
                    raise
