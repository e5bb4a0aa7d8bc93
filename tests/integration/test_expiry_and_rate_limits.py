"""Rate-limit counts and the purge of expired rows, on SQLite, PostgreSQL and PgBouncer: one count
however many processes hit it at once, and only what has expired is ever purged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, select

from adapters.memory.rate_limits import InMemoryRateLimiter
from adapters.sqlmodel.database import Database
from adapters.sqlmodel.maintenance import SqlExpiredRecords
from adapters.sqlmodel.rate_limits import SqlRateLimiter
from adapters.sqlmodel.setup import create_database
from adapters.sqlmodel.statements import Statement
from adapters.sqlmodel.tables import rate_limits_table
from adapters.sqlmodel.unit_of_work import SqlUnitOfWork, UnscopedWork
from application.idempotency import IdempotentCreation, request_hash
from application.limits import Rate
from application.maintenance import PurgeExpired
from application.ports import RateLimiter
from tests.conftest import BACKENDS
from tests.support.builders import a_task, draft_of, new_owner
from tests.support.databases import Backend, backend
from tests.unit.fakes import FakeClock

NOW = datetime.now().astimezone()
_COUNT = Statement(select(rate_limits_table.c.key).where(rate_limits_table.c.key == bindparam("wanted")))


@pytest.fixture(params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> Backend:
    return backend(request, request.param)


@pytest.fixture
async def database(database_backend: Backend) -> AsyncIterator[Database[Any]]:
    database = create_database(database_backend.url, pooler=database_backend.pooler)
    yield database
    await database.close()


def _key() -> str:
    return new_owner().replace("-", "").ljust(64, "0")[:64]  # unique, and as long as a SHA-256


@pytest.mark.parametrize("limiter_kind", ["memory", "sql"])
async def test_the_sql_counts_are_the_in_memory_ones(database: Database[Any], limiter_kind: str) -> None:
    limiter: RateLimiter = InMemoryRateLimiter() if limiter_kind == "memory" else SqlRateLimiter(database)
    clock, rate, key = FakeClock(NOW), Rate(3, 60), _key()

    burst = [await limiter.hit(key, rate, clock.now()) for _ in range(4)]
    clock.advance(19.5)
    still_early = await limiter.hit(key, rate, clock.now())
    clock.advance(0.5)
    regained = await limiter.hit(key, rate, clock.now())

    assert burst[:3] == [None, None, None]
    assert burst[3] == pytest.approx(20.0)
    assert still_early == pytest.approx(0.5)
    assert regained is None
    assert await limiter.hit(key, rate, clock.now()) == pytest.approx(20.0)


async def test_hits_from_several_processes_at_once_share_one_count(database_backend: Backend) -> None:
    """Four databases stand for four workers or replicas, each with its own connections."""
    workers = [create_database(database_backend.url, pooler=database_backend.pooler) for _ in range(4)]
    try:
        key, rate = _key(), Rate(5, 3600)
        hits = [SqlRateLimiter(workers[i % 4]).hit(key, rate, NOW) for i in range(24)]
        answers = await asyncio.gather(*hits)
    finally:
        for worker in workers:
            await worker.close()

    assert sum(answer is None for answer in answers) == 5


async def _keep_key(database: Database[Any], owner: str, key: str, expires_at: datetime) -> None:
    task = a_task(owner)
    creation = IdempotentCreation(
        key=key,
        request_hash=request_hash(draft_of(task)),
        task=task,
        created_at=expires_at - timedelta(days=1),
        expires_at=expires_at,
    )
    async with SqlUnitOfWork(owner, database=database) as uow:
        assert await uow.idempotency_keys.claim(creation) is None
        await uow.tasks.add(task)
        await uow.commit()


async def _has_key(database: Database[Any], owner: str, key: str, at: datetime) -> bool:
    """Whether the key still answers a retry: a claim made at `at` would get the stored one back."""
    probe = IdempotentCreation(
        key=key, request_hash="0" * 64, task=a_task(owner), created_at=at, expires_at=at + timedelta(days=1)
    )
    async with SqlUnitOfWork(owner, database=database) as uow:
        return await uow.idempotency_keys.claim(probe) is not None  # not committed: a look only


async def test_the_purge_deletes_every_owners_expired_keys_and_spent_counts_and_nothing_else(
    database: Database[Any],
) -> None:
    alice, bob = new_owner(), new_owner()
    await _keep_key(database, alice, "expired", NOW - timedelta(seconds=1))
    await _keep_key(database, bob, "expired", NOW - timedelta(hours=2))
    await _keep_key(database, alice, "live", NOW + timedelta(hours=1))
    limiter, spent, counting = SqlRateLimiter(database), _key(), _key()
    await limiter.hit(spent, Rate(10, 60), NOW - timedelta(seconds=7))  # regained 6 s after
    await limiter.hit(counting, Rate(10, 60), NOW - timedelta(seconds=5))  # regained 1 s from now

    purged = await PurgeExpired(SqlExpiredRecords(database), FakeClock(NOW), batch=1)()

    assert purged.idempotency_keys >= 2  # other tests' expired keys may go with them
    assert purged.rate_limits >= 1
    later = NOW - timedelta(hours=3)  # a time at which every key made here would still be live
    assert not await _has_key(database, alice, "expired", later)
    assert not await _has_key(database, bob, "expired", later)
    assert await _has_key(database, alice, "live", later)
    assert not await _counted(database, spent)
    assert await _counted(database, counting)


async def _counted(database: Database[Any], key: str) -> bool:
    async with UnscopedWork(database=database) as work:
        return await work.transaction.fetch_one(_COUNT, {"wanted": key}) is not None


async def test_the_purge_deletes_changes_a_day_past_their_retention_and_keeps_the_positions_counting(
    database: Database[Any],
) -> None:
    owner = new_owner()
    for _ in range(2):
        async with SqlUnitOfWork(owner, database=database) as uow:
            await uow.tasks.add(a_task(owner))
            await uow.commit()
    now = datetime.now(UTC)

    def purge_at(moment: datetime) -> PurgeExpired:
        return PurgeExpired(
            SqlExpiredRecords(database), FakeClock(moment), change_retention=timedelta(days=30)
        )

    await purge_at(now + timedelta(days=30, hours=23))()  # within the retention and its day of grace
    async with SqlUnitOfWork(owner, database=database) as uow:
        kept = await uow.changes.since(0, 10)
    purged = await purge_at(now + timedelta(days=31, minutes=1))()
    async with SqlUnitOfWork(owner, database=database) as uow:
        left = await uow.changes.since(0, 10)
        await uow.tasks.add(a_task(owner))
        await uow.commit()
    async with SqlUnitOfWork(owner, database=database) as uow:
        after = await uow.changes.since(0, 10)

    assert [change.position for change in kept] == [1, 2]
    # SQLite keeps each owner's last change, however old: their next position counts from it.
    assert left == ([] if database.name == "postgresql" else kept[1:])
    assert purged.changes >= (2 if database.name == "postgresql" else 1)
    assert [change.position for change in after] == ([3] if database.name == "postgresql" else [2, 3])
