"""The board engine: Numba kernels over flat int32 arrays, wrapped by ``Board``.

``Board`` is the public face: every method takes and returns *actions*
(``row * n + col``, pass = ``n*n``) and colors from ``goagent.coords``.
Everything below it is private to this module:

- The board is stored padded: point ``(row, col)`` lives at index
  ``(row + 1) * W + col + 1`` with ``W = n + 2``; the frame holds ``BORDER``,
  so neighbour loops need no bounds checks.
- ``_b`` is an ``int32[7, W*W]`` array of fields (rows): stone color, the next
  stone of the same group (a ring), the group head of each stone, pseudo-
  liberties and size (valid at heads), the list of empty points and each
  point's index in it.  Pseudo-liberties count (stone, empty neighbour) pairs:
  they are zero exactly when a group has no liberty, which is all capture and
  suicide detection needs, and they update in O(1) per stone.
- ``_meta`` is an ``int64`` array: size, stride, the simple-ko point and the
  color it binds, the number of empty points, captures, and the Zobrist hash of
  the stones (positional: no side to move), updated incrementally.

The kernels know only basic rules (captures, suicide, simple ko).  Positional
superko needs the game's history and lives in ``goagent.game``; the env's
fused step (``goagent.env_game``) keeps that history as a *position set* of
hashes and calls the kernels listed under "Kernels for other modules'
kernels".  Kernels that create no array are compiled with ``_nrt=False``,
without Numba's reference counting (see ``goagent.ladders``).  Start reading
at ``Board``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from goagent import kernel_cache
from goagent.coords import BLACK, EMPTY, WHITE, check_size

kernel_cache.check()  # before any cached kernel loads: stale machine code would crash

BORDER = 3

# Rows of the int32 field array.
_COLOR, _NEXT, _HEAD, _LIBS, _GSIZE, _ELIST, _EPOS = range(7)
_N_FIELDS = 7

# Slots of the int64 meta array.
_SIZE, _STRIDE, _KO, _KO_COLOR, _N_EMPTY, _CAPS_BLACK, _CAPS_WHITE, _HASH = range(8)
_N_META = 8

_MAX_PADDED = (25 + 2) ** 2

# Zobrist keys per (color, padded point); fixed seed so hashes agree across
# processes and runs.  Row EMPTY is zero.
_ZOBRIST = np.random.default_rng(0x60A6E47).integers(
    np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=(3, _MAX_PADDED), dtype=np.int64
)
_ZOBRIST[EMPTY] = 0

_U12, _U25, _U27, _U33 = np.uint64(12), np.uint64(25), np.uint64(27), np.uint64(33)
_XS_MULT = np.uint64(2685821657736338717)


# --------------------------------------------------------------------------
# Kernels.  `b` is the int32 field array, `m` the int64 meta array, `p` a
# padded point, `c` a color.
# --------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _to_padded(action, n):
    return (action // n + 1) * (n + 2) + action % n + 1


@njit(cache=True, inline="always")
def _to_action(p, n):
    w = n + 2
    return (p // w - 1) * n + p % w - 1


@njit(cache=True, inline="always")
def _rand_below(rng, k):
    """xorshift64* step on ``rng[0]``; returns an int in ``[0, k)``."""
    x = rng[0]
    x ^= x >> _U12
    x ^= x << _U25
    x ^= x >> _U27
    rng[0] = x
    return np.int64((x * _XS_MULT) >> _U33) % k


@njit(cache=True, inline="always")
def _remove_empty(b, m, p):
    i = b[_EPOS, p]
    last_i = m[_N_EMPTY] - 1
    last = b[_ELIST, last_i]
    b[_ELIST, i] = last
    b[_EPOS, last] = i
    m[_N_EMPTY] = last_i


@njit(cache=True, inline="always")
def _add_empty(b, m, p):
    i = m[_N_EMPTY]
    b[_ELIST, i] = p
    b[_EPOS, p] = i
    m[_N_EMPTY] = i + 1


@njit(cache=True, _nrt=False)
def _merge(b, h1, h2):
    """Join the groups headed by h1 and h2; returns the surviving head."""
    if b[_GSIZE, h1] < b[_GSIZE, h2]:
        h1, h2 = h2, h1
    s = h2
    while True:
        b[_HEAD, s] = h1
        s = b[_NEXT, s]
        if s == h2:
            break
    t = b[_NEXT, h1]
    b[_NEXT, h1] = b[_NEXT, h2]
    b[_NEXT, h2] = t
    b[_LIBS, h1] += b[_LIBS, h2]
    b[_GSIZE, h1] += b[_GSIZE, h2]
    return h1


@njit(cache=True, _nrt=False)
def _remove_group(b, m, h):
    """Take the group headed by h off the board; returns the stones removed."""
    w = m[_STRIDE]
    c = b[_COLOR, h]
    key = _ZOBRIST[c]
    hsh = m[_HASH]
    s = h
    count = 0
    while True:
        b[_COLOR, s] = EMPTY
        _add_empty(b, m, s)
        hsh ^= key[s]
        count += 1
        s = b[_NEXT, s]
        if s == h:
            break
    m[_HASH] = hsh
    # Second pass: every stone next to an emptied point gains a liberty.
    s = h
    while True:
        for q in (s - 1, s + 1, s - w, s + w):
            cq = b[_COLOR, q]
            if cq == BLACK or cq == WHITE:
                b[_LIBS, b[_HEAD, q]] += 1
        s = b[_NEXT, s]
        if s == h:
            break
    return count


@njit(cache=True, _nrt=False)
def _place(b, m, p, c):
    """Put a stone of color c on padded point p (assumed legal); returns captures."""
    w = m[_STRIDE]
    o = 3 - c
    _remove_empty(b, m, p)
    b[_COLOR, p] = c
    b[_HEAD, p] = p
    b[_NEXT, p] = p
    b[_GSIZE, p] = 1
    m[_HASH] ^= _ZOBRIST[c, p]
    libs = 0
    for q in (p - 1, p + 1, p - w, p + w):
        cq = b[_COLOR, q]
        if cq == EMPTY:
            libs += 1
        elif cq != BORDER:
            b[_LIBS, b[_HEAD, q]] -= 1
    b[_LIBS, p] = libs
    captured = 0
    ko = -1
    for q in (p - 1, p + 1, p - w, p + w):
        cq = b[_COLOR, q]
        if cq == c:
            hq = b[_HEAD, q]
            hp = b[_HEAD, p]
            if hq != hp:
                _merge(b, hp, hq)
        elif cq == o and b[_LIBS, b[_HEAD, q]] == 0:
            captured += _remove_group(b, m, b[_HEAD, q])
            ko = q
    hp = b[_HEAD, p]
    if captured == 1 and b[_GSIZE, hp] == 1 and b[_LIBS, hp] == 1:
        m[_KO] = ko
        m[_KO_COLOR] = o
    else:
        m[_KO] = -1
    if captured:
        m[_CAPS_BLACK + c - 1] += captured
    return captured


@njit(cache=True, inline="always")
def _adjacency(b, p, w, h):
    """How many neighbours of p are stones of the group headed by h."""
    k = 0
    for r in (p - 1, p + 1, p - w, p + w):
        cr = b[_COLOR, r]
        if (cr == BLACK or cr == WHITE) and b[_HEAD, r] == h:
            k += 1
    return k


@njit(cache=True, inline="always")
def _is_legal(b, m, p, c):
    """Basic legality of c at padded p: empty, not simple ko, not suicide."""
    if b[_COLOR, p] != EMPTY:
        return False
    if p == m[_KO] and c == m[_KO_COLOR]:
        return False
    w = m[_STRIDE]
    for q in (p - 1, p + 1, p - w, p + w):
        if b[_COLOR, q] == EMPTY:
            return True
    for q in (p - 1, p + 1, p - w, p + w):
        cq = b[_COLOR, q]
        if cq == BORDER:
            continue
        h = b[_HEAD, q]
        k = _adjacency(b, p, w, h)
        if cq == c:
            if b[_LIBS, h] > k:  # our group keeps a liberty elsewhere
                return True
        elif b[_LIBS, h] == k:  # the move captures this group
            return True
    return False


@njit(cache=True, inline="always")
def _hash_after(b, m, p, c):
    """Zobrist hash of the position after c plays (legally) at p."""
    w = m[_STRIDE]
    hsh = m[_HASH] ^ _ZOBRIST[c, p]
    o = 3 - c
    seen0 = -1
    seen1 = -1
    seen2 = -1
    for q in (p - 1, p + 1, p - w, p + w):
        if b[_COLOR, q] != o:
            continue
        h = b[_HEAD, q]
        if h == seen0 or h == seen1 or h == seen2:
            continue
        if seen0 < 0:
            seen0 = h
        elif seen1 < 0:
            seen1 = h
        else:
            seen2 = h
        if b[_LIBS, h] == _adjacency(b, p, w, h):
            key = _ZOBRIST[o]
            s = h
            while True:
                hsh ^= key[s]
                s = b[_NEXT, s]
                if s == h:
                    break
    return hsh


@njit(cache=True)
def _legal_moves(b, m, c, mask, hashes):
    """Fill mask/hashes over actions (pass included) with basic legality."""
    n = m[_SIZE]
    for a in range(n * n):
        p = _to_padded(a, n)
        ok = _is_legal(b, m, p, c)
        mask[a] = ok
        hashes[a] = _hash_after(b, m, p, c) if ok else 0
    mask[n * n] = True
    hashes[n * n] = m[_HASH]


@njit(cache=True)
def _check(b, m, p, c):
    """(code, hash after): code 0 legal, 1 occupied, 2 simple ko, 3 suicide."""
    if b[_COLOR, p] != EMPTY:
        return 1, m[_HASH]
    if not _is_legal(b, m, p, c):
        return (2 if p == m[_KO] and c == m[_KO_COLOR] else 3), m[_HASH]
    return 0, _hash_after(b, m, p, c)


@njit(cache=True)
def _drop_repeats(mask, hashes, seen_sorted):
    """Clear mask[a] where hashes[a] is in the sorted array of earlier positions."""
    k = len(seen_sorted)
    for a in range(len(mask) - 1):
        if mask[a]:
            i = np.searchsorted(seen_sorted, hashes[a])
            if i < k and seen_sorted[i] == hashes[a]:
                mask[a] = False


@njit(cache=True, inline="always")
def _is_eye(b, p, c, w):
    """True if p is c's single-point eye (diagonals decide false eyes)."""
    for q in (p - 1, p + 1, p - w, p + w):
        cq = b[_COLOR, q]
        if cq != c and cq != BORDER:
            return False
    o = 3 - c
    bad = 0
    edge = 0
    for q in (p - w - 1, p - w + 1, p + w - 1, p + w + 1):
        cq = b[_COLOR, q]
        if cq == BORDER:
            edge = 1
        elif cq == o:
            bad += 1
    return bad == 0 if edge else bad <= 1


