"""The game as ``goagent.env`` sees it: arrays, and one fused Numba call per move.

After every move the env needs the legal mask (positional superko included)
and the observation, ``features.encode`` of the new position.  Going through
``GameState`` costs a Python-level move with its history bookkeeping, a
fresh legal mask and a fresh encode.  ``EnvGame.play`` instead makes one
``_step`` call that plays the move on a ``Board``'s arrays, adds the new
position's hash to a set of every position so far, slides the buffer of
the last 8 positions, computes the legal mask and writes the planes with a
``ladders.new_context``, which reuses the ladder answers a move left
unchanged.  The kernels it calls are those of ``goagent.board`` and
``goagent.features``, so the rules and planes are theirs.

The ``GameState`` (``EnvGame.state``) is built on demand: the start state
plus the actions played since, replayed on first access after a move.  The
env itself never needs it on its hot path.

The kernels here create no array and run without Numba's reference counting
(``_nrt=False``, see ``goagent.ladders``).  Numba caches compiled kernels per
file and does not notice when a kernel called from another module changes:
after editing board.py, ladders.py or features.py, delete
``goagent/__pycache__/*.nb[ic]`` (CI starts clean).  Start reading at
``EnvGame.play``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from goagent import features
from goagent.board import (
    _colors,
    _ko_action,
    _legal_mask,
    _play_action,
    _rand_below,
    grow_position_set,
    position_set,
)
from goagent.coords import BLACK, EMPTY, WHITE
from goagent.game import GameState, format_result
from goagent.ladders import context_views, new_context

_DEPTH = features.HISTORY


@njit(cache=True, _nrt=False)
def _step(b, m, seen, superko, buffer, top, action, color, mask, mask_out, komi, ladders, arena, out):
    """``color`` plays ``action``; then the mask and (if ``out`` has planes) the planes
    of the position for the other color.  ``top[0]`` indexes the newest position in
    ``buffer`` (int8[16, n, n]): the 8 newest stay one slice, moved back every 8 moves."""
    _play_action(b, m, action, color, seen)
    t = top[0]
    if t == 0:  # move the 7 newest back to the end (element by element: no temporary)
        for i in range(_DEPTH - 2, -1, -1):
            for r in range(buffer.shape[1]):
                for c in range(buffer.shape[2]):
                    buffer[_DEPTH + 1 + i, r, c] = buffer[i, r, c]
        t = _DEPTH + 1
    t -= 1
    top[0] = t
    _colors(b, m, buffer[t])
    me = 3 - color
    _legal_mask(b, m, me, seen, superko, mask)
    for a in range(len(mask)):
        mask_out[a] = mask[a]
    if out.shape[0]:
        ko = _ko_action(m, me)
        ctx = context_views(arena, buffer.shape[1])
        features.fill_planes(buffer[t : t + _DEPTH], me, komi, ko, mask, out, ladders, ctx)


@njit(cache=True, _nrt=False)
def _planes(buffer, top, me, komi, ko, legal, ladders, arena, out):
    t = top[0]
    ctx = context_views(arena, buffer.shape[1])
    features.fill_planes(buffer[t : t + _DEPTH], me, komi, ko, legal, out, ladders, ctx)


_NO_PLANES = np.zeros((0, 1, 1), np.float32)


@njit(cache=True)
def draw_below(draws, k):
    """An int in ``[0, k)`` from the xorshift stream ``draws`` (uint64[1], advanced)."""
    return _rand_below(draws, k)


def new_draws(generator: np.random.Generator) -> np.ndarray:
    """A draw stream (uint64[1], never 0) seeded from a numpy Generator."""
    return np.array([generator.integers(1, 2**63)], np.uint64)


class EnvGame:
    """A game for the env: board arrays, superko set, recent positions, legal mask.

    ``mask`` (bool[n*n+1]) is the legal mask of the side to move, updated in
    place; ``mask_i8`` is a fresh int8 copy per move (``info["action_mask"]``).
    ``to_play``, ``passes`` and ``move_number`` are plain ints.
    """

    __slots__ = (
        "size",
        "komi",
        "superko",
        "ladders",
        "to_play",
        "passes",
        "move_number",
        "board",
        "mask",
        "mask_i8",
        "_seen",
        "_room",
        "_buffer",
        "_top",
        "_ctx",
        "_shape",
        "_state",
        "_actions",
        "_synced",
    )

    def __init__(self, state: GameState, ladders: bool):
        """Take over ``state`` (which must not be changed from outside afterwards)."""
        n = state.size
        self.size, self.komi, self.superko, self.ladders = n, state.komi, state.superko, ladders
        self.to_play, self.passes, self.move_number = state.to_play, state.passes, state.move_number
        self.board = state.board.copy()
        self._room = 2 * n * n  # moves before the superko set needs to grow
        history = state.recent_boards(state.move_number + 1)
        most = max(int(np.count_nonzero(board)) for board in history)
        self._seen = position_set(state.positions_seen(), most, self._room)
        self._buffer = np.zeros((2 * _DEPTH, n, n), np.int8)
        for i, board in enumerate(state.recent_boards(_DEPTH)):
            self._buffer[_DEPTH + i] = board
        self._top = np.array([_DEPTH], np.int64)
        b, m = self.board.arrays()
        self.mask = np.empty(n * n + 1, np.bool_)
        _legal_mask(b, m, self.to_play, self._seen, self.superko, self.mask)
        self.mask_i8 = self.mask.astype(np.int8)
        self._ctx = None  # the ladder cache and work arrays (one array), made on first use
        self._shape = (features.NUM_PLANES, n, n)
        self._state, self._actions, self._synced = state, [], 0

    @property
    def stones(self) -> np.ndarray:
        """``int8[8, n, n]``: the last 8 positions, newest first (zeros before the start)."""
        top = int(self._top[0])
        return self._buffer[top : top + _DEPTH]

    @property
    def state(self) -> GameState:
        """The ``GameState`` of the position, brought up to date on access."""
        if self._synced < len(self._actions):
            for action in self._actions[self._synced :]:
                self._state.play(action)
            self._synced = len(self._actions)
        return self._state

    def _context(self) -> np.ndarray:
        if self._ctx is None:
            self._ctx = new_context(self.size)
        return self._ctx

    def play(self, action: int, planes: bool = True) -> np.ndarray | None:
        """Play a legal ``action`` for the side to move; returns the planes of the new
        position for the new side to move (None with ``planes=False``)."""
        if self._room == 0:
            self._room = 2 * self.size**2
            self._seen = grow_position_set(self._seen, self._room)
        self._room -= 1
        out = np.empty(self._shape, np.float32) if planes else _NO_PLANES
        self.mask_i8 = np.empty(len(self.mask), np.int8)
        b, m = self.board.arrays()
        _step(
            b,
            m,
            self._seen,
            self.superko,
            self._buffer,
            self._top,
            action,
            self.to_play,
            self.mask,
            self.mask_i8,
            self.komi,
            self.ladders,
            self._ctx if self._ctx is not None else self._context(),
            out,
        )
        self._actions.append(action)
        self.move_number += 1
        self.passes = self.passes + 1 if action == self.size * self.size else 0
        self.to_play = WHITE if self.to_play == BLACK else BLACK
        return out if planes else None

    def planes(self, color: int | None = None) -> np.ndarray:
        """``float32[C, n, n]`` for the side to move, or as ``color`` sees it while waiting
        (then no move is legal and no ko binds it)."""
        n = self.size
        out = np.empty(self._shape, np.float32)
        if color is None or color == self.to_play:
            me, legal = self.to_play, self.mask
            ko = self.board.ko_point(me)
        else:
            me, ko, legal = color, -1, np.zeros(n * n + 1, np.bool_)
        _planes(self._buffer, self._top, me, self.komi, ko, legal, self.ladders, self._context(), out)
        return out

    def copy(self) -> EnvGame:
        """An independent copy (with an empty ladder cache)."""
        other = EnvGame.__new__(EnvGame)
        for name in ("size", "komi", "superko", "ladders", "to_play", "passes", "move_number", "_shape"):
            setattr(other, name, getattr(self, name))
        other.board = self.board.copy()
        other.mask, other.mask_i8 = self.mask.copy(), self.mask_i8
        other._seen, other._room = self._seen.copy(), self._room
        other._buffer, other._top = self._buffer.copy(), self._top.copy()
        other._ctx = None
        other._state, other._actions, other._synced = self._state.copy(), list(self._actions), self._synced
        return other

    def illegal_reason(self, action: int) -> str | None:
        return self.state.illegal_reason(action)

    def outcome(self) -> dict:
        """Tromp-Taylor count of the position: score, result string and winner."""
        black, white, _ = self.board.area()
        score = black - white - self.komi
        winner = BLACK if score > 0 else WHITE if score < 0 else EMPTY
        return {"score": score, "result": format_result(score), "winner": winner}
