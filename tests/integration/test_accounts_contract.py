"""The accounts repository contract: memory, SQLite and PostgreSQL (direct and through PgBouncer) alike."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from adapters.memory import InMemoryAccounts, InMemoryAccountsUnitOfWork
from adapters.sqlmodel.setup import create_database
from adapters.sqlmodel.unit_of_work import SqlAccountsUnitOfWork
from application.ports import AccountsUnitOfWork, AccountsUnitOfWorkFactory
from domain.user import User
from tests.conftest import BACKENDS
from tests.support.builders import T0
from tests.support.databases import backend


@pytest.fixture(params=[pytest.param("memory", id="memory"), *BACKENDS])
async def accounts_uow(request: pytest.FixtureRequest) -> AsyncIterator[AccountsUnitOfWorkFactory]:
    if request.param == "memory":
        accounts = InMemoryAccounts()
        yield lambda: InMemoryAccountsUnitOfWork(accounts)
        return
    database = backend(request, request.param)
    sql_database = create_database(database.url, pooler=database.pooler)

    def sql() -> AccountsUnitOfWork:
        return SqlAccountsUnitOfWork(database=sql_database)

    yield sql
    await sql_database.close()


def a_user(email: str) -> User:
    return User.register(id=uuid.uuid4(), email=email, name="Ada", password_hash="$argon2id$x", now=T0)


async def test_an_account_reads_back_by_id_and_by_email_in_any_case(
    accounts_uow: AccountsUnitOfWorkFactory,
) -> None:
    user = a_user(f"Ada.{uuid.uuid4().hex}@Example.com")

    async with accounts_uow() as uow:
        assert await uow.users.add(user)
        await uow.commit()
    async with accounts_uow() as uow:
        by_id = await uow.users.get(str(user.id))
        by_email = await uow.users.get_by_email(user.email.upper())

    assert by_id == user
    assert by_email == user


async def test_a_second_account_with_the_same_email_in_another_case_is_not_added_and_the_first_stays(
    accounts_uow: AccountsUnitOfWorkFactory,
) -> None:
    email = f"bo.{uuid.uuid4().hex}@example.com"
    first, second = a_user(email), a_user(email.upper())
    async with accounts_uow() as uow:
        await uow.users.add(first)
        await uow.commit()

    async with accounts_uow() as uow:
        added = await uow.users.add(second)
        third = a_user(f"other.{uuid.uuid4().hex}@example.com")
        # the unit of work is still usable after the refused insert
        added_after = await uow.users.add(third)
        await uow.commit()

    assert (added, added_after) == (False, True)
    async with accounts_uow() as uow:
        assert await uow.users.get_by_email(email) == first
        assert await uow.users.get(str(second.id)) is None
        assert await uow.users.get(str(third.id)) == third


async def test_an_external_subject_that_is_not_an_account_id_finds_nothing(
    accounts_uow: AccountsUnitOfWorkFactory,
) -> None:
    async with accounts_uow() as uow:
        found = await uow.users.get("better-auth|user-123")

    assert found is None


async def test_an_account_not_committed_is_not_kept(accounts_uow: AccountsUnitOfWorkFactory) -> None:
    user = a_user(f"cy.{uuid.uuid4().hex}@example.com")

    async with accounts_uow() as uow:
        await uow.users.add(user)
    async with accounts_uow() as uow:
        found = await uow.users.get(str(user.id))

    assert found is None


async def test_a_replaced_password_hash_is_kept_once_committed_and_only_for_its_account(
    accounts_uow: AccountsUnitOfWorkFactory,
) -> None:
    user, other = a_user(f"ada.{uuid.uuid4().hex}@example.com"), a_user(f"bo.{uuid.uuid4().hex}@example.com")
    async with accounts_uow() as uow:
        await uow.users.add(user)
        await uow.users.add(other)
        await uow.commit()

    async with accounts_uow() as uow:
        await uow.users.replace_password_hash(user.id, "$argon2id$dropped")
    async with accounts_uow() as uow:
        await uow.users.replace_password_hash(user.id, "$argon2id$new")
        await uow.commit()

    async with accounts_uow() as uow:
        reread, untouched = await uow.users.get(str(user.id)), await uow.users.get(str(other.id))
    assert reread is not None
    assert reread.password_hash == "$argon2id$new"
    assert untouched == other