@njit(cache=True)
def _playout(b, m, c, max_moves, rng):
    """Uniform random moves (no eye filling) until two passes or max_moves plies.

    Returns the number of plies played (passes included).  Uses simple ko, as
    playouts in every engine do; superko is the game's business.
    """
    w = m[_STRIDE]
    passes = 0
    moves = 0
    elist = b[_ELIST]
    epos = b[_EPOS]
    while moves < max_moves and passes < 2:
        k = m[_N_EMPTY]
        played = False
        while k > 0:
            i = _rand_below(rng, k)
            p = elist[i]
            if not _is_eye(b, p, c, w) and _is_legal(b, m, p, c):
                _place(b, m, p, c)
                played = True
                break
            # Reject p for this turn: swap it behind the candidate range.
            k -= 1
            last = elist[k]
            elist[i] = last
            epos[last] = i
            elist[k] = p
            epos[p] = k
        if played:
            passes = 0
        else:
            passes += 1
            m[_KO] = -1
        moves += 1
        c = 3 - c
    return moves


@njit(cache=True)
def _area(b, m, owner):
    """Tromp-Taylor area: owner[action] in {EMPTY, BLACK, WHITE}; returns (black, white).

    An empty region belongs to a color when it reaches stones of that color only.
    """
    n = m[_SIZE]
    w = m[_STRIDE]
    seen = np.zeros(b.shape[1], np.bool_)
    stack = np.empty(b.shape[1], np.int32)
    members = np.empty(b.shape[1], np.int32)
    black = 0
    white = 0
    for a in range(n * n):
        p = _to_padded(a, n)
        cp = b[_COLOR, p]
        if cp == BLACK or cp == WHITE:
            owner[a] = cp
            if cp == BLACK:
                black += 1
            else:
                white += 1
            continue
        if seen[p]:
            continue
        reach = 0
        count = 0
        stack[0] = p
        top = 1
        seen[p] = True
        while top > 0:
            top -= 1
            s = stack[top]
            members[count] = s
            count += 1
            for q in (s - 1, s + 1, s - w, s + w):
                cq = b[_COLOR, q]
                if cq == EMPTY:
                    if not seen[q]:
                        seen[q] = True
                        stack[top] = q
                        top += 1
                elif cq != BORDER:
                    reach |= cq
        who = reach if reach == BLACK or reach == WHITE else EMPTY
        for i in range(count):
            owner[_to_action(members[i], n)] = who
        if who == BLACK:
            black += count
        elif who == WHITE:
            white += count
    return black, white


