"""The real Argon2 hasher: salted, verifiable, and refusing when there is no hash."""

import asyncio

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher as Argon2Hasher_

from adapters.security.passwords import Argon2Hasher
from application.errors import AtCapacity


async def test_a_hash_is_argon2_salted_and_verifies_only_its_password() -> None:
    hasher = Argon2Hasher()

    first, second = await hasher.hash("correct horse"), await hasher.hash("correct horse")

    assert first.startswith("$argon2id$")
    assert first != second
    assert "correct horse" not in first
    assert (await hasher.verify_and_update("correct horse", first))[0]
    assert not (await hasher.verify_and_update("wrong horse", first))[0]


async def test_verifying_against_no_hash_is_false_even_for_the_decoy_password() -> None:
    hasher = Argon2Hasher()

    assert not (await hasher.verify_and_update("decoy password, never anyone's", None))[0]
    assert not (await hasher.verify_and_update("anything", None))[0]


async def test_a_password_matches_however_its_unicode_was_composed() -> None:
    hasher = Argon2Hasher()
    composed, decomposed = "caf\u00e9 au lait", "cafe\u0301 au lait"

    stored = await hasher.hash(composed)

    assert (await hasher.verify_and_update(decomposed, stored))[0]


async def test_a_hash_made_with_older_parameters_comes_back_remade_once_the_password_matches() -> None:
    hasher = Argon2Hasher()
    older = PasswordHash((Argon2Hasher_(time_cost=1, memory_cost=8192, parallelism=1),))
    stored = older.hash("correct horse")

    matches, remade = await hasher.verify_and_update("correct horse", stored)
    wrong, not_remade = await hasher.verify_and_update("wrong horse", stored)

    assert matches
    assert remade is not None
    assert remade != stored
    assert (await hasher.verify_and_update("correct horse", remade)) == (True, None)
    assert (wrong, not_remade) == (False, None)


async def test_work_beyond_the_threads_and_their_queue_is_refused_at_once() -> None:
    hasher = Argon2Hasher(concurrency=1, queue=1)

    outcomes = await asyncio.gather(*(hasher.hash(f"password {n}") for n in range(4)), return_exceptions=True)

    refused = [outcome for outcome in outcomes if isinstance(outcome, AtCapacity)]
    hashed = [outcome for outcome in outcomes if isinstance(outcome, str)]
    assert (len(hashed), len(refused)) == (2, 2)
    assert isinstance(await hasher.hash("afterwards"), str)  # the places are free again
