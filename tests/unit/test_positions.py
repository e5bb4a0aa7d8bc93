"""Manual order by fractional positions: any sequence of moves keeps a sibling group totally ordered,
in the order the moves asked for, with positions that stay short."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fractional_indexing import validate_order_key
from hypothesis import given, settings
from hypothesis import strategies as st

from application.positions import (
    MAX_POSITION_LENGTH,
    fitting_between,
    fresh_positions,
    needs_rebalance,
    position_between,
)
from domain.task import position_at

# A move: which item (by its index in the current order) goes to which index among the others.
moves = st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0)), max_size=300)


def apply_moves(count: int, wanted_moves: list[tuple[int, int]]) -> tuple[list[str], dict[str, str], int]:
    """Play the moves as the service would (one position written per move, a rebalance when a key
    would grow too long); the expected order, the positions, and how many rebalances there were."""
    order = [f"item {n}" for n in range(count)]
    position = dict(zip(order, fresh_positions(count), strict=True))
    rebalances = 0
    for which, where in wanted_moves:
        if not order:
            break
        item = order.pop(which % len(order))
        index = where % (len(order) + 1)
        siblings = [position[other] for other in order]
        before = siblings[index - 1] if index > 0 else None
        new = position_between(before, siblings[index] if index < len(siblings) else None)
        order.insert(index, item)
        if needs_rebalance(new):
            position = dict(zip(order, fresh_positions(len(order)), strict=True))
            rebalances += 1
        else:
            position[item] = new
    return order, position, rebalances


@settings(max_examples=200, deadline=None)
@given(count=st.integers(min_value=0, max_value=30), wanted_moves=moves)
def test_any_sequence_of_moves_keeps_the_group_in_the_order_asked_for_with_short_keys(
    count: int, wanted_moves: list[tuple[int, int]]
) -> None:
    order, position, _ = apply_moves(count, wanted_moves)

    assert sorted(order, key=lambda item: position[item].encode()) == order  # byte order, as stored
    assert len(set(position.values())) == len(order)
    assert all(len(key) <= MAX_POSITION_LENGTH for key in position.values())


def test_moving_to_the_same_spot_again_and_again_rebalances_rarely() -> None:
    """The worst case for key length: each move lands between the same two neighbours."""
    moves_between_the_first_two = [(5, 1)] * 1000

    order, position, rebalances = apply_moves(10, moves_between_the_first_two)

    assert sorted(order, key=lambda item: position[item]) == order
    assert 0 < rebalances <= 1000 // 100


@given(count=st.integers(min_value=1, max_value=2000))
def test_fresh_positions_are_ascending_distinct_and_short(count: int) -> None:
    keys = fresh_positions(count)

    assert keys == sorted(keys)
    assert len(set(keys)) == count
    assert max(len(key) for key in keys) <= 4


def test_a_position_between_two_sorts_between_them_and_none_means_no_bound() -> None:
    first, second = fresh_positions(2)

    middle = position_between(first, second)

    assert first < middle < second
    assert position_between(None, first) < first
    assert position_between(second, None) > second
    assert fresh_positions(0) == []


# --- A new task's position, made from its creation time (domain.task.position_at) ---

moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2300, 1, 1), timezones=st.just(UTC))


@given(earlier=moments, later=moments)
def test_a_task_made_later_sorts_after_one_made_earlier(earlier: datetime, later: datetime) -> None:
    if earlier > later:
        earlier, later = later, earlier

    first, second = position_at(earlier), position_at(later)

    assert (first < second) == (earlier < later)
    assert first == second or earlier != later
    assert len(first) == 10


@given(moment=moments)
def test_a_time_made_position_is_a_key_moves_can_place_around(moment: datetime) -> None:
    key = position_at(moment)

    validate_order_key(key)  # the library's own check: a move can put keys before, after, between
    assert position_between(None, key) < key < position_between(key, None)
    assert position_between(key, position_at(moment + timedelta(microseconds=2))) > key


def test_every_rebalanced_position_sorts_before_any_time_made_one() -> None:
    """After a rebalance a group holds short keys; a task made afterwards must still go last."""
    rebalanced = fresh_positions(2000)

    assert max(rebalanced) < position_at(datetime(1970, 1, 1, tzinfo=UTC))


def test_neighbours_that_tie_or_a_key_too_long_ask_for_a_rebalance() -> None:
    first, second = fresh_positions(2)

    assert first < (fitting_between(first, second) or "") < second
    assert fitting_between(first, first) is None
    assert fitting_between(second, first) is None
    assert fitting_between(first + "z" * MAX_POSITION_LENGTH, first + "z" * MAX_POSITION_LENGTH + "V") is None