@njit(cache=True)
def _liberties(b, m, out):
    """out[action] = exact liberty count of the group on that point (0 if empty)."""
    n = m[_SIZE]
    w = m[_STRIDE]
    stamp = np.zeros(b.shape[1], np.int32)
    counted = np.zeros(b.shape[1], np.int32)
    mark = 0
    for a in range(n * n):
        p = _to_padded(a, n)
        cp = b[_COLOR, p]
        if cp != BLACK and cp != WHITE:
            out[a] = 0
            continue
        h = b[_HEAD, p]
        if counted[h] == 0:
            mark += 1
            libs = 0
            s = h
            while True:
                for q in (s - 1, s + 1, s - w, s + w):
                    if b[_COLOR, q] == EMPTY and stamp[q] != mark:
                        stamp[q] = mark
                        libs += 1
                s = b[_NEXT, s]
                if s == h:
                    break
            counted[h] = libs + 1
        out[a] = counted[h] - 1


@njit(cache=True)
def _rebuild(b, m, colors):
    """Set up every field from a color array over actions (stones placed without captures)."""
    n = m[_SIZE]
    w = m[_STRIDE]
    for p in range(b.shape[1]):
        b[_COLOR, p] = BORDER
        b[_HEAD, p] = -1
        b[_NEXT, p] = p
        b[_LIBS, p] = 0
        b[_GSIZE, p] = 0
        b[_EPOS, p] = -1
    m[_N_EMPTY] = 0
    m[_HASH] = 0
    m[_KO] = -1
    for a in range(n * n):
        p = _to_padded(a, n)
        b[_COLOR, p] = EMPTY
        _add_empty(b, m, p)
    for a in range(n * n):
        c = colors[a]
        if c == BLACK or c == WHITE:
            p = _to_padded(a, n)
            _remove_empty(b, m, p)
            b[_COLOR, p] = c
            b[_HEAD, p] = p
            b[_NEXT, p] = p
            b[_GSIZE, p] = 1
            m[_HASH] ^= _ZOBRIST[c, p]
    for a in range(n * n):
        p = _to_padded(a, n)
        c = b[_COLOR, p]
        if c != BLACK and c != WHITE:
            continue
        for q in (p - 1, p + 1, p - w, p + w):
            cq = b[_COLOR, q]
            if cq == EMPTY:
                b[_LIBS, b[_HEAD, p]] += 1
            elif cq == c and b[_HEAD, q] != b[_HEAD, p]:
                _merge(b, b[_HEAD, p], b[_HEAD, q])
    # Report whether any group is left without liberties.
    for a in range(n * n):
        p = _to_padded(a, n)
        c = b[_COLOR, p]
        if (c == BLACK or c == WHITE) and b[_LIBS, b[_HEAD, p]] == 0:
            return a
    return -1


