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
    26     komi                    constant komi / 15 from the mover's view (+ for White)
    27     own_ladder_dead         own stones in atari that cannot escape a ladder
                                   (the side to move moving first)
    28     own_ladder_threat       own 2-liberty stones the opponent could capture in
                                   a ladder if it were the opponent's move
    29     opp_ladder_capturable   opponent 2-liberty stones the side to move captures
                                   in a ladder by playing atari now
    30     ladder_capture_move     the atari points that start such a working ladder

Ladders are read by an exact search (``_ladder``): the attacker may only play
atari on the target's liberties, the defender may extend at its last liberty
or capture any attacker group next to the target that is in atari; simple ko
is respected, superko and ko threats are not.  A search that runs past
``LADDER_BUDGET`` nodes counts the group as *not* captured (never seen in
real games; the tests compare with a plain reference reader).  Ladders cost
most of an encode, typically 20-60 us on a 19x19 middle game; ``ladders=False``
leaves their planes zero (for benchmarks: a network trained with them should
get them).

Storage: ``compact(state)`` returns a ``Compact`` (int8 stones of the last 8
positions, side to move, komi, ko point, legal mask), which is everything the
planes depend on; ``decode``/``decode_batch`` rebuild the exact planes from it,
and ``encode`` is ``decode(compact(state))``.  All per-point work is one Numba
kernel, ``_fill``.  Call ``warmup()`` at start-up (compiling takes tens of
seconds the first time; later runs load the cache).  Start reading at ``encode``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from goagent.coords import BLACK, EMPTY, WHITE

FEATURE_VERSION = 1
HISTORY = 8
KOMI_SCALE = 15.0
LADDER_BUDGET = 500  # search nodes per ladder question

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
_OWN_LADDER_THREAT = plane_index("own_ladder_threat")
_OPP_LADDER = plane_index("opp_ladder_capturable")
_LADDER_MOVE = plane_index("ladder_capture_move")
_BORDER = 3
_ILLEGAL = -2


class Compact(NamedTuple):
    """Everything the planes depend on, small enough to store per training example."""

    stones: np.ndarray  # int8[8, n, n]: EMPTY/BLACK/WHITE, newest first, zeros where no history
    to_play: int  # BLACK or WHITE
    komi: float
    ko: int  # action the side to move may not play by simple ko, -1 if none
    legal: np.ndarray  # bool[n*n]: legal moves of the side to move, superko included


# --------------------------------------------------------------------------
# Kernels.  Boards are padded int8 rows: point (r, c) at (r + 1) * W + c + 1,
# W = n + 2, the frame holds _BORDER.  Work arrays are 2-D and indexed by
# (row, point) rather than handed around as row views: fewer array objects
# for Numba to create and reference-count in the inner loops.
#
#   boards int8[D, 8K] and words uint64[D, K], the same memory: the position
#       at each depth of a ladder search (row 0: the current position),
#       copied a word at a time;
#   work int64[5, W*W]: rows _MARK (flood-fill stamps), _SEEN (stamps of
#       the attacker groups checked), _MEMBERS (stones of the last fill),
#       _TARGET (stones of the target), _ROOTLIBS (see below);
#   moves int64[D, _MAX_MOVES]: the moves to try at each depth;
#   meta int64[D, 5]: per depth _NMOVES, _NEXT (the next move to try), _KOPT
#       (the ko point binding the player to move), _BOUND (below), _PLAYED
#       (the ko result of the first move if row d + 1 already holds it, else
#       _NOT_PLAYED);
#   sc int64[5]: _STAMP, _SCAN, _LIB0 and _LIB1 (the first two liberties
#       found by the last fill), _BUDGET (search nodes left).
#
# Most liberty questions in a search are about big groups away from the
# fight.  _ROOTLIBS holds each stone's group liberties in row 0 (0 on empty
# points).  While no stone has been captured on the searched line, a group
# holding a root stone has lost at most one liberty per move played, so
# rootlibs - moves bounds its liberties from below and most flood fills are
# skipped.  _BOUND holds the moves played, or _NO_BOUND after a capture.
# --------------------------------------------------------------------------

