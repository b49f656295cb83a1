"""Network input features: ``encode(state) -> float32[C, n, n]`` from the side to move's view.

Every plane is addressed by name (``plane_index("legal")``); never hard-code an
index.  ``FEATURE_VERSION`` changes whenever the planes change; checkpoints and
data shards record it.  "Own" is always the color of the side to move *now*,
for every history step.  Plane order (``PLANES``, ``NUM_PLANES`` = 31)::

     0-7   own_t0 .. own_t7        own stones in the positions t, t-1, ..., t-7
     8-15  opp_t0 .. opp_t7        opponent stones, same steps (missing history: 0)
    16     ones                    constant 1: the zero padding then marks the edge
    17     black_to_play           constant 1 if Black is to move, else 0
    18-20  own_libs_1/_2/_3p       own stones whose group has 1, 2, 3+ liberties
    21-23  opp_libs_1/_2/_3p       the same for opponent stones
    24     ko                      the point the side to move may not take (simple ko)
    25     legal                   legal moves of the side to move (superko included)
    26     komi                    constant effective komi (komi + White's handicap bonus) / 15, mover's view
    27     own_ladder_dead         own stones in atari that cannot escape a ladder
                                   (the side to move moving first)
    28     own_ladder_threat       own 2-liberty stones the opponent could capture in
                                   a ladder if it were the opponent's move
    29     opp_ladder_capturable   opponent 2-liberty stones the side to move captures
                                   in a ladder by playing atari now
    30     ladder_capture_move     the atari points that start such a working ladder

Ladders are read by an exact search in ``goagent.ladders`` (the attacker
plays atari only, the defender extends or captures a chasing group in atari;
simple ko is respected, superko and ko threats are not; a search past
``LADDER_BUDGET`` nodes counts the group as *not* captured, never seen in
real games; the tests compare with a plain reference reader).  Ladders cost
most of an encode, typically 20-60 us on a 19x19 middle game; ``ladders=False``
leaves their planes zero (for benchmarks: a network trained with them should
get them).  A caller encoding one position after another (the env) passes
the views of a ``ladders.new_context`` to ``fill_planes``, which carries
unchanged ladder answers over from one position to the next.

Storage: ``compact(state)`` returns a ``Compact`` (int8 stones of the last 8
positions, side to move, komi, ko point, legal mask), which is everything the
planes depend on; ``decode``/``decode_batch`` rebuild the exact planes from it,
and ``encode`` is ``decode(compact(state))``.  All per-point work is one Numba
kernel, ``fill_planes``.  Call ``warmup()`` at start-up (compiling takes tens of
seconds the first time; later runs load the cache).  Start reading at ``encode``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from goagent.coords import BLACK, WHITE
from goagent.ladders import (
    CAPTURABLE,
    CAPTURE_MOVE,
    DEAD,
    THREAT,
    boards_of,
    label_groups,
    ladder_planes,
    new_work,
)

FEATURE_VERSION = 1
HISTORY = 8
KOMI_SCALE = 15.0

PLANES: tuple[str, ...] = (
    *(f"own_t{i}" for i in range(HISTORY)),
    *(f"opp_t{i}" for i in range(HISTORY)),
    "ones",
    "black_to_play",
    "own_libs_1",
    "own_libs_2",
    "own_libs_3p",
    "opp_libs_1",
    "opp_libs_2",
    "opp_libs_3p",
    "ko",
    "legal",
    "komi",
    "own_ladder_dead",
    "own_ladder_threat",
    "opp_ladder_capturable",
    "ladder_capture_move",
)
NUM_PLANES = len(PLANES)
_INDEX = {name: i for i, name in enumerate(PLANES)}


def plane_index(name: str) -> int:
    """Index of the plane called ``name``; raises KeyError naming the known planes."""
    try:
        return _INDEX[name]
    except KeyError:
        raise KeyError(f"no feature plane {name!r}; planes are {', '.join(PLANES)}") from None


# Compile-time constants for the kernel (Numba freezes module globals).
_OWN0 = plane_index("own_t0")
_OPP0 = plane_index("opp_t0")
_ONES = plane_index("ones")
_BLACK_TO_PLAY = plane_index("black_to_play")
_OWN_LIBS = plane_index("own_libs_1")
_OPP_LIBS = plane_index("opp_libs_1")
_KO = plane_index("ko")
_LEGAL = plane_index("legal")
_KOMI = plane_index("komi")
_OWN_LADDER_DEAD = plane_index("own_ladder_dead")
# goagent.ladders writes the four ladder planes at these offsets from the first.
_LADDER_OFFSETS = [DEAD, THREAT, CAPTURABLE, CAPTURE_MOVE]
assert [plane_index(name) - _OWN_LADDER_DEAD for name in PLANES[-4:]] == _LADDER_OFFSETS


class Compact(NamedTuple):
    """Everything the planes depend on, small enough to store per training example."""

    stones: np.ndarray  # int8[8, n, n]: EMPTY/BLACK/WHITE, newest first, zeros where no history
    to_play: int  # BLACK or WHITE
    komi: float
    ko: int  # action the side to move may not play by simple ko, -1 if none
    legal: np.ndarray  # bool[n*n]: legal moves of the side to move, superko included


# --------------------------------------------------------------------------
# Kernels.  Groups and ladders are goagent.ladders' business; here the planes
# that need no search.  ``ctx`` below is ``(words, work, moves, meta, sc,
# cache, pool)`` from ``ladders.new_work`` or ``ladders.context_views``.
# Kernels that create no array run without Numba's reference counting
# (``_nrt=False``, see goagent.ladders).
# --------------------------------------------------------------------------


@njit(cache=True, _nrt=False)
def _simple_planes(stones, me, komi, ko, legal, out):
    """Every plane but the liberty and ladder ones, which are left zero.

    Each plane is written once, zeros included: cheaper than clearing
    ``out`` first (this runs once per env step).
    """
    n = stones.shape[1]
    op = 3 - me
    depth = min(stones.shape[0], HISTORY)
    for h in range(depth):
        for r in range(n):
            for c in range(n):
                v = stones[h, r, c]
                out[_OWN0 + h, r, c] = 1.0 if v == me else 0.0
                out[_OPP0 + h, r, c] = 1.0 if v == op else 0.0
    for h in range(depth, HISTORY):
        out[_OWN0 + h] = 0.0
        out[_OPP0 + h] = 0.0
    out[_ONES] = 1.0
    out[_BLACK_TO_PLAY] = 1.0 if me == BLACK else 0.0
    out[_KOMI] = (komi if me == WHITE else -komi) / KOMI_SCALE
    out[_KO] = 0.0
    for r in range(n):
        for c in range(n):
            out[_LEGAL, r, c] = 1.0 if legal[r * n + c] else 0.0
    for i in range(_OWN_LIBS, _OPP_LIBS + 3):
        out[i] = 0.0
    for i in range(_OWN_LADDER_DEAD, NUM_PLANES):
        out[i] = 0.0
    if ko >= 0:
        out[_KO, ko // n, ko % n] = 1.0


@njit(cache=True, _nrt=False)
def fill_planes(stones, me, komi, ko, legal, out, ladders, ctx):
    """Write every plane of one position into ``out`` (float32[C, n, n]).

    ``stones`` int8[>=1, n, n] newest first, ``me`` the side to move, ``ko`` the
    action it may not play (or -1), ``legal`` its legal moves over actions
    (bool or 0/1, at least n*n long); ``ctx`` a context (see above).
    """
    n = stones.shape[1]
    words, work, moves, meta, sc, cache, pool = ctx
    _simple_planes(stones, me, komi, ko, legal, out)
    boards = boards_of(words)
    ngroups = label_groups(boards, work, sc, stones[0], me, out, _OWN_LIBS, _OPP_LIBS)
    if ladders:
        ko_p = (ko // n + 1) * (n + 2) + ko % n + 1 if ko >= 0 else -1
        ladder_planes(
            boards, words, work, moves, meta, sc, cache, pool, n, me, ko_p, ngroups, out, _OWN_LADDER_DEAD
        )


@njit(cache=True)
def _fill(stones, me, komi, ko, legal, out, ladders):
    fill_planes(stones, me, komi, ko, legal, out, ladders, new_work(stones.shape[-1], ladders))


@njit(cache=True)
def _fill_batch(stones, to_play, komi, ko, legal, out, ladders):
    ctx = new_work(stones.shape[-1], ladders)
    for i in range(stones.shape[0]):
        fill_planes(stones[i], to_play[i], komi[i], ko[i], legal[i], out[i], ladders, ctx)


# --------------------------------------------------------------------------
# Public API.
# --------------------------------------------------------------------------


def compact(state, legal: np.ndarray | None = None) -> Compact:
    """The small arrays ``decode`` rebuilds the planes from.

    ``legal`` (``bool[n*n+1]`` or ``[n*n]``) saves recomputing ``state.legal_mask()``
    when the caller has it already.
    """
    n = state.size
    stones = np.zeros((HISTORY, n, n), np.int8)
    for i, past in enumerate(state.recent_boards(HISTORY)):
        stones[i] = past
    if legal is None:
        legal = state.legal_mask()
    legal = np.asarray(legal, np.bool_)[: n * n]
    ko = state.board.ko_point(state.to_play)
    return Compact(stones, int(state.to_play), float(state.effective_komi), ko, legal)


def decode(c: Compact, ladders: bool = True) -> np.ndarray:
    """The planes (``float32[C, n, n]``) of a ``Compact``."""
    n = c.stones.shape[-1]
    out = np.empty((NUM_PLANES, n, n), np.float32)
    legal = np.ascontiguousarray(c.legal, np.bool_).reshape(-1)
    stones = np.ascontiguousarray(c.stones, np.int8)
    _fill(stones, int(c.to_play), float(c.komi), int(c.ko), legal, out, bool(ladders))
    return out


def decode_batch(
    stones: np.ndarray,
    to_play: np.ndarray,
    komi: np.ndarray,
    ko: np.ndarray,
    legal: np.ndarray,
    ladders: bool = True,
) -> np.ndarray:
    """Planes ``float32[B, C, n, n]`` from stacked ``Compact`` fields (as stored in shards).

    ``stones`` int8[B, 8, n, n], ``to_play``/``ko`` int[B], ``komi`` float[B],
    ``legal`` bool[B, n*n].
    """
    stones = np.ascontiguousarray(stones, np.int8)
    batch, n = stones.shape[0], stones.shape[-1]
    out = np.empty((batch, NUM_PLANES, n, n), np.float32)
    _fill_batch(
        stones,
        np.ascontiguousarray(to_play, np.int64),
        np.ascontiguousarray(komi, np.float64),
        np.ascontiguousarray(ko, np.int64),
        np.ascontiguousarray(legal, np.bool_).reshape(batch, -1),
        out,
        bool(ladders),
    )
    return out


def encode(state, legal: np.ndarray | None = None, ladders: bool = True) -> np.ndarray:
    """``float32[C, n, n]`` planes of ``state`` for the side to move (see module docstring)."""
    return decode(compact(state, legal), ladders)


def encode_batch(states, ladders: bool = True) -> np.ndarray:
    """``float32[B, C, n, n]`` for states of one board size."""
    sizes = {s.size for s in states}
    if len(sizes) != 1:
        raise ValueError(f"encode_batch needs states of one board size, got sizes {sorted(sizes)}")
    packed = [compact(s) for s in states]
    return decode_batch(
        np.stack([c.stones for c in packed]),
        np.array([c.to_play for c in packed]),
        np.array([c.komi for c in packed]),
        np.array([c.ko for c in packed]),
        np.stack([c.legal for c in packed]),
        ladders,
    )


def warmup() -> None:
    """Compile (or load from the cache) every kernel, so the first real encode is fast."""
    stones = np.zeros((HISTORY, 3, 3), np.int8)
    stones[0, 0, 0] = BLACK
    stones[0, 0, 1] = WHITE
    legal = np.ones(9, np.bool_)
    decode(Compact(stones, BLACK, 7.5, -1, legal))
    decode_batch(stones[None], np.array([WHITE]), np.array([7.5]), np.array([-1]), legal[None])
