"""A readiness probe: can the database answer a trivial query in time?"""

import asyncio
import logging
from typing import Any

from adapters.sqlmodel.database import Database

log = logging.getLogger(__name__)


class DatabaseProbe:
    def __init__(self, database: Database[Any], timeout: float = 2.0) -> None:
        self._database = database
        self._timeout = timeout

    async def is_ready(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                await self._database.ping()
        except Exception:  # any failure means "not ready"; the log keeps the reason
            log.warning("database readiness check failed", exc_info=True)
            return False
        return True