_MARK, _SEEN, _MEMBERS, _TARGET, _ROOTLIBS = range(5)
_NMOVES, _NEXT, _KOPT, _BOUND, _PLAYED = range(5)
_STAMP, _SCAN, _LIB0, _LIB1, _BUDGET = range(5)
_MAX_MOVES = 16  # defender options per node; a node with more counts as an escape
_NO_BOUND = 1 << 40
_NOT_PLAYED = -3


@njit(cache=True)
def _group(boards, d, p, w, work, into, sc, max_libs):
    """Flood-fill the group at p of ``boards[d]``: returns (size, liberties).

    The stones go to ``work[into, :size]``, the first two liberties to
    ``sc[_LIB0]`` and ``sc[_LIB1]``.  The fill stops once ``max_libs``
    liberties are found (the size is then partial): most questions are
    "none?", "one?" or "three or more?".
    """
    sc[_STAMP] += 1
    s = sc[_STAMP]
    c = boards[d, p]
    work[_MARK, p] = s
    work[into, 0] = p
    head = 0
    tail = 1
    nlibs = 0
    while head < tail:
        q = work[into, head]
        head += 1
        for r in (q - 1, q + 1, q - w, q + w):
            if work[_MARK, r] == s:
                continue
            cr = boards[d, r]
            if cr == c:
                work[_MARK, r] = s
                work[into, tail] = r
                tail += 1
            elif cr == EMPTY:
                work[_MARK, r] = s
                if nlibs < 2:
                    sc[_LIB0 + nlibs] = r
                nlibs += 1
                if nlibs >= max_libs:
                    return tail, nlibs
    return tail, nlibs


@njit(cache=True)
def _remove(boards, d, p, w, work):
    """Take the group at p off ``boards[d]``; returns the stones removed."""
    c = boards[d, p]
    boards[d, p] = EMPTY
    work[_MEMBERS, 0] = p
    top = 1
    count = 0
    while top > 0:
        top -= 1
        q = work[_MEMBERS, top]
        count += 1
        for r in (q - 1, q + 1, q - w, q + w):
            if boards[d, r] == c:
                boards[d, r] = EMPTY
                work[_MEMBERS, top] = r
                top += 1
    return count


@njit(cache=True)
def _open(boards, d, p, exclude, w):
    """Empty neighbours of p other than ``exclude``.

    Three of them around a target's last liberty mean extending there escapes
    (three liberties at least): the search skips such lines without playing them.
    """
    k = 0
    for q in (p - 1, p + 1, p - w, p + w):
        if q != exclude and boards[d, q] == EMPTY:
            k += 1
    return k


@njit(cache=True)
def _play(boards, d, p, c, ko, w, work, sc, moves):
    """c plays at p on ``boards[d]``; ``moves`` is the bound after this move (see above).

    Returns ``(ko point binding the next mover or -1, stones captured)``, or
    ``(_ILLEGAL, 0)`` for an occupied point, the ko point or suicide (the
    board is then garbage).  Same rules as ``goagent.board``: simple ko after
    a single-stone capture by a lone stone left with one liberty.
    """
    if boards[d, p] != EMPTY or p == ko:
        return _ILLEGAL, 0
    boards[d, p] = c
    o = 3 - c
    captured = 0
    last = -1
    for q in (p - 1, p + 1, p - w, p + w):
        if boards[d, q] != o or _open(boards, d, q, -1, w) or work[_ROOTLIBS, q] > moves:
            continue  # surely keeps a liberty
        if _group(boards, d, q, w, work, _MEMBERS, sc, 1)[1] == 0:
            captured += _remove(boards, d, q, w, work)
            last = q
    if captured == 0:
        if _open(boards, d, p, -1, w):
            return -1, 0
        for q in (p - 1, p + 1, p - w, p + w):
            if boards[d, q] == c and work[_ROOTLIBS, q] > moves:
                return -1, 0
        if _group(boards, d, p, w, work, _MEMBERS, sc, 1)[1] == 0:
            return _ILLEGAL, 0
        return -1, 0
    if captured == 1:
        lone = True
        empties = 0
        for q in (p - 1, p + 1, p - w, p + w):
            if boards[d, q] == c:
                lone = False
            elif boards[d, q] == EMPTY:
                empties += 1
        if lone and empties == 1:
            return last, 1
    return -1, captured


