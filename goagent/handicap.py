"""Where handicap stones go: fixed (GTP star points) or free placement.

``fixed_handicap`` is ``goagent.game.fixed_handicap`` (GTP spec 4.1.1).
``free_placement`` is what goagent answers to ``place_free_handicap``, in GTP
and in matches: the fixed layout where it is defined; beyond it (more
stones, or boards too small for a fixed layout), each further stone goes on
the empty point farthest from every stone so far (Chebyshev distance, ties
broken toward the centre), which spreads them out.
"""

from __future__ import annotations

from goagent.coords import action_to_gtp
from goagent.game import fixed_handicap

__all__ = ["fixed_handicap", "free_placement", "vertices"]


def _fixed_part(size: int, stones: int) -> list[int]:
    for count in range(min(stones, 9), 1, -1):
        try:
            return fixed_handicap(size, count)
        except ValueError:
            continue
    return []


def free_placement(size: int, stones: int) -> list[int]:
    """``stones`` distinct points (2 <= stones < size*size) for Black's handicap."""
    if not 2 <= stones < size * size:
        raise ValueError(f"cannot place {stones} handicap stones on a {size}x{size} board")
    chosen = _fixed_part(size, stones)
    centre = (size - 1) / 2
    while len(chosen) < stones:
        taken = set(chosen)
        stones_at = [divmod(a, size) for a in chosen]
        best, best_key = -1, None
        for action in range(size * size):
            if action in taken:
                continue
            row, col = divmod(action, size)
            gap = min((max(abs(row - r), abs(col - c)) for r, c in stones_at), default=size)
            key = (gap, -abs(row - centre) - abs(col - centre), -action)
            if best_key is None or key > best_key:
                best, best_key = action, key
        chosen.append(best)
    return chosen


def vertices(actions: list[int], size: int) -> list[str]:
    return [action_to_gtp(a, size) for a in actions]
