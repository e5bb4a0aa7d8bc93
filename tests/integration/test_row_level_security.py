"""Row-level security, the second wall: as an ordinary role, even unscoped SQL sees one owner's rows."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlmodel.database import Database
from adapters.sqlmodel.engine import create_engine
from adapters.sqlmodel.maintenance import SqlExpiredRecords
from adapters.sqlmodel.setup import PoolOptions, create_database
from adapters.sqlmodel.unit_of_work import SqlUnitOfWork, UnscopedWork
from application.idempotency import IdempotentCreation, request_hash
from application.maintenance import PurgeExpired
from application.queries import TaskFilter
from domain.task import Task
from domain.task_list import TaskList
from entrypoints.http.app import create_app
from tests.support.app import auth, running, test_settings
from tests.support.builders import T0, a_task, draft_of, new_owner
from tests.support.databases import off_loop
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.postgres

# The service's tables, as an installation grants them to the service's role.
_TABLES = "tasks, lists, users, idempotency_keys, rate_limits, changes, change_counters"


async def _as_admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def app_role_url(postgres_url: str) -> Iterator[str]:
    """The migrated test database, reached as a role that neither owns the tables nor bypasses RLS."""
    role = f"tasks_app_{uuid.uuid4().hex[:8]}"
    database = make_url(postgres_url).database
    off_loop(
        asyncio.run,
        _as_admin(
            postgres_url,
            f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS",
            f'GRANT CONNECT ON DATABASE "{database}" TO {role}',
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {_TABLES} TO {role}",
        ),
    )
    yield make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
    off_loop(
        asyncio.run,
        _as_admin(postgres_url, f"DROP OWNED BY {role}", f"DROP ROLE {role}"),
    )


@pytest.fixture
async def engine(app_role_url: str) -> AsyncIterator[AsyncEngine]:
    """A plain connection as the ordinary role, outside any unit of work."""
    engine = create_engine(app_role_url, PoolOptions(null_pool=True))
    yield engine
    await engine.dispose()


@pytest.fixture
async def database(app_role_url: str) -> AsyncIterator[Database[Any]]:
    """The service's own database adapter, connected as the ordinary role."""
    database = create_database(app_role_url, PoolOptions(null_pool=True))
    yield database
    await database.close()


async def _stored(database: Database[Any], *tasks: Task) -> None:
    for task in tasks:
        async with SqlUnitOfWork(task.owner_id, database=database) as uow:
            await uow.tasks.add(task)
            await uow.commit()


async def test_an_unscoped_select_in_one_owners_transaction_sees_only_that_owners_rows(
    database: Database[Any],
) -> None:
    alice, bob = new_owner(), new_owner()
    await _stored(database, a_task(alice), a_task(alice), a_task(bob))

    async with SqlUnitOfWork(alice, database=database) as uow:
        # Deliberately no owner filter: only the policy stands between alice and bob's row.
        owners = [
            row["user_id"] for row in await uow._transaction.connection.fetch("SELECT user_id FROM tasks")
        ]

    assert owners == [alice, alice]


async def test_an_unscoped_update_in_one_owners_transaction_touches_none_of_another_owners_rows(
    database: Database[Any],
) -> None:
    alice, bob = new_owner(), new_owner()
    bobs = a_task(bob, title="bob's own")
    await _stored(database, a_task(alice), bobs)

    async with SqlUnitOfWork(alice, database=database) as uow:
        status = await uow._transaction.connection.execute("UPDATE tasks SET title = 'hijacked'")
        await uow.commit()

    assert status == "UPDATE 1"
    async with SqlUnitOfWork(bob, database=database) as uow:
        assert (await uow.tasks.get(bobs.id)) == bobs


async def test_a_row_for_another_owner_cannot_be_written_in_one_owners_transaction(
    database: Database[Any],
) -> None:
    alice, bob = new_owner(), new_owner()
    forged = a_task(bob)

    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with SqlUnitOfWork(alice, database=database) as uow:
            # Bypass the repository's own owner check, as a bug in an adapter might.
            await uow.tasks._add(forged)

    async with SqlUnitOfWork(bob, database=database) as uow:
        assert await uow.tasks.get(forged.id) is None