@njit(cache=True)
def _play_child(boards, words, work, meta, sc, d, p, c, ko, w):
    """Copy depth d to d + 1 and play there; returns the ko point or _ILLEGAL."""
    for i in range(words.shape[1]):
        words[d + 1, i] = words[d, i]
    bound = meta[d, _BOUND] + 1
    k, captured = _play(boards, d + 1, p, c, ko, w, work, sc, bound)
    meta[d + 1, _BOUND] = _NO_BOUND if captured else bound
    return k


@njit(cache=True)
def _expand_attacker(boards, words, work, moves, meta, sc, d, g, ko, w):
    """Attacker to move at depth d: returns 0 or 1 for a leaf (captured?), 2 with moves to try."""
    _, nl = _group(boards, d, g, w, work, _TARGET, sc, 3)
    if nl == 1:
        attacker = 3 - boards[d, g]
        taken = _play_child(boards, words, work, meta, sc, d, sc[_LIB0], attacker, ko, w)
        return 0 if taken == _ILLEGAL else 1
    if nl != 2:
        return 0
    # Atari at one liberty leaves the defender the other one to extend to.
    l0 = sc[_LIB0]
    l1 = sc[_LIB1]
    open0 = _open(boards, d, l1, l0, w)  # room at l1 after an atari at l0
    open1 = _open(boards, d, l0, l1, w)
    if open1 < open0:  # try the tighter atari first: that is where ladders work
        l0, l1 = l1, l0
        open0, open1 = open1, open0
    nm = 0
    if open0 < 3:
        moves[d, nm] = l0
        nm += 1
    if open1 < 3:
        moves[d, nm] = l1
        nm += 1
    meta[d, _NMOVES] = nm
    return 2 if nm else 0


@njit(cache=True)
def _expand_defender(boards, words, work, moves, meta, sc, d, g, ko, w):
    """Defender to move at depth d: as ``_expand_attacker``.

    A target that does not have exactly one liberty is a leaf "not captured":
    that is also how an attacker move that is no atari ends.
    """
    defender = boards[d, g]
    attacker = 3 - defender
    size, nl = _group(boards, d, g, w, work, _TARGET, sc, 3)
    if nl != 1:
        return 0
    extend = sc[_LIB0]
    if _open(boards, d, extend, -1, w) >= 3:
        return 0
    # Most lines end with an extension to three liberties: check that before
    # looking for captures.  Row d + 1 keeps the extension for the search.
    extended = _play_child(boards, words, work, meta, sc, d, extend, defender, ko, w)
    if extended != _ILLEGAL and _group(boards, d + 1, g, w, work, _MEMBERS, sc, 3)[1] >= 3:
        return 0
    meta[d, _PLAYED] = extended
    # The options: extend, or capture an attacker group in atari next to g.
    moves[d, 0] = extend
    nm = 1
    bound = meta[d, _BOUND]
    sc[_SCAN] += 1
    scan = sc[_SCAN]
    for i in range(size):
        s = work[_TARGET, i]
        for r in (s - 1, s + 1, s - w, s + w):
            if boards[d, r] != attacker or work[_SEEN, r] == scan:
                continue
            if _open(boards, d, r, -1, w) >= 2 or work[_ROOTLIBS, r] - bound >= 2:
                continue  # surely two liberties
            asize, anl = _group(boards, d, r, w, work, _MEMBERS, sc, 2)
            for j in range(asize):
                work[_SEEN, work[_MEMBERS, j]] = scan
            if anl != 1:
                continue
            new = True
            for j in range(nm):
                if moves[d, j] == sc[_LIB0]:
                    new = False
            if new:
                if nm == _MAX_MOVES:
                    return 0
                moves[d, nm] = sc[_LIB0]
                nm += 1
    meta[d, _NMOVES] = nm
    return 2