# --------------------------------------------------------------------------
# Kernels for other modules' kernels (goagent.env_game's fused step), in
# actions: a set of position hashes for superko, a move, the legal mask.
#
# A position set is an int64[cap + 2] array, cap a power of two: the hashes,
# by open addressing with linear probing in the first cap slots (0 marks a
# free slot; Zobrist keys are random, so the low bits index well), then a
# flag for the hash 0 (the empty board's), then the most stones any of the
# positions has.
# --------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _set_has(table, h):
    if h == 0:
        return table[-2] != 0
    mask = len(table) - 3
    i = h & mask
    while table[i] != 0:
        if table[i] == h:
            return True
        i = (i + 1) & mask
    return False


@njit(cache=True, _nrt=False)
def _set_add(table, h):
    """Add h; the caller keeps the set at most half full."""
    if h == 0:
        table[-2] = 1
        return
    mask = len(table) - 3
    i = h & mask
    while table[i] != 0:
        if table[i] == h:
            return
        i = (i + 1) & mask
    table[i] = h


@njit(cache=True)
def _set_add_all(table, hashes):
    for h in hashes:
        _set_add(table, h)


@njit(cache=True, _nrt=False)
def _play_action(b, m, action, c, seen):
    """Play a move already known to be legal (pass = n*n), as ``Board.play``, and
    add the new position to the position set ``seen``."""
    n = m[_SIZE]
    if action == n * n:
        m[_KO] = -1
    else:
        _place(b, m, _to_padded(action, n), c)
    _set_add(seen, m[_HASH])
    seen[-1] = max(seen[-1], n * n - m[_N_EMPTY])


