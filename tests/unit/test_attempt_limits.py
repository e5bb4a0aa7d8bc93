"""Rate limits on logging in and registering: the rate's arithmetic (GCRA), what counts against
an address and an account, and that a refused attempt costs no password work."""

from __future__ import annotations

import pytest

from adapters.memory import InMemoryAccounts, InMemoryAccountsUnitOfWork
from adapters.memory.rate_limits import InMemoryRateLimiter
from application.accounts import LogIn, Register
from application.accounts.register import Registration
from application.errors import TooManyAttempts
from application.limits import AttemptLimits, AttemptRates, Rate
from domain.errors import InvalidCredentials
from tests.unit.fakes import NO_LIMITS, FakeClock, FakeHasher, FakeTokens, SequentialIds


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("20/minute", Rate(20, 60)),
        (" 5 / hours ", Rate(5, 3600)),
        ("1/SECOND", Rate(1, 1)),
        ("100/day", Rate(100, 86_400)),
        ("off", None),
    ],
)
def test_rates_are_written_as_hits_per_period(text: str, rate: Rate | None) -> None:
    assert Rate.parse(text) == rate


@pytest.mark.parametrize(
    "text", ["", "20", "0/minute", "-1/minute", "20/fortnight", "twenty/minute", "20/60s"]
)
def test_anything_else_is_not_a_rate(text: str) -> None:
    with pytest.raises(ValueError, match="20/minute"):
        Rate.parse(text)


async def test_a_burst_of_the_whole_allowance_passes_then_one_hit_per_interval_is_regained() -> None:
    limiter, clock, rate = InMemoryRateLimiter(), FakeClock(), Rate(3, 60)

    allowed = [await limiter.hit("k", rate, clock.now()) for _ in range(3)]
    refused = await limiter.hit("k", rate, clock.now())
    assert allowed == [None, None, None]
    assert refused == pytest.approx(20.0)  # one of three hits a minute comes back every 20 s

    clock.advance(19.5)
    assert await limiter.hit("k", rate, clock.now()) == pytest.approx(0.5)  # a refusal is not counted
    clock.advance(0.5)
    assert await limiter.hit("k", rate, clock.now()) is None
    assert await limiter.hit("k", rate, clock.now()) == pytest.approx(20.0)
    assert await limiter.hit("another key", rate, clock.now()) is None


def _limits(clock: FakeClock, **rates: AttemptRates) -> AttemptLimits:
    return AttemptLimits(InMemoryRateLimiter(), clock, rates)


async def test_an_address_is_limited_whatever_accounts_it_names() -> None:
    limits = _limits(FakeClock(), login=AttemptRates(per_address=Rate(2, 60)))

    await limits.check("login", address="203.0.113.9", account="a@example.com")
    await limits.check("login", address="203.0.113.9", account="b@example.com")
    with pytest.raises(TooManyAttempts) as refused:
        await limits.check("login", address="203.0.113.9", account="c@example.com")

    assert refused.value.retry_after_seconds == pytest.approx(30.0)
    await limits.check("login", address="198.51.100.7", account="c@example.com")  # another address
    await limits.check("register", address="203.0.113.9", account="c@example.com")  # another kind


async def test_an_account_is_limited_from_every_address_and_in_every_case() -> None:
    limits = _limits(FakeClock(), login=AttemptRates(per_account=Rate(2, 60)))

    await limits.check("login", address="203.0.113.9", account="Ada@Example.com")
    await limits.check("login", address="198.51.100.7", account=" ada@example.com")
    with pytest.raises(TooManyAttempts):
        await limits.check("login", address=None, account="ADA@EXAMPLE.COM")
    await limits.check("login", address="203.0.113.9", account="bob@example.com")


async def test_an_attempt_its_address_could_not_make_is_not_charged_to_the_account() -> None:
    limits = _limits(FakeClock(), login=AttemptRates(per_address=Rate(1, 60), per_account=Rate(2, 60)))

    await limits.check("login", address="203.0.113.9", account="ada@example.com")
    for _ in range(5):  # an attacker's refused guesses
        with pytest.raises(TooManyAttempts):
            await limits.check("login", address="203.0.113.9", account="ada@example.com")
    await limits.check("login", address="198.51.100.7", account="ada@example.com")  # the owner, elsewhere


async def test_a_refused_login_does_no_password_work_and_tells_nothing_about_the_account() -> None:
    accounts, hasher, clock = InMemoryAccounts(), FakeHasher(), FakeClock()
    uow = lambda: InMemoryAccountsUnitOfWork(accounts)  # noqa: E731
    await Register(uow, hasher, clock, SequentialIds(), NO_LIMITS)(
        Registration(email="ada@example.com", password="correct horse")
    )
    limits = _limits(clock, login=AttemptRates(per_address=Rate(2, 60)))
    log_in = LogIn(uow, hasher, FakeTokens(), limits)

    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            await log_in("ada@example.com", "wrong", address="203.0.113.9")
    with pytest.raises(TooManyAttempts):
        await log_in("ada@example.com", "correct horse", address="203.0.113.9")

    assert hasher.verifications == 2
    assert (await log_in("ada@example.com", "correct horse", address="198.51.100.7")).access_token


async def test_registering_an_email_again_too_soon_is_refused_before_it_is_hashed_or_looked_up() -> None:
    accounts, clock = InMemoryAccounts(), FakeClock()
    hasher = FakeHasher()
    limits = _limits(clock, register=AttemptRates(per_account=Rate(1, 3600)))
    register = Register(lambda: InMemoryAccountsUnitOfWork(accounts), hasher, clock, SequentialIds(), limits)

    await register(Registration(email="ada@example.com", password="correct horse"), address="203.0.113.9")
    with pytest.raises(TooManyAttempts) as refused:
        await register(
            Registration(email="ADA@example.com", password="another horse"), address="198.51.100.7"
        )

    assert refused.value.retry_after_seconds == pytest.approx(3600.0)
    assert len(accounts.users) == 1