@njit(cache=True)
def _expand(boards, words, work, moves, meta, sc, d, g, ko, attacker_turn, w):
    """Set up the node at depth d: 0 or 1 for a leaf (captured?), 2 with moves to try."""
    sc[_BUDGET] -= 1
    if sc[_BUDGET] < 0 or d + 1 >= boards.shape[0]:
        return 0
    meta[d, _NEXT] = 0
    meta[d, _KOPT] = ko
    meta[d, _PLAYED] = _NOT_PLAYED
    if attacker_turn:
        return _expand_attacker(boards, words, work, moves, meta, sc, d, g, ko, w)
    return _expand_defender(boards, words, work, moves, meta, sc, d, g, ko, w)


@njit(cache=True)
def _ladder(boards, words, work, moves, meta, sc, d0, g, ko, attacker_turn, w):
    """True if the group on point g of ``boards[d0]`` is captured in a ladder.

    ``ko`` binds the player to move.  The attacker only plays atari; the
    defender extends or captures an adjacent attacker group in atari.  An
    explicit AND/OR depth-first search (Numba cannot cache recursion): an
    attacker node is captured if some child is, a defender node if every
    legal child is.  Running out of budget or depth answers "not captured".
    """
    status = _expand(boards, words, work, moves, meta, sc, d0, g, ko, attacker_turn, w)
    if status != 2:
        return status == 1
    defender = boards[d0, g]
    d = d0
    while True:
        att = (d - d0) % 2 == (0 if attacker_turn else 1)
        i = meta[d, _NEXT]
        if i < meta[d, _NMOVES]:
            meta[d, _NEXT] = i + 1
            if i == 0 and meta[d, _PLAYED] != _NOT_PLAYED:
                k2 = meta[d, _PLAYED]  # already on row d + 1
            else:
                mover = 3 - defender if att else defender
                k2 = _play_child(boards, words, work, meta, sc, d, moves[d, i], mover, meta[d, _KOPT], w)
            if k2 == _ILLEGAL:
                continue
            status = _expand(boards, words, work, moves, meta, sc, d + 1, g, k2, not att, w)
            if status == 2:
                d += 1
                continue
            value = status == 1
        else:
            value = not att  # all tried: a defender node is captured, an attacker node is not
            if d == d0:
                return value
            d -= 1
        # `value` is a child's answer for node d: settle node d or try its next move.
        while True:
            att = (d - d0) % 2 == (0 if attacker_turn else 1)
            if value != att:
                break
            if d == d0:
                return value
            d -= 1