@njit(cache=True, inline="always")
def _next_to(b, p, w, c):
    """True if a neighbour of p holds a stone of color c."""
    return b[_COLOR, p - 1] == c or b[_COLOR, p + 1] == c or b[_COLOR, p - w] == c or b[_COLOR, p + w] == c


@njit(cache=True, _nrt=False)
def _legal_mask(b, m, c, seen, superko, mask):
    """mask[action] (bool, pass included): legal for c, and with ``superko`` not
    recreating a position in the position set ``seen``; as ``GameState.legal_mask``."""
    n = m[_SIZE]
    w = m[_STRIDE]
    o = 3 - c
    # A move next to no opponent stone captures nothing: its hash is one xor
    # away, and it makes a position with one stone more than now, so none can
    # repeat while no position so far had that many (most moves of a game
    # that is filling up).
    growing = n * n - m[_N_EMPTY] + 1 > seen[-1]
    mask[:] = False
    for i in range(m[_N_EMPTY]):
        p = b[_ELIST, i]
        if not _is_legal(b, m, p, c):
            continue
        if superko:
            if not _next_to(b, p, w, o):
                if not growing and _set_has(seen, m[_HASH] ^ _ZOBRIST[c, p]):
                    continue
            elif _set_has(seen, _hash_after(b, m, p, c)):
                continue
        mask[_to_action(p, n)] = True
    mask[n * n] = True


@njit(cache=True, _nrt=False)
def _colors(b, m, out):
    """out int8[n, n]: the stones, as ``Board.to_array``."""
    n = m[_SIZE]
    for r in range(n):
        for c in range(n):
            out[r, c] = b[_COLOR, (r + 1) * (n + 2) + c + 1]


@njit(cache=True, _nrt=False)
def _ko_action(m, c):
    """The action c may not play by simple ko, or -1."""
    p = m[_KO]
    return _to_action(p, m[_SIZE]) if p >= 0 and m[_KO_COLOR] == c else -1


def position_set(hashes, most_stones: int, room: int) -> np.ndarray:
    """A position set (see above) of ``hashes``, positions of at most ``most_stones``
    stones, with room for ``room`` more at most half full."""
    hashes = np.asarray(list(hashes), np.int64)
    cap = 16
    while cap < 2 * (len(hashes) + room):
        cap *= 2
    table = np.zeros(cap + 2, np.int64)
    _set_add_all(table, hashes)
    table[-1] = most_stones
    return table


def grow_position_set(table: np.ndarray, room: int) -> np.ndarray:
    """The same positions with room for ``room`` more."""
    hashes = table[:-2][table[:-2] != 0]
    if table[-2]:
        hashes = np.concatenate([hashes, [0]])
    return position_set(hashes, int(table[-1]), room)


# --------------------------------------------------------------------------
# Public wrapper.
# --------------------------------------------------------------------------


_REASONS = (None, "occupied", "ko", "suicide")


def drop_repeats(mask: np.ndarray, hashes: np.ndarray, seen_sorted: np.ndarray) -> None:
    """In place: forbid the moves of ``mask`` whose resulting ``hashes`` are in ``seen_sorted``."""
    _drop_repeats(mask, hashes, seen_sorted)


