"""Dead stones of a finished position, as GTP ``final_score`` needs them.

A finished game's record leaves its dead stones on the board.  Finding them is
the hard half of counting it (the count itself is ``goagent.scoring``).  This
module judges them the way engines without a life-and-death reader do, from
playouts, and averages in a network's ownership where the network learned
final boards with the dead stones off (``goagent.final_ownership``; a network
trained on the boards as recorded learned dead stones as alive and is not
asked).  The playouts have two things that matter in settled positions:

- **A playout policy that does not throw away live groups.**  Uniform random
  moves fill a group's own shared liberties and put big strings in self-atari,
  which kills living groups and seki; here a move is refused when it fills the
  player's own true eye or puts a string of ``BIG`` or more stones in atari
  without capturing, and a move answers the last one first: capture the
  string it left in atari, or save one's own string it put in atari (by
  extending to two liberties or capturing a neighbour).  Single stones may
  still go into atari: that is how a dead group's eyes get filled.
- **Both sides moving first**: half the playouts start with Black, half with
  White, so a string that lives only if its owner moves first (a real fight)
  is near zero ownership rather than decided by who happened to be to move.

Then per group (``groups``: strings of one colour that touch the same empty
region of one or two points, a connection or a shared eye, judged together so
that the strings of one group cannot be split between dead and alive): dead
when its mean ownership (the playouts', with a third of the network's where it
is asked) does not lean clearly to its owner (``THRESHOLD``), except
strings Benson's algorithm proves pass-alive (unconditionally alive: no
sequence of opponent moves can capture them), which are never dead.

``ownership`` gives the per-point mean (+1 Black, -1 White); ``dead_stones``
the judgement (``bool[n*n]``).  The kernels run on ``goagent.board``'s padded
field arrays (``Board.arrays``) with its move kernels; start reading at
``dead_stones``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from goagent.board import (
    _COLOR,
    _ELIST,
    _EPOS,
    _GSIZE,
    _HEAD,
    _KO,
    _LIBS,
    _N_EMPTY,
    _NEXT,
    _SIZE,
    _STRIDE,
    _area,
    _is_eye,
    _is_legal,
    _place,
    _rand_below,
    new_rng,
)
from goagent.coords import BLACK, EMPTY, WHITE
from goagent.game import GameState
from goagent.scoring import _adjacent, label_regions, union_root

# Strings of this many stones or more never go into self-atari in a playout.
BIG = 3
PLAYOUTS = 256  # both colours first, half each
# A group is dead when its owner's mean ownership is below this: a little above the
# even split, since the playouts lean to a weak group's owner (their policy will not
# put a string of BIG stones in self-atari, so an eyeless group often survives them).
THRESHOLD = 0.05
# A network's share of the ownership averaged with the playouts' (the rest).
NETWORK_WEIGHT = 1 / 3
# Strings touching one empty region of at most this many points are judged together.
LINK = 2


@njit(cache=True)
def _string_libs(b, h, w, stamp, mark, limit):
    """(distinct liberties of the string headed by h, up to ``limit``; one of them)."""
    count = 0
    lib = -1
    s = h
    while True:
        for q in (s - 1, s + 1, s - w, s + w):
            if b[_COLOR, q] == EMPTY and stamp[q] != mark:
                stamp[q] = mark
                count += 1
                lib = q
                if count >= limit:
                    return count, lib
        s = b[_NEXT, s]
        if s == h:
            break
    return count, lib


@njit(cache=True)
def _self_atari(b, m, p, c, stamp, mark, big):
    """True if c at p (legal) captures nothing and leaves a string of ``big`` or more
    stones with one liberty."""
    w = m[_STRIDE]
    o = 3 - c
    size = 1
    count = 0
    stamp[p] = mark  # p is no liberty of its own string
    for q in (p - 1, p + 1, p - w, p + w):
        cq = b[_COLOR, q]
        if cq == EMPTY:
            if stamp[q] != mark:
                stamp[q] = mark
                count += 1
        elif cq == o:
            h = b[_HEAD, q]
            k = 0
            for r in (p - 1, p + 1, p - w, p + w):
                if b[_COLOR, r] == o and b[_HEAD, r] == h:
                    k += 1
            if b[_LIBS, h] == k:
                return False  # it captures
    if count >= 2:
        return False
    for q in (p - 1, p + 1, p - w, p + w):
        if b[_COLOR, q] != c:
            continue
        h = b[_HEAD, q]
        if stamp[h] == mark:
            continue  # a string already counted (heads are stones, never stamped as liberties)
        stamp[h] = mark
        size += b[_GSIZE, h]
        # The stamps are shared, so this adds the string's liberties not counted yet.
        count += _string_libs(b, h, w, stamp, mark, 2 - count)[0]
        if count >= 2:
            return False
    return size >= big


@njit(cache=True)
def _answer(b, m, c, last, stamp, mark):
    """c's reply to the opponent's move at ``last``, or -1: capture the string it left in
    atari, else save a string of c's it put in atari.  Returns (point, mark used)."""
    w = m[_STRIDE]
    o = 3 - c
    if b[_COLOR, last] == o:
        mark += 1
        libs, lib = _string_libs(b, b[_HEAD, last], w, stamp, mark, 2)
        if libs == 1 and _is_legal(b, m, lib, c):
            return lib, mark
    for q in (last - 1, last + 1, last - w, last + w):
        if b[_COLOR, q] != c:
            continue
        h = b[_HEAD, q]
        mark += 1
        libs, lib = _string_libs(b, h, w, stamp, mark, 2)
        if libs != 1:
            continue
        # Capture a neighbour in atari (it gains liberties), else extend if that helps.
        s = h
        while True:
            for r in (s - 1, s + 1, s - w, s + w):
                if b[_COLOR, r] == o:
                    mark += 1
                    k, x = _string_libs(b, b[_HEAD, r], w, stamp, mark, 2)
                    if k == 1 and _is_legal(b, m, x, c):
                        return x, mark
            s = b[_NEXT, s]
            if s == h:
                break
        if _is_legal(b, m, lib, c):
            mark += 1
            if not _self_atari(b, m, lib, c, stamp, mark, 2):
                return lib, mark
    return -1, mark


