"""Who owns each point at the end of a counted game record: the SL ownership target.

A record's final board keeps its dead stones (players pass and mark them), so
the board as recorded says a dead stone belongs to its own colour.  A network
trained on that learns the same, and cannot help find dead stones later.  This
module takes the dead stones off first, choosing the dead set in this order of
trust:

1. ``markup``: the record's own count (KGS writes ``TB``/``TW`` into a scored
   game's last node): a stone on the other colour's marked territory is dead.
2. ``finder``: ``goagent.dead_stones``, when counting with its dead set under
   the record's rules and komi gives exactly the recorded margin.
3. ``flipped``: the finder's set with one or two of its least certain groups
   (the leans nearest zero) judged the other way, when that gives the margin.
4. ``unmatched``: no such set: the finder's set as it is.

The owner map is then ``goagent.scoring.score``'s: live stones, the territory
they surround (dame, seki eyes and points to be filled neutral), dead stones'
points to the side that captured them.  Start reading at ``final_ownership``.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from sgfmill import sgf

from goagent.coords import BLACK, WHITE, sgfmill_to_action
from goagent.game import GameState
from goagent.scoring import score_state

# How many of the least certain groups the margin search may flip (one or two at a time).
FLIP_CANDIDATES = 6
LABELS = ("markup", "finder", "flipped", "unmatched")


def markup(data: bytes, size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(tb, tw)`` bool[n*n] from the last node carrying TB/TW, or None."""
    game = sgf.Sgf_game.from_bytes(data)
    for node in reversed(game.get_main_sequence()):
        if node.has_property("TB") or node.has_property("TW"):
            marks = []
            for prop in ("TB", "TW"):
                mask = np.zeros(size * size, bool)
                if node.has_property(prop):
                    for point in node.get(prop):
                        mask[sgfmill_to_action(point, size)] = True
                marks.append(mask)
            return marks[0], marks[1]
    return None


def markup_dead(colors: np.ndarray, tb: np.ndarray, tw: np.ndarray) -> np.ndarray:
    """The stones a TB/TW markup calls dead: each colour's stones on the other's marks."""
    return ((colors == WHITE) & tb) | ((colors == BLACK) & tw)


def final_dead(state: GameState, margin: float, marks=None) -> tuple[np.ndarray, str]:
    """The dead stones of a counted final ``state`` (rules and komi set) whose recorded
    Black-minus-White margin is ``margin``, and how they were found (``LABELS``)."""
    from goagent.dead_stones import dead_of, judged_groups

    if marks is not None:
        return markup_dead(state.board.to_array().reshape(-1), *marks), "markup"
    judged = judged_groups(state)
    dead = dead_of(judged, state.size)
    if score_state(state, dead).margin == margin:
        return dead, "finder"
    doubtful = sorted(judged, key=lambda group: abs(group[1]))[:FLIP_CANDIDATES]
    for count in (1, 2):
        for flip in combinations(doubtful, count):
            trial = dead.copy()
            for stones, _ in flip:
                trial[stones] = ~trial[stones]
            if score_state(state, trial).margin == margin:
                return trial, "flipped"
    return dead, "unmatched"


def final_ownership(state: GameState, margin: float, marks=None) -> tuple[np.ndarray, str]:
    """``int8[n*n]`` owner (BLACK/WHITE, 0 neutral) of a counted final position with its
    dead stones off (``final_dead``), and the label of how they were found."""
    dead, how = final_dead(state, margin, marks)
    return score_state(state, dead).owner.astype(np.int8), how


__all__ = ["FLIP_CANDIDATES", "LABELS", "final_dead", "final_ownership", "markup", "markup_dead"]
