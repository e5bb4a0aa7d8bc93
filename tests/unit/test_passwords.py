"""The real Argon2 hasher: salted, verifiable, and refusing when there is no hash."""

from adapters.security.passwords import Argon2Hasher


async def test_a_hash_is_argon2_salted_and_verifies_only_its_password() -> None:
    hasher = Argon2Hasher()

    first, second = await hasher.hash("correct horse"), await hasher.hash("correct horse")

    assert first.startswith("$argon2id$")
    assert first != second
    assert "correct horse" not in first
    assert await hasher.verify("correct horse", first)
    assert not await hasher.verify("wrong horse", first)


async def test_verifying_against_no_hash_is_false_even_for_the_decoy_password() -> None:
    hasher = Argon2Hasher()

    assert not await hasher.verify("decoy password, never anyone's", None)
    assert not await hasher.verify("anything", None)


async def test_a_password_matches_however_its_unicode_was_composed() -> None:
    hasher = Argon2Hasher()
    composed, decomposed = "caf\u00e9 au lait", "cafe\u0301 au lait"

    stored = await hasher.hash(composed)

    assert await hasher.verify(decomposed, stored)
