"""The owner goes into each PostgreSQL transaction's opening as a string constant: quoted so that no
text can end it early."""

import pytest

from adapters.sqlmodel.postgres import literal


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("alice", "E'alice'"),
        ("o'brien", "E'o''brien'"),
        ("back\\slash", "E'back\\\\slash'"),
        ("\\'; DROP TABLE tasks; --", "E'\\\\''; DROP TABLE tasks; --'"),
        ("zoë ☃", "E'zoë ☃'"),
        ("", "E''"),
    ],
)
def test_text_becomes_an_escape_string_constant_with_backslashes_and_quotes_doubled(
    text: str, quoted: str
) -> None:
    assert literal(text) == quoted


def test_nul_is_refused_rather_than_cut_short() -> None:
    with pytest.raises(ValueError, match="NUL"):
        literal("before\x00after")
