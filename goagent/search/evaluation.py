"""What the search asks of an evaluator, and the network-free one.

An ``Evaluator`` turns a batch of positions into priors over the ``n*n+1``
actions and values in [-1, 1] for the side to move (plus, optionally,
ownership and score).  Its public entry point is ``evaluate(states,
legal)``.  The search prefers faster entry points when an evaluator has
them: ``evaluate_planes(planes, legal)`` (``goagent.inference``: the search
encodes the leaves itself, in Numba) and ``evaluate_boards`` (below: the
playout evaluator plays from the scratch boards).  ``PlayoutEvaluator``
needs no network: uniform priors and the mean result of Numba random
playouts.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np
from numba import njit

from goagent.board import _playouts, new_rng, run_playouts
from goagent.coords import BLACK, EMPTY, WHITE
from goagent.game import GameState


class Evaluation(NamedTuple):
    """Evaluator output for B positions (actions: n*n+1, pass last)."""

    priors: np.ndarray  # float32 (B, n*n+1), zero on illegal moves, sums to 1
    values: np.ndarray  # float32 (B,), side to move, in [-1, 1]
    ownership: np.ndarray | None = None  # float32 (B, n*n), side to move, in [-1, 1]
    scores: np.ndarray | None = None  # float32 (B,), side to move's lead in points


class Evaluator(Protocol):
    def evaluate(self, states: list[GameState], legal: list[np.ndarray]) -> Evaluation:
        """Evaluate positions; ``legal[i]`` is ``states[i].legal_mask()``."""
        ...


@njit(cache=True)
def _board_playouts(boards, metas, colors, count, komi, rng, out):
    for i in range(boards.shape[0]):
        n = metas[i, 0]  # goagent.board's _SIZE slot
        black_wins, _, _ = _playouts(boards[i], metas[i], colors[i], count, 3 * n * n, komi, rng)
        black_value = 2.0 * black_wins / count - 1.0
        out[i] = black_value if colors[i] == BLACK else -black_value


class PlayoutEvaluator:
    """Uniform priors over legal moves; value = mean of Numba random playouts."""

    def __init__(self, playouts: int = 1, seed: int = 0):
        self.playouts = playouts
        self.rng = new_rng(seed)

    def evaluate(self, states: list[GameState], legal: list[np.ndarray]) -> Evaluation:
        priors = np.stack([m.astype(np.float32) / m.sum() for m in legal])
        values = np.empty(len(states), np.float32)
        for i, state in enumerate(states):
            black_wins, _, _ = run_playouts(
                state.board, state.to_play, self.playouts, state.effective_komi, self.rng
            )
            black_value = 2.0 * black_wins / self.playouts - 1.0
            values[i] = black_value if state.to_play == BLACK else -black_value
        return Evaluation(priors, values)

    def evaluate_boards(self, boards, metas, colors, komi: float, legal: np.ndarray) -> Evaluation:
        """The same from the search's scratch boards (``goagent.board`` arrays, copied here)."""
        legal = legal.astype(np.float32)
        priors = legal / legal.sum(axis=1, keepdims=True)
        values = np.empty(len(boards), np.float32)
        _board_playouts(boards, metas, colors.astype(np.int64), self.playouts, float(komi), self.rng, values)
        return Evaluation(priors, values)


def terminal_value(state: GameState) -> float:
    """+1/-1/0 for the side to move of a finished game, by Tromp-Taylor score."""
    winner = state.winner()
    if winner == EMPTY:
        return 0.0
    return 1.0 if winner == state.to_play else -1.0


def evaluator_for(evaluator, size: int):
    """The evaluator that plays ``size``: a ``ShippedEvaluator``'s network for that size
    (``for_size``), any other evaluator itself."""
    return evaluator.for_size(size) if hasattr(evaluator, "for_size") else evaluator


def dead_stone_ownership(evaluator, state: GameState) -> np.ndarray | None:
    """``state``'s ownership (float[n*n], Black positive) by ``evaluator``'s network for
    its board size, if that network learned dead stones (``knows_dead_stones``, set by
    ``goagent.inference``), else None: what ``goagent.dead_stones`` may average in.

    Averaged over the eight symmetries and over both sides to move: a count must not
    depend on an orientation drawn at random or on whose turn the record ended on
    (measured on the counted KGS games: docs/BENCHMARKS.md, "99% of winners")."""
    target = evaluator_for(evaluator, state.size)
    if not getattr(target, "knows_dead_stones", False):
        return None
    other = state.copy()
    other.set_to_play(WHITE if state.to_play == BLACK else BLACK)
    both = [state, other]
    out = target.evaluate(both, [s.legal_mask() for s in both], symmetries="average")
    if out.ownership is None:
        return None
    signs = np.array([1.0 if s.to_play == BLACK else -1.0 for s in both])[:, None]
    return (np.asarray(out.ownership, np.float64) * signs).mean(axis=0)