class Board:
    """A Go board of any size from 2 to 25 with incremental groups and hashing.

    Methods take actions and colors; ``play`` assumes the move is legal under
    basic rules (check with ``is_legal``).  Copy with ``copy()``.
    """

    __slots__ = ("size", "_b", "_m")

    def __init__(self, size: int):
        check_size(size)
        self.size = size
        padded = (size + 2) ** 2
        self._b = np.zeros((_N_FIELDS, padded), np.int32)
        self._m = np.zeros(_N_META, np.int64)
        self._m[_SIZE] = size
        self._m[_STRIDE] = size + 2
        _rebuild(self._b, self._m, np.zeros(size * size, np.int8))

    @classmethod
    def from_array(cls, colors: np.ndarray) -> Board:
        """A board holding ``colors`` (``int[n, n]`` or flat, EMPTY/BLACK/WHITE).

        Raises ValueError if a group would have no liberty (nothing is captured).
        """
        colors = np.asarray(colors, np.int8)
        n = int(round(len(colors.reshape(-1)) ** 0.5))
        if n * n != colors.size or not np.isin(colors, (EMPTY, BLACK, WHITE)).all():
            raise ValueError("colors must be a square array of EMPTY, BLACK and WHITE")
        board = cls(n)
        dead = _rebuild(board._b, board._m, colors.reshape(-1))
        if dead >= 0:
            raise ValueError(f"the group on action {dead} has no liberty")
        return board

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The live ``(fields, meta)`` arrays, for kernels in other modules that play
        on the board in place (``goagent.env_game``); their layout is this module's."""
        return self._b, self._m

    def copy(self) -> Board:
        other = Board.__new__(Board)
        other.size = self.size
        other._b = self._b.copy()
        other._m = self._m.copy()
        return other

    def __eq__(self, other) -> bool:
        return isinstance(other, Board) and np.array_equal(self.to_array(), other.to_array())

    __hash__ = None

    # -- queries -------------------------------------------------------------

    @property
    def hash(self) -> int:
        """Zobrist hash of the stones alone (what positional superko compares)."""
        return int(self._m[_HASH])

    @property
    def ko(self) -> int | None:
        """The action forbidden by simple ko to ``ko_color``, or None."""
        p = int(self._m[_KO])
        return None if p < 0 else int(_to_action(p, self.size))

    @property
    def ko_color(self) -> int:
        return int(self._m[_KO_COLOR])

    def ko_point(self, color: int) -> int:
        """The action simple ko forbids ``color`` now, or -1 (the feature and example encoding)."""
        ko = self.ko
        return -1 if ko is None or self.ko_color != color else ko

    def captures(self, color: int) -> int:
        """Stones captured so far *by* ``color``."""
        return int(self._m[_CAPS_BLACK + color - 1])

    def to_array(self) -> np.ndarray:
        """``int8[n, n]`` of EMPTY/BLACK/WHITE, row 0 on top."""
        n = self.size
        return self._b[_COLOR].reshape(n + 2, n + 2)[1:-1, 1:-1].astype(np.int8)

    def color_at(self, action: int) -> int:
        return int(self._b[_COLOR, _to_padded(action, self.size)])

    def is_legal(self, action: int, color: int) -> bool:
        """Basic legality (occupied, suicide, simple ko); pass is always legal."""
        n = self.size
        if action == n * n:
            return True
        if not 0 <= action < n * n:
            return False
        return bool(_is_legal(self._b, self._m, _to_padded(action, n), color))

    def hash_after(self, action: int, color: int) -> int:
        """Hash of the position after ``color`` plays the (legal) ``action``."""
        n = self.size
        if action == n * n:
            return self.hash
        return int(_hash_after(self._b, self._m, _to_padded(action, n), color))

    def check(self, action: int, color: int) -> tuple[str | None, int]:
        """``(reason or None, hash after)`` for a stone move under basic rules;
        reasons: ``occupied``, ``ko``, ``suicide``."""
        code, h = _check(self._b, self._m, _to_padded(action, self.size), color)
        return _REASONS[code], int(h)

    def place(self, action: int, color: int) -> int:
        """Play a stone already known to be legal (see ``check``); returns captures."""
        return int(_place(self._b, self._m, _to_padded(action, self.size), color))

    def legal_moves(self, color: int) -> tuple[np.ndarray, np.ndarray]:
        """``(mask bool[n*n+1], hashes int64[n*n+1])``: basic legality and the
        hash each legal move leads to (for the superko check)."""
        n = self.size
        mask = np.zeros(n * n + 1, np.bool_)
        hashes = np.zeros(n * n + 1, np.int64)
        _legal_moves(self._b, self._m, color, mask, hashes)
        return mask, hashes

    def is_eye(self, action: int, color: int) -> bool:
        """True if ``action`` is a single-point eye of ``color`` (not a false eye)."""
        n = self.size
        if self.color_at(action) != EMPTY:
            return False
        return bool(_is_eye(self._b, _to_padded(action, n), color, n + 2))

    def liberties(self) -> np.ndarray:
        """``int32[n*n]``: liberties of the group on each point (0 where empty)."""
        out = np.zeros(self.size * self.size, np.int32)
        _liberties(self._b, self._m, out)
        return out

    def area(self) -> tuple[int, int, np.ndarray]:
        """Tromp-Taylor area: ``(black points, white points, owner int8[n*n])``."""
        owner = np.zeros(self.size * self.size, np.int8)
        black, white = _area(self._b, self._m, owner)
        return int(black), int(white), owner

    # -- changes -------------------------------------------------------------

    def play(self, action: int, color: int) -> int:
        """Play ``action`` for ``color``; returns stones captured.

        A pass only clears the simple-ko point.  Raises ValueError for a move
        that is illegal under basic rules.
        """
        n = self.size
        if action == n * n:
            self._m[_KO] = -1
            return 0
        if not self.is_legal(action, color):
            raise ValueError(f"illegal move: action {action} for color {color}")
        return int(_place(self._b, self._m, _to_padded(action, n), color))

    def playout(self, color: int, max_moves: int, rng: np.ndarray) -> int:
        """Random playout in place from ``color`` to move; returns plies played.

        ``rng`` is a ``uint64[1]`` nonzero state (see ``new_rng``), advanced in place.
        """
        return int(_playout(self._b, self._m, color, max_moves, rng))


