"""A readiness probe: can the database answer in time, with the schema this code needs?"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Literal

from adapters.sqlmodel.database import Database
from adapters.sqlmodel.schema import schema_state

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Readiness:
    database: Literal["ok", "failing"]
    schema: Literal["ok", "behind", "unknown"]

    @property
    def ready(self) -> bool:
        return self.database == "ok" and self.schema == "ok"

    @property
    def detail(self) -> str:
        if self.database != "ok":
            return "The database is not answering."
        if self.schema != "ok":
            return "The database schema is older than this release needs; run `tasks migrate`."
        return "Ready."


class DatabaseProbe:
    def __init__(self, database: Database[Any], timeout: float = 2.0) -> None:
        self._database = database
        self._timeout = timeout

    async def check(self) -> Readiness:
        try:
            async with asyncio.timeout(self._timeout):
                state = await schema_state(self._database)
        except Exception:  # any failure means "not ready"; the log keeps the reason
            log.warning("database readiness check failed", exc_info=True)
            return Readiness(database="failing", schema="unknown")
        if state.problem is not None:
            log.warning("not ready: %s", state.problem)
            return Readiness(database="ok", schema="behind")
        return Readiness(database="ok", schema="ok")