async def test_a_connection_with_no_owner_set_sees_no_rows(
    engine: AsyncEngine, database: Database[Any]
) -> None:
    await _stored(database, a_task(new_owner()))

    async with engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM tasks"))).scalar_one()

    assert count == 0


async def test_the_role_is_ordinary_and_row_level_security_is_forced(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        role = (
            await connection.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        table = (
            await connection.execute(
                text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'tasks'")
            )
        ).one()

    assert tuple(role) == (False, False)
    assert tuple(table) == (True, True)


async def test_the_service_serves_its_flows_connected_as_the_ordinary_role(app_role_url: str) -> None:
    app = create_app(test_settings(app_role_url))
    headers = auth(new_owner())

    async with running(app) as client:
        created = await client.post("/api/v1/tasks", json={"title": "as an ordinary role"}, headers=headers)
        task_id = created.json()["id"]
        toggled = await client.post(f"/api/v1/tasks/{task_id}/toggle", headers=headers)
        listed = await client.get("/api/v1/tasks", headers=headers)
        deleted = await client.delete(f"/api/v1/tasks/{task_id}", headers=headers)
        registered = await client.post(
            "/api/v1/auth/register",
            json={"email": f"{uuid.uuid4().hex}@example.com", "password": "long enough"},
        )

    assert (created.status_code, toggled.status_code, deleted.status_code) == (201, 200, 204)
    assert [task["id"] for task in listed.json()["items"]] == [task_id]
    assert registered.status_code == 201


def _creation(task: Task, key: str, *, expires_at: datetime | None = None) -> IdempotentCreation:
    return IdempotentCreation(
        key=key,
        request_hash=request_hash(draft_of(task)),
        task=task,
        created_at=task.created_at,
        expires_at=expires_at or task.created_at + timedelta(hours=1),
    )


async def test_idempotency_keys_are_walled_off_per_owner_like_tasks(
    engine: AsyncEngine, database: Database[Any]
) -> None:
    alice, bob = new_owner(), new_owner()
    for owner in (alice, bob):
        async with SqlUnitOfWork(owner, database=database) as uow:
            await uow.idempotency_keys.claim(_creation(a_task(owner), "shared"))
            await uow.commit()

    async with SqlUnitOfWork(alice, database=database) as uow:
        # Deliberately no owner filter: only the policy stands between alice and bob's key.
        rows = await uow._transaction.connection.fetch("SELECT user_id FROM idempotency_keys")
        owners = [row["user_id"] for row in rows]
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with SqlUnitOfWork(alice, database=database) as uow:
            # Bypass the repository's own owner check, as a bug in an adapter might.
            await uow.idempotency_keys._claim(bob, _creation(a_task(bob), "forged"))
    async with engine.connect() as connection:
        table = (
            await connection.execute(
                text(
                    "SELECT relrowsecurity, relforcerowsecurity FROM pg_class"
                    " WHERE relname = 'idempotency_keys'"
                )
            )
        ).one()

    assert owners == [alice]
    assert tuple(table) == (True, True)


async def test_the_service_creates_idempotently_connected_as_the_ordinary_role(app_role_url: str) -> None:
    app = create_app(test_settings(app_role_url))
    headers = {**auth(new_owner()), "Idempotency-Key": "once"}

    async with running(app) as client:
        first = await client.post("/api/v1/tasks", json={"title": "only once"}, headers=headers)
        retried = await client.post("/api/v1/tasks", json={"title": "only once"}, headers=headers)

    assert (first.status_code, retried.status_code) == (201, 201)
    assert retried.json() == first.json()


@pytest.mark.parametrize(
    "owner",
    [
        "o'brien",
        "back\\slash",
        "\\'; SET LOCAL app.user_id = 'bob'; --",
        "' OR true --",
        "zoë ☃ 𝄞",
    ],
)
async def test_an_owner_id_with_quotes_or_backslashes_reaches_row_level_security_exactly_as_it_is(
    database: Database[Any], owner: str
) -> None:
    other = new_owner()
    mine = a_task(owner)
    await _stored(database, mine, a_task(other))

    async with SqlUnitOfWork(owner, database=database) as uow:
        setting = await uow._transaction.connection.fetchval("SELECT current_setting('app.user_id')")
        rows = await uow._transaction.connection.fetch("SELECT id, user_id FROM tasks")

    assert setting == owner
    assert [(row["id"], row["user_id"]) for row in rows] == [(mine.id, owner)]


async def test_the_purge_as_the_ordinary_role_deletes_every_owners_expired_keys_and_sees_no_live_one(
    database: Database[Any], postgres_url: str
) -> None:
    alice, bob = new_owner(), new_owner()
    now = datetime.now(UTC)
    for owner, key, expires_at in (
        (alice, "old", now - timedelta(hours=1)),
        (bob, "old", now - timedelta(hours=1)),
    ):
        async with SqlUnitOfWork(owner, database=database) as uow:
            await uow.idempotency_keys.claim(_creation(a_task(owner), key, expires_at=expires_at))
            await uow.commit()
    async with SqlUnitOfWork(bob, database=database) as uow:
        await uow.idempotency_keys.claim(_creation(a_task(bob), "new", expires_at=now + timedelta(hours=1)))
        await uow.commit()

    async with SqlUnitOfWork(alice, database=database) as uow:
        # Not purging: another owner's key is hidden even once it has expired.
        expired = await uow._transaction.connection.fetch(
            "SELECT user_id FROM idempotency_keys WHERE expires_at <= now() AND user_id = ANY($1::text[])",
            [alice, bob],
        )
    async with UnscopedWork(database=database) as work:
        # Purging: every owner's expired keys, and still none that is live.
        await work.transaction.connection.execute("SELECT set_config('app.purge', 'expired', true)")
        seen = await work.transaction.connection.fetch(
            "SELECT user_id, key FROM idempotency_keys WHERE user_id = ANY($1::text[]) ORDER BY user_id, key",
            [alice, bob],
        )
    purged = await PurgeExpired(SqlExpiredRecords(database), FakeClock(now))()
    left = await _admin_rows(
        postgres_url,
        "SELECT user_id, key FROM idempotency_keys WHERE user_id = ANY($1::text[])",
        [alice, bob],
    )

    assert [row["user_id"] for row in expired] == [alice]
    assert sorted((row["user_id"], row["key"]) for row in seen) == sorted([(alice, "old"), (bob, "old")])
    assert purged.idempotency_keys >= 2
    assert [(row["user_id"], row["key"]) for row in left] == [(bob, "new")]


async def _admin_rows(url: str, query: str, *arguments: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        return list(await connection.fetch(query, *arguments))
    finally:
        await connection.close()


# --- Lists (issue 13): walled off per owner like tasks, and a task's places held to its owner ---


def _a_list(owner: str, name: str = "Errands") -> TaskList:
    return TaskList.create(id=uuid.uuid4(), owner_id=owner, name=name, color=None, now=T0)


async def _stored_lists(database: Database[Any], *task_lists: TaskList) -> None:
    for task_list in task_lists:
        async with SqlUnitOfWork(task_list.owner_id, database=database) as uow:
            await uow.lists.add(task_list)
            await uow.commit()


async def test_an_unscoped_select_of_lists_in_one_owners_transaction_sees_only_that_owners_lists(
    database: Database[Any],
) -> None:
    alice, bob = new_owner(), new_owner()
    alices = _a_list(alice)
    await _stored_lists(database, alices, _a_list(bob), _a_list(bob, "Bob's other"))

    async with SqlUnitOfWork(alice, database=database) as uow:
        # Deliberately no owner filter: only the policy stands between alice and bob's lists.
        rows = await uow._transaction.connection.fetch("SELECT id, user_id FROM lists")
        found = await uow._transaction.connection.fetchval(
            "SELECT count(*) FROM lists WHERE user_id = $1", bob
        )

    assert [(row["id"], row["user_id"]) for row in rows] == [(alices.id, alice)]
    assert found == 0


async def test_an_unscoped_update_or_delete_of_lists_touches_none_of_another_owners(
    database: Database[Any],
) -> None:
    alice, bob = new_owner(), new_owner()
    bobs = _a_list(bob, "Bob's own")
    await _stored_lists(database, _a_list(alice), bobs)

    async with SqlUnitOfWork(alice, database=database) as uow:
        renamed = await uow._transaction.connection.execute("UPDATE lists SET name = 'hijacked'")
        archived = await uow._transaction.connection.execute(
            "UPDATE lists SET archived = true WHERE id = $1", bobs.id
        )
        deleted = await uow._transaction.connection.execute("DELETE FROM lists WHERE user_id = $1", bob)
        await uow.commit()

    assert (renamed, archived, deleted) == ("UPDATE 1", "UPDATE 0", "DELETE 0")
    async with SqlUnitOfWork(bob, database=database) as uow:
        assert await uow.lists.get(bobs.id) == bobs


async def test_a_list_for_another_owner_cannot_be_written_nor_a_list_handed_to_one(
    database: Database[Any],
) -> None:
    alice, bob = new_owner(), new_owner()
    alices, forged = _a_list(alice), _a_list(bob, "forged")
    await _stored_lists(database, alices)

    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with SqlUnitOfWork(alice, database=database) as uow:
            # Bypass the repository's own owner check, as a bug in an adapter might.
            await uow.lists._add(forged)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with SqlUnitOfWork(alice, database=database) as uow:
            await uow._transaction.connection.execute(
                "UPDATE lists SET user_id = $1 WHERE id = $2", bob, alices.id
            )

    async with SqlUnitOfWork(bob, database=database) as uow:
        assert await uow.lists.get(forged.id) is None
        assert await uow.lists.get(alices.id) is None
    async with SqlUnitOfWork(alice, database=database) as uow:
        assert await uow.lists.get(alices.id) == alices


async def test_in_one_owners_transaction_a_task_cannot_be_put_in_another_owners_list_or_under_their_task(
    database: Database[Any],
) -> None:
    """Bob's list and task are invisible to alice, yet a key check is not bound by the policy: it
    is the composite key (the list's or parent's owner is the task's) that refuses them."""
    alice, bob = new_owner(), new_owner()
    alices_list, bobs_list = _a_list(alice), _a_list(bob)
    await _stored_lists(database, alices_list, bobs_list)
    bobs_task = replace(a_task(bob), list_id=bobs_list.id)
    alices_task = a_task(alice)
    await _stored(database, bobs_task, alices_task)
    forged = [
        replace(a_task(alice, title="in bob's list"), list_id=bobs_list.id),
        replace(a_task(alice, title="under bob's task"), list_id=bobs_list.id, parent_id=bobs_task.id),
        replace(a_task(alice, title="under bob's task, in the inbox"), parent_id=bobs_task.id),
    ]
    moves = [
        ("UPDATE tasks SET list_id = $2 WHERE id = $1", bobs_list.id),
        ("UPDATE tasks SET parent_id = $2 WHERE id = $1", bobs_task.id),
    ]

    for task in forged:
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            async with SqlUnitOfWork(alice, database=database) as uow:
                await uow.tasks._add(task)  # past the use cases' checks that the places are hers
    for statement, place in moves:
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            async with SqlUnitOfWork(alice, database=database) as uow:
                await uow._transaction.connection.execute(statement, alices_task.id, place)
    async with SqlUnitOfWork(alice, database=database) as uow:
        moved = await uow._transaction.connection.execute(
            "UPDATE tasks SET list_id = $2 WHERE id = $1", alices_task.id, alices_list.id
        )
        await uow.commit()

    assert moved == "UPDATE 1"  # the same statement, pointing at her own list
    async with SqlUnitOfWork(alice, database=database) as uow:
        assert [task.id for task in await uow.tasks.find(TaskFilter(list_id=bobs_list.id))] == []
    async with SqlUnitOfWork(bob, database=database) as uow:
        assert [task.id for task in await uow.tasks.find(TaskFilter(list_id=bobs_list.id))] == [bobs_task.id]


async def test_row_level_security_is_forced_on_lists(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        table = (
            await connection.execute(
                text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'lists'")
            )
        ).one()
        policies = (
            await connection.execute(text("SELECT policyname FROM pg_policies WHERE tablename = 'lists'"))
        ).all()

    assert tuple(table) == (True, True)
    assert [row.policyname for row in policies] == ["lists_owner"]


async def test_the_service_serves_lists_and_subtasks_connected_as_the_ordinary_role(
    app_role_url: str,
) -> None:
    app = create_app(test_settings(app_role_url))
    alice, bob = auth(new_owner()), auth(new_owner())

    async with running(app) as client:
        made = await client.post("/api/v1/lists", json={"name": "Errands"}, headers=alice)
        list_id = made.json()["id"]
        parent = await client.post("/api/v1/tasks", json={"title": "Shop", "list_id": list_id}, headers=alice)
        child = await client.post(
            "/api/v1/tasks", json={"title": "Milk", "parent_id": parent.json()["id"]}, headers=alice
        )
        listed = await client.get(
            "/api/v1/tasks",
            params={"list_id": list_id, "top_level": "true", "sort": "position"},
            headers=alice,
        )
        subtasks = await client.get(
            "/api/v1/tasks", params={"parent_id": parent.json()["id"], "sort": "position"}, headers=alice
        )
        lists = await client.get("/api/v1/lists", headers=alice)
        bobs_view = await client.get(f"/api/v1/lists/{list_id}", headers=bob)
        bobs_lists = await client.get("/api/v1/lists", headers=bob)
        deleted = await client.delete(f"/api/v1/lists/{list_id}", headers=alice)
        after = await client.get("/api/v1/tasks", headers=alice)

    assert (made.status_code, parent.status_code, child.status_code) == (201, 201, 201)
    assert child.json()["list_id"] == list_id  # a subtask goes in its parent's list
    assert [task["id"] for task in listed.json()["items"]] == [parent.json()["id"]]
    assert [task["id"] for task in subtasks.json()["items"]] == [child.json()["id"]]
    assert [(item["id"], item["open_tasks"]) for item in lists.json()["items"]] == [(list_id, 2)]
    assert bobs_view.status_code == 404
    assert bobs_lists.json()["items"] == []
    assert deleted.status_code == 204
    assert after.json()["items"] == []  # the list's tasks went with it


# --- The change log (issue 14): walled off per owner, written by the triggers as the owner ---


async def test_the_change_log_is_written_as_the_owner_and_walled_off_per_owner(
    database: Database[Any], postgres_url: str
) -> None:
    alice, bob = new_owner(), new_owner()
    await _stored(database, a_task(alice), a_task(bob))

    async with SqlUnitOfWork(alice, database=database) as uow:
        connection = uow._transaction.connection
        changes = await connection.fetch(
            "SELECT user_id FROM changes WHERE user_id = ANY($1::text[])", [alice, bob]
        )
        counters = await connection.fetch(
            "SELECT user_id FROM change_counters WHERE user_id = ANY($1::text[])", [alice, bob]
        )
        forged = await connection.execute("UPDATE change_counters SET last_seq = 0 WHERE user_id = $1", bob)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute(
                "INSERT INTO changes (user_id, seq, kind, item_id, op, changed_at)"
                " VALUES ($1, 99, 'task', $2, 'delete', now())",
                bob,
                uuid.uuid4(),
            )
    left = await _admin_rows(postgres_url, "SELECT last_seq FROM change_counters WHERE user_id = $1", bob)

    assert [row["user_id"] for row in changes] == [alice]
    assert [row["user_id"] for row in counters] == [alice]
    assert forged == "UPDATE 0"
    assert [row["last_seq"] for row in left] == [1]


async def test_the_purge_as_the_ordinary_role_deletes_every_owners_old_changes_and_no_recent_one(
    database: Database[Any], postgres_url: str
) -> None:
    alice, bob = new_owner(), new_owner()
    await _stored(database, a_task(alice), a_task(bob), a_task(bob))
    month_ago = datetime.now(UTC) - timedelta(days=40)
    await _as_admin(
        postgres_url,
        f"UPDATE changes SET changed_at = '{month_ago.isoformat()}'"
        f" WHERE user_id IN ('{alice}', '{bob}') AND seq = 1",
    )

    purged = await PurgeExpired(SqlExpiredRecords(database), FakeClock(datetime.now(UTC)))()
    left = await _admin_rows(
        postgres_url, "SELECT user_id, seq FROM changes WHERE user_id = ANY($1::text[])", [alice, bob]
    )

    assert purged.changes >= 2
    assert [(row["user_id"], row["seq"]) for row in left] == [(bob, 2)]