@njit(cache=True)
def _playout(b, m, c, max_moves, rng, stamp, big):
    """One playout with the policy of the module docstring, until two passes."""
    w = m[_STRIDE]
    elist = b[_ELIST]
    epos = b[_EPOS]
    passes = 0
    moves = 0
    last = -1
    mark = 0
    stamp[:] = 0  # marks restart at 0: no stamp from an earlier playout may match one
    while moves < max_moves and passes < 2:
        p = -1
        if last >= 0:
            p, mark = _answer(b, m, c, last, stamp, mark)
        if p < 0:
            k = m[_N_EMPTY]
            while k > 0:
                i = _rand_below(rng, k)
                q = elist[i]
                if not _is_eye(b, q, c, w) and _is_legal(b, m, q, c):
                    mark += 1
                    if not _self_atari(b, m, q, c, stamp, mark, big):
                        p = q
                        break
                # Refuse q for this turn: swap it behind the candidate range.
                k -= 1
                other = elist[k]
                elist[i] = other
                epos[other] = i
                elist[k] = q
                epos[q] = k
        if p >= 0:
            _place(b, m, p, c)
            passes = 0
        else:
            passes += 1
            m[_KO] = -1
        last = p
        moves += 1
        c = 3 - c
    return moves


@njit(cache=True)
def _ownership(b, m, count, first, max_moves, rng, big, total):
    """Add each point's owner (+1 Black, -1 White) after ``count`` playouts to ``total``;
    ``first`` moves first (0: Black and White in turn)."""
    n = m[_SIZE]
    owner = np.empty(n * n, np.int8)
    stamp = np.zeros(b.shape[1], np.int64)
    bb = np.empty_like(b)
    mm = np.empty_like(m)
    for i in range(count):
        bb[:] = b
        mm[:] = m
        _playout(bb, mm, first if first else 1 + (i & 1), max_moves, rng, stamp, big)
        _area(bb, mm, owner)
        for a in range(n * n):
            if owner[a] == 1:
                total[a] += 1.0
            elif owner[a] == 2:
                total[a] -= 1.0


def ownership(state: GameState, playouts: int = PLAYOUTS, seed: int = 0, big: int = BIG) -> np.ndarray:
    """``float[n*n]``: mean owner of each point over ``playouts`` playouts (+1 Black, -1 White),
    Black moving first in half of them."""
    n = state.size
    total = np.zeros(n * n, np.float64)
    b, m = state.board.arrays()
    _ownership(b, m, playouts, 0, 3 * n * n, new_rng(seed), big, total)
    return total / max(playouts, 1)


