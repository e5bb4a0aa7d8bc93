"""A use case whose transaction the database rolled back (serialization failure, deadlock) runs again."""

from __future__ import annotations

import pytest

from application.errors import TransientConflict
from application.retry import TRANSIENT_ATTEMPTS, retry_transient


class Flaky:
    """Fails with a transient conflict the first `failures` times, then answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    @retry_transient
    async def __call__(self, value: str) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise TransientConflict("40P01")
        return value.upper()


async def test_a_use_case_that_lost_to_transient_conflicts_is_run_again_until_it_succeeds() -> None:
    use_case = Flaky(failures=TRANSIENT_ATTEMPTS - 1)

    answer = await use_case("done")

    assert (answer, use_case.calls) == ("DONE", TRANSIENT_ATTEMPTS)


async def test_the_retries_are_bounded_and_the_last_conflict_is_raised() -> None:
    use_case = Flaky(failures=TRANSIENT_ATTEMPTS)

    with pytest.raises(TransientConflict):
        await use_case("never")

    assert use_case.calls == TRANSIENT_ATTEMPTS
