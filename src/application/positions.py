"""Manual order (issue 13): each task, and each list, holds a position, an opaque string that sorts
it among its siblings in byte order (so `COLLATE "C"` on PostgreSQL; SQLite compares bytes
already). Moving one writes one position, between its new neighbours', by fractional indexing (the
`fractional-indexing` library, the algorithm behind Figma's and Replicache's orderings): no sibling
is renumbered. Keys between ever closer neighbours grow longer, so a group whose new key would pass
MAX_POSITION_LENGTH is given fresh, evenly spread ones in its current order (a rebalance)."""

from __future__ import annotations

from fractional_indexing import generate_key_between, generate_n_keys_between

# Long enough that a rebalance is rare (a key gains a character about every five inserts at the
# same spot), short enough to index cheaply.
MAX_POSITION_LENGTH = 48


def position_between(before: str | None, after: str | None) -> str:
    """A position that sorts after `before` and before `after` (None: no bound on that side).
    `before` must sort before `after`."""
    return str(generate_key_between(before, after))


def fresh_positions(count: int) -> list[str]:
    """`count` positions in ascending order, short and evenly spread: for a new group (a
    migration) or a rebalance."""
    return [str(key) for key in generate_n_keys_between(None, None, count)] if count else []


def fitting_between(before: str | None, after: str | None) -> str | None:
    """A position between two neighbours' (None: no bound on that side), or None when the group
    needs a rebalance first: the neighbours tie, or the key would grow past MAX_POSITION_LENGTH."""
    if before is not None and after is not None and before >= after:
        return None
    position = position_between(before, after)
    return None if needs_rebalance(position) else position


def needs_rebalance(position: str) -> bool:
    return len(position) > MAX_POSITION_LENGTH
