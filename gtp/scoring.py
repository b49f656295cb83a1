"""End-of-game judgement for ``final_score`` and ``final_status_list``.

Ownership comes from the network when it has an ownership head, else from
random playouts (the Numba playout kernel, which never fills a player's own
eyes): the mean owner of each point over many playouts, +1 Black, -1 White.
A string of stones is dead when its mean ownership leans to the opponent.
The score is the Tromp-Taylor area count after removing dead stones, minus
komi (Black minus White, as ``GameState.score``).  Seki is not detected:
``seki`` lists are always empty.
"""

from __future__ import annotations

import numpy as np

from goagent.board import Board, new_rng
from goagent.coords import BLACK, EMPTY, WHITE, action_to_gtp
from goagent.game import GameState


def playout_ownership(state: GameState, playouts: int = 64, seed: int = 0) -> np.ndarray:
    """``float[n*n]`` mean owner of each point over random playouts (+1 Black, -1 White)."""
    rng = new_rng(seed)
    total = np.zeros(state.size * state.size, np.float64)
    max_moves = 3 * state.size * state.size
    for _ in range(playouts):
        board = state.board.copy()
        board.playout(state.to_play, max_moves, rng)
        owner = board.area()[2]
        total += (owner == BLACK).astype(np.float64) - (owner == WHITE)
    return total / max(playouts, 1)


def strings(colors: np.ndarray, size: int) -> list[list[int]]:
    """Connected strings of stones of one colour, each a sorted list of actions."""
    seen = np.zeros(size * size, bool)
    groups = []
    for start in np.flatnonzero(colors != EMPTY):
        if seen[start]:
            continue
        color = colors[start]
        stack, group = [int(start)], []
        seen[start] = True
        while stack:
            point = stack.pop()
            group.append(point)
            row, col = divmod(point, size)
            for r, c in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)):
                nb = r * size + c
                if 0 <= r < size and 0 <= c < size and not seen[nb] and colors[nb] == color:
                    seen[nb] = True
                    stack.append(nb)
        groups.append(sorted(group))
    return groups


def dead_strings(state: GameState, ownership_black: np.ndarray) -> list[list[int]]:
    """Strings whose mean ownership favours the opponent of their colour."""
    colors = state.board.to_array().reshape(-1)
    dead = []
    for group in strings(colors, state.size):
        sign = 1.0 if colors[group[0]] == BLACK else -1.0
        if sign * float(np.mean(ownership_black[group])) < 0.0:
            dead.append(group)
    return dead


def alive_strings(state: GameState, ownership_black: np.ndarray) -> list[list[int]]:
    dead = {tuple(g) for g in dead_strings(state, ownership_black)}
    colors = state.board.to_array().reshape(-1)
    return [g for g in strings(colors, state.size) if tuple(g) not in dead]


def final_score(state: GameState, ownership_black: np.ndarray) -> float:
    """Area score (Black minus White minus komi) with the dead stones taken off."""
    colors = state.board.to_array().reshape(-1).copy()
    for group in dead_strings(state, ownership_black):
        colors[group] = EMPTY
    black, white, _ = Board.from_array(colors.reshape(state.size, state.size)).area()
    return black - white - state.komi


def vertex_lines(groups: list[list[int]], size: int) -> str:
    """One line of GTP vertices per string (the format GNU Go answers with)."""
    return "\n".join(" ".join(action_to_gtp(a, size) for a in group) for group in groups)