@njit(cache=True)
def _ladders(boards, words, work, moves, meta, sc, n, me, ko, labels, heads, glibs, ngroups, out):
    """Fill the four ladder planes for the side to move ``me`` (``ko`` padded, or -1)."""
    w = n + 2
    for r in range(n):
        for c in range(n):
            if labels[r, c] >= 0:
                work[_ROOTLIBS, (r + 1) * w + c + 1] = glibs[labels[r, c]]
    meta[0, _BOUND] = 0
    op = 3 - me
    gplane = np.full(ngroups, -1, np.int64)  # the ladder plane to mark on each group's stones
    for gi in range(ngroups):
        g = heads[gi]
        color = boards[0, g]
        nl = glibs[gi]
        if nl > 2 or (color == op and nl == 1):
            continue
        sc[_BUDGET] = LADDER_BUDGET
        if color == me and nl == 1:
            if _ladder(boards, words, work, moves, meta, sc, 0, g, ko, False, w):
                gplane[gi] = _OWN_LADDER_DEAD
        elif color == me:
            # As if the opponent were to move: today's ko does not bind it.
            if _ladder(boards, words, work, moves, meta, sc, 0, g, -1, True, w):
                gplane[gi] = _OWN_LADDER_THREAT
        else:
            _group(boards, 0, g, w, work, _MEMBERS, sc, 3)
            l0 = sc[_LIB0]
            l1 = sc[_LIB1]
            for atari, other in ((l0, l1), (l1, l0)):
                if _open(boards, 0, other, atari, w) >= 3:
                    continue
                k2 = _play_child(boards, words, work, meta, sc, 0, atari, me, ko, w)
                if k2 == _ILLEGAL:
                    continue
                sc[_BUDGET] = LADDER_BUDGET
                if _ladder(boards, words, work, moves, meta, sc, 1, g, k2, False, w):
                    gplane[gi] = _OPP_LADDER
                    out[_LADDER_MOVE, atari // w - 1, atari % w - 1] = 1.0
    for r in range(n):
        for c in range(n):
            gi = labels[r, c]
            if gi >= 0 and gplane[gi] >= 0:
                out[gplane[gi], r, c] = 1.0


@njit(cache=True)
def _new_work(n, depth):
    w = n + 2
    k = (w * w + 7) // 8
    words = np.empty((depth, k), np.uint64)
    boards = words.reshape(-1).view(np.int8).reshape((depth, 8 * k))
    return (
        boards,
        words,
        np.zeros((5, w * w), np.int64),
        np.empty((depth, _MAX_MOVES), np.int64),
        np.empty((depth, 5), np.int64),
        np.zeros(5, np.int64),
    )


@njit(cache=True)
def _fill(stones, me, komi, ko, legal, out, ladders):
    """Write every plane of one position into ``out`` (float32[C, n, n])."""
    n = stones.shape[1]
    w = n + 2
    op = 3 - me
    out[:] = 0.0
    for h in range(min(stones.shape[0], HISTORY)):
        for r in range(n):
            for c in range(n):
                v = stones[h, r, c]
                if v == me:
                    out[_OWN0 + h, r, c] = 1.0
                elif v == op:
                    out[_OPP0 + h, r, c] = 1.0
    komi_value = (komi if me == WHITE else -komi) / KOMI_SCALE
    for r in range(n):
        for c in range(n):
            out[_ONES, r, c] = 1.0
            out[_BLACK_TO_PLAY, r, c] = 1.0 if me == BLACK else 0.0
            out[_KOMI, r, c] = komi_value
            out[_LEGAL, r, c] = 1.0 if legal[r * n + c] else 0.0
    if ko >= 0:
        out[_KO, ko // n, ko % n] = 1.0
    # Groups of the current position, on row 0 of the search boards.
    boards, words, work, moves, meta, sc = _new_work(n, 8 * n + 8 if ladders else 1)
    for p in range(w * w):
        boards[0, p] = _BORDER
    for r in range(n):
        for c in range(n):
            boards[0, (r + 1) * w + c + 1] = stones[0, r, c]
    labels = np.full((n, n), -1, np.int64)
    heads = np.empty(n * n, np.int64)
    glibs = np.empty(n * n, np.int64)
    ngroups = 0
    for r in range(n):
        for c in range(n):
            color = stones[0, r, c]
            if labels[r, c] >= 0 or (color != BLACK and color != WHITE):
                continue
            p = (r + 1) * w + c + 1
            size, nl = _group(boards, 0, p, w, work, _MEMBERS, sc, n * n)
            base = _OWN_LIBS if color == me else _OPP_LIBS
            plane = base + min(nl, 3) - 1
            for i in range(size):
                q = work[_MEMBERS, i]
                qr = q // w - 1
                qc = q % w - 1
                labels[qr, qc] = ngroups
                out[plane, qr, qc] = 1.0
            heads[ngroups] = p
            glibs[ngroups] = nl
            ngroups += 1
    if ladders:
        ko_p = (ko // n + 1) * w + ko % n + 1 if ko >= 0 else -1
        _ladders(boards, words, work, moves, meta, sc, n, me, ko_p, labels, heads, glibs, ngroups, out)


@njit(cache=True)
def _fill_batch(stones, to_play, komi, ko, legal, out, ladders):
    for i in range(stones.shape[0]):
        _fill(stones[i], to_play[i], komi[i], ko[i], legal[i], out[i], ladders)


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
    board = state.board
    ko = board.ko
    ko = -1 if ko is None or board.ko_color != state.to_play else int(ko)
    return Compact(stones, int(state.to_play), float(state.komi), ko, legal)


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