def new_rng(seed: int) -> np.ndarray:
    """A playout random state (``uint64[1]``, never zero) from an integer seed."""
    state = np.random.default_rng(seed).integers(1, np.iinfo(np.int64).max, dtype=np.int64)
    return np.array([state], np.uint64)


def zobrist_key(color: int, action: int, size: int) -> int:
    """The Zobrist key of a stone; exposed so tests can hash independently."""
    return int(_ZOBRIST[color, _to_padded(action, size)])


@njit(cache=True)
def _playouts(b, m, color, count, max_moves, komi, rng):
    """Run ``count`` playouts from (b, m); returns (black wins, plies, score sum).

    Each playout works on a fresh copy, so (b, m) is left unchanged.  A
    playout is scored by Tromp-Taylor area minus komi; a draw counts half.
    """
    owner = np.empty(m[_SIZE] * m[_SIZE], np.int8)
    wins = 0.0
    plies = 0
    score_sum = 0.0
    bb = np.empty_like(b)
    mm = np.empty_like(m)
    for _ in range(count):
        bb[:] = b
        mm[:] = m
        plies += _playout(bb, mm, color, max_moves, rng)
        black, white = _area(bb, mm, owner)
        score = black - white - komi
        score_sum += score
        if score > 0:
            wins += 1.0
        elif score == 0:
            wins += 0.5
    return wins, plies, score_sum


def run_playouts(board: Board, color: int, count: int, komi: float, rng: np.ndarray, max_moves: int = 0):
    """``count`` random playouts from ``board`` with ``color`` to move (board unchanged).

    Returns ``(black_wins, plies, mean_score)``; draws count half a win.
    ``max_moves`` defaults to ``3 * n * n``.
    """
    max_moves = max_moves or 3 * board.size**2
    wins, plies, score_sum = _playouts(board._b, board._m, color, count, max_moves, float(komi), rng)
    return float(wins), int(plies), float(score_sum) / max(count, 1)
