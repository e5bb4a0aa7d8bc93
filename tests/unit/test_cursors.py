"""Page cursors: they round-trip, and anything forged, damaged or reused elsewhere is refused."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from uuid import UUID

import pytest

from application.cursors import CursorCodec, fingerprint
from application.errors import InvalidCursor
from application.queries import PagePosition

POSITION = PagePosition(value=datetime(2025, 1, 6, 9, 30, 15, 123456, tzinfo=UTC), id=UUID(int=42))
QUERY = fingerprint({"completed": None})


def flip_bit(cursor: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@pytest.fixture
def codec() -> CursorCodec:
    return CursorCodec(b"the-key")


def test_a_cursor_decodes_to_the_position_it_was_made_for_with_a_time_as_iso_text(codec: CursorCodec) -> None:
    cursor = codec.encode(POSITION, QUERY)

    decoded = codec.decode(cursor, QUERY)

    assert decoded.id == POSITION.id
    assert decoded.value == POSITION.value.isoformat()  # type: ignore[union-attr]


@pytest.mark.parametrize("value", [None, 2, "straße todo"])
def test_a_cursor_carries_any_sort_value_unchanged(codec: CursorCodec, value: object) -> None:
    position = PagePosition(value=value, id=POSITION.id)  # type: ignore[arg-type]

    assert codec.decode(codec.encode(position, QUERY), QUERY) == position


def test_a_cursor_is_url_safe_text(codec: CursorCodec) -> None:
    cursor = codec.encode(POSITION, QUERY)

    assert cursor.isascii()
    assert not set(cursor) & set("+/=")


def test_a_cursor_made_with_another_key_is_refused(codec: CursorCodec) -> None:
    cursor = CursorCodec(b"another-key").encode(POSITION, QUERY)

    with pytest.raises(InvalidCursor):
        codec.decode(cursor, QUERY)


@pytest.mark.parametrize(
    "index", [0, 15, 16, 30, -1], ids=["sig-start", "sig-end", "payload-start", "mid", "end"]
)
def test_a_cursor_with_one_bit_flipped_is_refused(codec: CursorCodec, index: int) -> None:
    tampered = flip_bit(codec.encode(POSITION, QUERY), index)

    with pytest.raises(InvalidCursor):
        codec.decode(tampered, QUERY)


def test_a_truncated_cursor_is_refused(codec: CursorCodec) -> None:
    cursor = codec.encode(POSITION, QUERY)

    with pytest.raises(InvalidCursor):
        codec.decode(cursor[:-4], QUERY)


@pytest.mark.parametrize("garbage", ["", "not-a-cursor", "!!!!", "abcde", "a=b", "é", "a" * 600])
def test_garbage_is_refused(codec: CursorCodec, garbage: str) -> None:
    with pytest.raises(InvalidCursor):
        codec.decode(garbage, QUERY)


def test_a_cursor_made_for_other_filters_is_refused(codec: CursorCodec) -> None:
    cursor = codec.encode(POSITION, fingerprint({"completed": None}))

    with pytest.raises(InvalidCursor, match="other filters"):
        codec.decode(cursor, fingerprint({"completed": True}))
