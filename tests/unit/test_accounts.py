"""Registering, logging in and asking who one is, against in-memory accounts."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.memory import InMemoryAccounts, InMemoryAccountsUnitOfWork
from application.accounts import CurrentUser, LogIn, Register
from application.accounts.register import Registration
from application.identity import Principal
from application.ports import AccountsUnitOfWorkFactory
from domain.errors import EmailTaken, InvalidCredentials, InvalidUser
from domain.user import normalise_email
from tests.unit.fakes import NO_LIMITS, START, FakeClock, FakeHasher, FakeTokens, SequentialIds


@pytest.fixture
def accounts() -> InMemoryAccounts:
    return InMemoryAccounts()


@pytest.fixture
def accounts_uow(accounts: InMemoryAccounts) -> AccountsUnitOfWorkFactory:
    return lambda: InMemoryAccountsUnitOfWork(accounts)


@pytest.fixture
def hasher() -> FakeHasher:
    return FakeHasher()


@pytest.fixture
def register(accounts_uow: AccountsUnitOfWorkFactory, hasher: FakeHasher) -> Register:
    return Register(accounts_uow, hasher, FakeClock(), SequentialIds(), NO_LIMITS)


@pytest.fixture
def log_in(accounts_uow: AccountsUnitOfWorkFactory, hasher: FakeHasher) -> LogIn:
    return LogIn(accounts_uow, hasher, FakeTokens(), NO_LIMITS)


async def test_registering_stores_the_account_with_a_hash_not_the_password(
    register: Register, accounts: InMemoryAccounts
) -> None:
    user = await register(Registration(email=" Ada@Example.com ", password="correct horse", name=" Ada "))

    assert (user.email, user.name, user.created_at) == ("Ada@Example.com", "Ada", START)
    assert accounts.users[user.id].password_hash == "hashed:correct horse"


async def test_an_email_taken_in_another_case_is_refused_and_nothing_is_stored(
    register: Register, accounts: InMemoryAccounts
) -> None:
    await register(Registration(email="ada@example.com", password="correct horse"))

    with pytest.raises(EmailTaken):
        await register(Registration(email="ADA@EXAMPLE.COM", password="another horse"))

    assert len(accounts.users) == 1


@pytest.mark.parametrize("password", ["short", "1234567", "x" * 1025])
async def test_a_password_outside_the_rule_is_refused_before_hashing(
    register: Register, hasher: FakeHasher, accounts: InMemoryAccounts, password: str
) -> None:
    with pytest.raises(InvalidUser) as raised:
        await register(Registration(email="ada@example.com", password=password))

    assert raised.value.field == "password"
    assert accounts.users == {}


async def test_logging_in_with_the_right_password_issues_a_token_for_the_account(
    register: Register, log_in: LogIn
) -> None:
    user = await register(Registration(email="ada@example.com", password="correct horse"))

    issued = await log_in("ADA@example.com", "correct horse")

    assert issued.access_token == f"token-for:{user.id}"


async def test_an_unknown_email_and_a_wrong_password_fail_alike_and_both_check_a_hash(
    register: Register, log_in: LogIn, hasher: FakeHasher
) -> None:
    await register(Registration(email="ada@example.com", password="correct horse"))

    with pytest.raises(InvalidCredentials) as wrong_password:
        await log_in("ada@example.com", "wrong horse")
    with pytest.raises(InvalidCredentials) as unknown_email:
        await log_in("nobody@example.com", "correct horse")

    assert str(wrong_password.value) == str(unknown_email.value)
    assert hasher.verifications == 2


async def test_the_current_user_is_the_local_account_when_there_is_one(
    register: Register, accounts_uow: AccountsUnitOfWorkFactory
) -> None:
    user = await register(Registration(email="ada@example.com", password="correct horse", name="Ada"))

    profile = await CurrentUser(accounts_uow)(Principal(subject=str(user.id), local=True))

    assert (profile.id, profile.email, profile.name, profile.created_at) == (
        str(user.id),
        user.email,
        "Ada",
        START,
    )


async def test_the_current_user_of_an_external_token_is_what_its_claims_say(
    accounts_uow: AccountsUnitOfWorkFactory,
) -> None:
    principal = Principal(subject="better-auth-user-1", email="bo@example.com", name="Bo")

    profile = await CurrentUser(accounts_uow)(principal)

    assert (profile.id, profile.email, profile.name, profile.created_at) == (
        "better-auth-user-1",
        "bo@example.com",
        "Bo",
        None,
    )


@pytest.mark.parametrize(
    ("spelling", "local"),
    [
        (str, False),
        (lambda user_id: f"{{{user_id}}}", True),
        (lambda user_id: f"urn:uuid:{user_id}", True),
    ],
    ids=["external-token", "braces", "urn"],
)
async def test_only_a_local_token_naming_the_account_id_exactly_reads_the_local_account(
    register: Register, accounts_uow: AccountsUnitOfWorkFactory, spelling: Any, local: bool
) -> None:
    user = await register(Registration(email="ada@example.com", password="correct horse"))

    profile = await CurrentUser(accounts_uow)(Principal(subject=spelling(user.id), local=local))

    assert (profile.email, profile.created_at) == (None, None)


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("a" * 309 + "@example.com", id="long"),
        # 122 characters that case-fold to 342: "ﬃ" is "ffi"; the stored key would not fit.
        pytest.param("\ufb03" * 110 + "@example.com", id="longer-once-folded"),
    ],
)
def test_an_email_whose_folded_key_would_not_fit_its_column_is_refused(email: str) -> None:
    with pytest.raises(InvalidUser) as refused:
        normalise_email(email)

    assert refused.value.field == "email"


def test_an_email_at_the_length_limit_once_folded_is_kept() -> None:
    email = "\ufb03" * 100 + "a" * 8 + "@example.com"  # 320 characters once folded

    assert normalise_email(email) == email


async def test_logging_in_with_a_hash_of_older_parameters_stores_todays_hash_once(
    register: Register, log_in: LogIn, accounts: InMemoryAccounts, hasher: FakeHasher
) -> None:
    user = await register(Registration(email="ada@example.com", password="correct horse"))
    accounts.users[user.id].password_hash = "old:correct horse"  # as hashed years ago

    await log_in("ada@example.com", "correct horse")
    after_first = accounts.users[user.id].password_hash
    await log_in("ada@example.com", "correct horse")

    assert after_first == "hashed:correct horse"
    assert accounts.users[user.id].password_hash == after_first


async def test_a_wrong_password_never_replaces_an_old_hash(
    register: Register, log_in: LogIn, accounts: InMemoryAccounts
) -> None:
    user = await register(Registration(email="ada@example.com", password="correct horse"))
    accounts.users[user.id].password_hash = "old:correct horse"

    with pytest.raises(InvalidCredentials):
        await log_in("ada@example.com", "wrong horse")

    assert accounts.users[user.id].password_hash == "old:correct horse"