def pass_alive(colors: np.ndarray, size: int, color: int) -> np.ndarray:
    """``bool[n*n]``: ``color``'s stones that Benson's algorithm proves unconditionally alive.

    Regions are the maximal connected sets of points without ``color``'s stones.
    A region is *vital* to a string when all its empty points are the string's
    liberties.  Repeatedly drop strings with fewer than two vital regions among
    the regions whose bordering strings all remain; what is left is pass-alive.
    """
    colors = np.asarray(colors, np.int8).reshape(-1)
    mine = np.where(colors == color, color, 0).astype(np.int8)  # other points: one "colour"
    labels, regions = label_regions(mine, size)
    chains = [i for i, r in enumerate(regions) if r.color == color]
    areas = [i for i, r in enumerate(regions) if r.color != color]
    libs = {}
    for i in chains:
        libs[i] = {q for p in regions[i].points for q in _adjacent(p, size) if colors[q] == EMPTY}
    vital = {}
    for j in areas:
        empties = [p for p in regions[j].points if colors[p] == EMPTY]
        vital[j] = {i for i in regions[j].neighbours if all(p in libs[i] for p in empties)}
    alive = set(chains)
    healthy = set(areas)
    while True:
        keep = {
            i for i in alive if sum(1 for j in regions[i].neighbours if j in healthy and i in vital[j]) >= 2
        }
        healthy = {j for j in healthy if all(i in keep for i in regions[j].neighbours)}
        if keep == alive:
            break
        alive = keep
    out = np.zeros(size * size, bool)
    for i in alive:
        out[list(regions[i].points)] = True
    return out


def groups(colors: np.ndarray, size: int, link: int = LINK) -> list[list[int]]:
    """Stones grouped for the judgement: strings of one colour joined where they touch
    the same empty region of at most ``link`` points (a connection point, a shared
    eye), each group a list of actions."""
    _, regions = label_regions(colors, size)
    parent = list(range(len(regions)))

    def root(i: int) -> int:
        return union_root(parent, i)

    for region in regions:
        if region.color != EMPTY or len(region.points) > link:
            continue
        for color in (BLACK, WHITE):
            joined = [j for j in region.neighbours if regions[j].color == color]
            for j in joined[1:]:
                parent[root(j)] = root(joined[0])
    members: dict[int, list[int]] = {}
    for i, region in enumerate(regions):
        if region.color != EMPTY:
            members.setdefault(root(i), []).extend(region.points)
    return list(members.values())


def judged_groups(
    state: GameState, playouts: int = PLAYOUTS, seed: int = 0, network: np.ndarray | None = None
) -> list[tuple[list[int], float]]:
    """Each group that may be dead: its stones that are not pass-alive, and its *lean*,
    the owner's mean ownership (below ``THRESHOLD``: dead).  ``network``: a network's
    ownership (float[n*n], Black positive) that learned dead stones, averaged in with
    the playouts' at ``NETWORK_WEIGHT`` (``goagent.inference.knows_dead_stones``;
    ``goagent.search.evaluation.dead_stone_ownership`` gives it)."""
    colors = state.board.to_array().reshape(-1)
    own = ownership(state, playouts, seed)
    if network is not None:
        own = (1 - NETWORK_WEIGHT) * own + NETWORK_WEIGHT * np.asarray(network, np.float64).reshape(-1)
    safe = pass_alive(colors, state.size, BLACK) | pass_alive(colors, state.size, WHITE)
    judged = []
    for idx in groups(colors, state.size):
        sign = 1.0 if colors[idx[0]] == BLACK else -1.0
        stones = [p for p in idx if not safe[p]]
        if stones:
            judged.append((stones, sign * float(own[idx].mean())))
    return judged


def dead_stones(
    state: GameState, playouts: int = PLAYOUTS, seed: int = 0, network: np.ndarray | None = None
) -> np.ndarray:
    """``bool[n*n]``: the stones to take off before counting ``state`` (see the module
    docstring; ``network`` as in ``judged_groups``)."""
    return dead_of(judged_groups(state, playouts, seed, network), state.size)


def dead_of(judged: list[tuple[list[int], float]], size: int) -> np.ndarray:
    """``bool[n*n]``: the stones of the ``judged_groups`` whose lean is below ``THRESHOLD``."""
    dead = np.zeros(size * size, bool)
    for stones, lean in judged:
        if lean < THRESHOLD:
            dead[stones] = True
    return dead


def warm() -> None:
    """Compile the kernels (a tiny position) so the first ``final_score`` does not wait."""
    dead_stones(GameState(5), 2)


__all__ = [
    "BIG", "LINK", "NETWORK_WEIGHT", "PLAYOUTS", "THRESHOLD",
    "dead_of", "dead_stones", "groups", "judged_groups", "ownership", "pass_alive", "warm",
]  # fmt: skip
