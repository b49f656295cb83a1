"""Groups and ladders of one position, for the feature planes of ``goagent.features``.

Two jobs, both Numba kernels over padded int8 boards (point (r, c) at
``(r + 1) * W + c + 1``, ``W = n + 2``, the frame holds ``_BORDER``):

- ``label_groups``: every group of the position, its liberties, and the
  three liberty planes of each color;
- ``ladder_planes``: the four ladder planes.  Ladders are read by an exact
  search (``_ladder``): the attacker may only play atari on the target's
  liberties, the defender may extend at its last liberty or capture any
  attacker group next to the target that is in atari; simple ko is
  respected, superko and ko threats are not.  A search that runs past
  ``LADDER_BUDGET`` nodes counts the group as *not* captured.

Reading ladders is most of the cost of the planes, and one move changes few
answers, so a *context* (``new_context``: the work arrays plus a cache) lets
a caller that encodes position after position (the env) reuse them; see
"The ladder cache" below for why a reused answer is exactly the one a fresh
search would give.  ``features.decode`` uses ``new_work`` (no cache) and
reads every ladder afresh.  Start reading at ``ladder_planes``.

Speed notes.  Kernels that create no array are compiled with ``_nrt=False``
(an option Numba's own helpers use): without Numba's reference counting,
passing arrays from kernel to kernel is free, where its atomic increments
and decrements were over a third of a ladder search.  Such a kernel cannot
allocate (compiling one that does fails with "NRT required but not
enabled").  Numba caches each file's kernels and does not notice a change
in a kernel another file's kernels call (features, env_game, env_vector and
search.leaves call into this one, and a stale copy of ``context_views``
reads a context of the old layout: wrong planes or a crash), so
``goagent.kernel_cache`` drops every cached kernel when any kernel module
changes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from goagent import kernel_cache
from goagent.coords import BLACK, EMPTY, WHITE

kernel_cache.check()  # before any cached kernel loads: stale machine code would crash

LADDER_BUDGET = 500  # search nodes per ladder question

# The ladder planes, as offsets from the first one (features keeps them in this order).
DEAD, THREAT, CAPTURABLE, CAPTURE_MOVE = range(4)

_BORDER = 3
_ILLEGAL = -2

# --------------------------------------------------------------------------
# Work arrays.  They are 2-D and indexed by (row, point) rather than handed
# around as row views: fewer array objects for Numba to create and
# reference-count in the inner loops.
#
#   boards int8[D, 8K] and words uint64[D, K], the same memory: the position
#       at each depth of a ladder search (row 0: the position itself),
#       copied a word at a time;
#   work int64[_WORK_ROWS, W*W]: rows _MARK (flood-fill stamps), _TMARK
#       (the same for fills of the target), _SEEN (stamps of the attacker
#       groups checked), _MEMBERS (stones of the last fill), _TARGET (stones
#       of the target), _ROOTLIBS (see below); per group index: _HEADS (its
#       first stone in raster order), _GLIBS (liberties), _GLIB0 and _GLIB1
#       (the first two found), _GPLANE (its ladder plane or -1); per point:
#       _LABEL (group index or -1) and the cache rows _TOUCHED, _LIBREAD,
#       _LIBS_LOW, _LIBS_HIGH, _CHANGED, _CHANGED_HERE, _PREV_COLOR (see
#       "The ladder cache");
#   moves int64[D, _MAX_MOVES]: the moves to try at each depth;
#   meta int64[D, _META]: per depth _NMOVES, _NEXT (the next move to try), _KOPT
#       (the ko point binding the player to move), _BOUND (below), _PLAYED
#       (the ko result of the first move if row d + 1 already holds it, else
#       _NOT_PLAYED), _TLO and _THI (the _TMARK stamps of the target's stones
#       at an attacker's node), and _PRE, _PNL, _PL0, _PL1 (the target's
#       liberties after an extension, see ``_extend``);
#   sc int64[_SC_SIZE]: _STAMP, _SCAN, _LIB0 and _LIB1 (the first two
#       liberties found by the last fill), _BUDGET (search nodes left), and
#       the cache's _SINCE, _CALLS and _POOLTOP.
#
# Most liberty questions in a search are about big groups away from the
# fight.  _ROOTLIBS holds each stone's group liberties in row 0 (0 on empty
# points).  While no stone has been captured on the searched line, a group
# holding a root stone has lost at most one liberty per move played, so
# rootlibs - moves bounds its liberties from below and most flood fills are
# skipped.  _BOUND holds the moves played, or _NO_BOUND after a capture.
#
# The target itself is filled once per defender's node: after its extension
# the new liberties come from a fill of the stones joined (``_extend``), and
# an atari, which leaves it one liberty, needs no fill of it to know it is
# not captured (``_captures``).  Neither changes what the search visits or
# in which order, only how it learns it.
# --------------------------------------------------------------------------

(
    _MARK,
    _SEEN,
    _MEMBERS,
    _TARGET,
    _ROOTLIBS,
    _HEADS,
    _GLIBS,
    _GPLANE,
    _LABEL,
    _TOUCHED,
    _LIBREAD,
    _LIBS_LOW,
    _LIBS_HIGH,
    _CHANGED,
    _CHANGED_HERE,
    _PREV_COLOR,
    _TMARK,
    _GLIB0,
    _GLIB1,
) = range(19)
_WORK_ROWS = 19
_NMOVES, _NEXT, _KOPT, _BOUND, _PLAYED, _TLO, _THI, _PRE, _PNL, _PL0, _PL1 = range(11)
_META = 11
_STAMP, _SCAN, _LIB0, _LIB1, _BUDGET, _SINCE, _CALLS, _POOLTOP = range(8)
_SC_SIZE = 8
_MAX_MOVES = 16  # defender options per node; a node with more counts as an escape
_NO_BOUND = 1 << 40
_NOT_PLAYED = -3


@njit(cache=True, inline="always")
def _touch(work, sc, p):
    """Stamp p as read around, for the ladder cache (see there)."""
    work[_TOUCHED, p] = sc[_STAMP]


@njit(cache=True, inline="always")
def _rootlibs_above(work, sc, q, bound):
    """``work[_ROOTLIBS, q] > bound``; notes, for the cache, the range of
    _ROOTLIBS values at q that give the question's answers so far."""
    if work[_LIBREAD, q] <= sc[_SINCE]:  # first time in this question
        work[_LIBREAD, q] = sc[_SINCE] + 1
        work[_LIBS_LOW, q] = 0
        work[_LIBS_HIGH, q] = _NO_BOUND
    if work[_ROOTLIBS, q] > bound:
        work[_LIBS_LOW, q] = max(work[_LIBS_LOW, q], bound + 1)
        return True
    work[_LIBS_HIGH, q] = min(work[_LIBS_HIGH, q], bound)
    return False


@njit(cache=True, _nrt=False)
def _group(boards, d, p, w, work, into, sc, max_libs, mark=_MARK, skip=-1):
    """Flood-fill the group at p of ``boards[d]``: returns (size, liberties).

    The stones go to ``work[into, :size]``, the first two liberties to
    ``sc[_LIB0]`` and ``sc[_LIB1]``, the stamp ``sc[_STAMP]`` to row ``mark``.
    The fill stops once ``max_libs`` liberties are found (the size is then
    partial): most questions are "none?", "one?" or "three or more?".  Points
    stamped ``skip`` in row ``mark`` count as visited already.
    """
    sc[_STAMP] += 1
    s = sc[_STAMP]
    c = boards[d, p]
    work[mark, p] = s
    work[into, 0] = p
    head = 0
    tail = 1
    nlibs = 0
    while head < tail:
        q = work[into, head]
        head += 1
        for r in (q - 1, q + 1, q - w, q + w):
            if work[mark, r] == s or work[mark, r] == skip:
                continue
            cr = boards[d, r]
            if cr == c:
                work[mark, r] = s
                work[into, tail] = r
                tail += 1
            elif cr == EMPTY:
                work[mark, r] = s
                if nlibs < 2:
                    sc[_LIB0 + nlibs] = r
                nlibs += 1
                if nlibs >= max_libs:
                    return tail, nlibs
    return tail, nlibs


@njit(cache=True, _nrt=False)
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


@njit(cache=True, _nrt=False)
def _open(boards, d, p, exclude, w, work, sc):
    """Empty neighbours of p other than ``exclude``.

    Three of them around a target's last liberty mean extending there escapes
    (three liberties at least): the search skips such lines without playing them.
    """
    _touch(work, sc, p)
    k = 0
    for q in (p - 1, p + 1, p - w, p + w):
        if q != exclude and boards[d, q] == EMPTY:
            k += 1
    return k


@njit(cache=True, _nrt=False)
def _captures(boards, d, p, o, w, work, sc, moves, tlo, thi):
    """Take off ``boards[d]`` the groups of color o next to p left without a liberty:
    ``(stones captured, a point of the last group taken)``.

    A neighbour stamped in ``[tlo, thi]`` of row _TMARK is a stone of a target
    known to keep a liberty (see ``_expand_attacker``): no fill for it.
    """
    captured = 0
    last = -1
    for q in (p - 1, p + 1, p - w, p + w):
        if boards[d, q] != o:
            continue
        t = work[_TMARK, q]
        if tlo <= t and t <= thi:
            continue  # a stone of the target, which keeps a liberty
        if _open(boards, d, q, -1, w, work, sc) or _rootlibs_above(work, sc, q, moves):
            continue  # surely keeps a liberty
        if _group(boards, d, q, w, work, _MEMBERS, sc, 1)[1] == 0:
            captured += _remove(boards, d, q, w, work)
            last = q
    return captured, last


@njit(cache=True, _nrt=False)
def _ko_after(boards, d, p, c, w, captured, last):
    """The ko point a capture of ``captured`` stones (``last`` among them) by c at p leaves, or -1."""
    if captured != 1:
        return -1
    empties = 0
    for q in (p - 1, p + 1, p - w, p + w):
        if boards[d, q] == c:
            return -1
        if boards[d, q] == EMPTY:
            empties += 1
    return last if empties == 1 else -1


@njit(cache=True, _nrt=False)
def _play(boards, d, p, c, ko, w, work, sc, moves, tlo, thi):
    """c plays at p on ``boards[d]``; ``moves`` is the bound after this move (see above),
    ``tlo``, ``thi`` as in ``_captures``.

    Returns ``(ko point binding the next mover or -1, stones captured)``, or
    ``(_ILLEGAL, 0)`` for an occupied point, the ko point or suicide (the
    board is then garbage).  Same rules as ``goagent.board``: simple ko after
    a single-stone capture by a lone stone left with one liberty.
    """
    _touch(work, sc, p)
    if boards[d, p] != EMPTY or p == ko:
        return _ILLEGAL, 0
    boards[d, p] = c
    captured, last = _captures(boards, d, p, 3 - c, w, work, sc, moves, tlo, thi)
    if captured == 0:
        if _open(boards, d, p, -1, w, work, sc):
            return -1, 0
        for q in (p - 1, p + 1, p - w, p + w):
            if boards[d, q] == c and _rootlibs_above(work, sc, q, moves):
                return -1, 0
        if _group(boards, d, p, w, work, _MEMBERS, sc, 1)[1] == 0:
            return _ILLEGAL, 0
        return -1, 0
    return _ko_after(boards, d, p, c, w, captured, last), captured


@njit(cache=True, inline="always")
def _copy_down(words, d):
    for i in range(words.shape[1]):
        words[d + 1, i] = words[d, i]


@njit(cache=True, _nrt=False)
def _play_child(boards, words, work, meta, sc, d, p, c, ko, w, tlo, thi):
    """Copy depth d to d + 1 and play there; returns the ko point or _ILLEGAL."""
    _copy_down(words, d)
    bound = meta[d, _BOUND] + 1
    k, captured = _play(boards, d + 1, p, c, ko, w, work, sc, bound, tlo, thi)
    meta[d + 1, _BOUND] = _NO_BOUND if captured else bound
    meta[d + 1, _PRE] = 0
    return k


@njit(cache=True, _nrt=False)
def _extend(boards, words, work, meta, sc, d, p, c, ko, w, s):
    """The defender c extends at p, the one liberty of the target filled (stamp s in
    _TMARK) at depth d: as ``_play_child``, and when nothing is captured, the
    target's liberties at depth d + 1 too (below); returns the ko point or _ILLEGAL.

    The target's old stones then have no liberty left and touch no other
    stone of c, so its liberties are those of p and the groups joined there,
    found by a fill from p that skips the old stones, and found in the order
    a fill of the whole group from its first stone would find them (it
    reaches p only through old stones, which add no liberty).  That fill is
    kept in ``meta[d + 1]`` (_PRE set) for the attacker's node, and gives the
    stamps of the target's stones there (_TLO, _THI).
    """
    _copy_down(words, d)
    bound = meta[d, _BOUND] + 1
    meta[d + 1, _PRE] = 0
    _touch(work, sc, p)
    if p == ko:  # p is a liberty: empty
        return _ILLEGAL
    boards[d + 1, p] = c
    captured, last = _captures(boards, d + 1, p, 3 - c, w, work, sc, bound, 1, 0)
    meta[d + 1, _BOUND] = _NO_BOUND if captured else bound
    if captured:
        return _ko_after(boards, d + 1, p, c, w, captured, last)
    _, nl = _group(boards, d + 1, p, w, work, _MEMBERS, sc, 3, _TMARK, s)
    if nl == 0:
        return _ILLEGAL  # suicide
    meta[d + 1, _PRE] = 1
    meta[d + 1, _PNL] = nl
    meta[d + 1, _PL0] = sc[_LIB0]
    meta[d + 1, _PL1] = sc[_LIB1]
    meta[d + 1, _TLO] = s
    meta[d + 1, _THI] = sc[_STAMP]
    return -1


@njit(cache=True, _nrt=False)
def _expand_attacker(boards, words, work, moves, meta, sc, d, g, ko, w):
    """Attacker to move at depth d: returns 0 or 1 for a leaf (captured?), 2 with moves to try.

    The target's stones at depth d are those of the defender's color stamped
    in ``[meta[d, _TLO], meta[d, _THI]]`` of _TMARK (until later fills stamp
    them again): with two liberties, an atari cannot capture them.
    """
    if meta[d, _PRE]:  # the defender's extension left the fill (see _extend)
        nl = meta[d, _PNL]
        l0 = meta[d, _PL0]
        l1 = meta[d, _PL1]
    else:
        _, nl = _group(boards, d, g, w, work, _TARGET, sc, 3, _TMARK)
        meta[d, _TLO] = meta[d, _THI] = sc[_STAMP]
        l0 = sc[_LIB0]
        l1 = sc[_LIB1]
    if nl == 1:
        attacker = 3 - boards[d, g]
        taken = _play_child(boards, words, work, meta, sc, d, l0, attacker, ko, w, 1, 0)
        return 0 if taken == _ILLEGAL else 1
    if nl != 2:
        return 0
    # Atari at one liberty leaves the defender the other one to extend to.
    open0 = _open(boards, d, l1, l0, w, work, sc)  # room at l1 after an atari at l0
    open1 = _open(boards, d, l0, l1, w, work, sc)
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


@njit(cache=True, _nrt=False)
def _expand_defender(boards, words, work, moves, meta, sc, d, g, ko, w):
    """Defender to move at depth d: as ``_expand_attacker``.

    A target that does not have exactly one liberty is a leaf "not captured":
    that is also how an attacker move that is no atari ends.
    """
    defender = boards[d, g]
    attacker = 3 - defender
    size, nl = _group(boards, d, g, w, work, _TARGET, sc, 3, _TMARK)
    if nl != 1:
        return 0
    extend = sc[_LIB0]
    if _open(boards, d, extend, -1, w, work, sc) >= 3:
        return 0
    # Most lines end with an extension to three liberties: check that before
    # looking for captures.  Row d + 1 keeps the extension for the search.
    extended = _extend(boards, words, work, meta, sc, d, extend, defender, ko, w, sc[_STAMP])
    if extended != _ILLEGAL:
        if meta[d + 1, _PRE]:
            libs = meta[d + 1, _PNL]
        else:
            libs = _group(boards, d + 1, g, w, work, _MEMBERS, sc, 3)[1]
        if libs >= 3:
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
            if _open(boards, d, r, -1, w, work, sc) >= 2 or _rootlibs_above(work, sc, r, bound + 1):
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


@njit(cache=True, _nrt=False)
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


@njit(cache=True, _nrt=False)
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
                if att:  # an atari: the target keeps a liberty
                    k2 = _play_child(
                        boards, words, work, meta, sc, d, moves[d, i], 3 - defender, meta[d, _KOPT], w,
                        meta[d, _TLO], meta[d, _THI],
                    )  # fmt: skip
                else:
                    ko2 = meta[d, _KOPT]
                    k2 = _play_child(boards, words, work, meta, sc, d, moves[d, i], defender, ko2, w, 1, 0)
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


@njit(cache=True, _nrt=False)
def label_groups(boards, work, sc, stones, me, out, own_libs, opp_libs):
    """Row 0 of ``boards`` from ``stones`` (int8[n, n]), every group's label, head and
    liberties in ``work`` (and _ROOTLIBS); marks each stone on plane ``own_libs``
    or ``opp_libs`` plus ``min(liberties, 3) - 1``.  Returns the number of groups."""
    n = stones.shape[0]
    w = n + 2
    for p in range(w * w):
        boards[0, p] = _BORDER
        work[_LABEL, p] = -1
        work[_ROOTLIBS, p] = 0
    for r in range(n):
        for c in range(n):
            boards[0, (r + 1) * w + c + 1] = stones[r, c]
    ngroups = 0
    for r in range(n):
        for c in range(n):
            p = (r + 1) * w + c + 1
            color = boards[0, p]
            if work[_LABEL, p] >= 0 or (color != BLACK and color != WHITE):
                continue
            size, nl = _group(boards, 0, p, w, work, _MEMBERS, sc, n * n)
            plane = (own_libs if color == me else opp_libs) + min(nl, 3) - 1
            for i in range(size):
                q = work[_MEMBERS, i]
                work[_LABEL, q] = ngroups
                work[_ROOTLIBS, q] = nl
                out[plane, q // w - 1, q % w - 1] = 1.0
            work[_HEADS, ngroups] = p
            work[_GLIBS, ngroups] = nl
            work[_GLIB0, ngroups] = sc[_LIB0]  # as a fill from p finds them first
            work[_GLIB1, ngroups] = sc[_LIB1]
            ngroups += 1
    return ngroups


# --------------------------------------------------------------------------
# The ladder cache.
#
# A question (``_question``: the group's first stone g, its kind, the ko
# point it is asked with) is a deterministic function of the board values
# its searches read and of their comparisons of _ROOTLIBS with bounds (they
# only decide whether to skip a flood fill, but a skip taken on a bound that
# no longer holds could change the answer).  The search stamps what it
# reads, with values above any stamp before the question:
#   - _MARK and _TMARK: each stone and liberty a flood fill visits.  A fill reads the
#     four neighbours of a stone, but only the color of a liberty;
#   - _TOUCHED: each centre of ``_open`` and ``_play`` (``_touch``), whose
#     four neighbours are read;
#   - _LIBREAD: each point whose _ROOTLIBS is compared, with _LIBS_LOW and
#     _LIBS_HIGH the range of values that answer every comparison made
#     there the same way (``_rootlibs_above``).
# Every board read is of such a point, or a neighbour of one.  A point empty
# in the position and stamped in _MARK alone was only ever read as a
# liberty (a stone the search plays is a _play centre), so its own color is
# all that matters; any other stamped point depends on its neighbours too.
# Before each position the cache stamps, with the number of that call, the
# points whose color changed since the previous call (_CHANGED_HERE), and
# those and their four neighbours (_CHANGED).  An answer recorded at call t
# is still exact while its footprint has no stamp above t and the _ROOTLIBS
# it compared are still in their ranges.  The target group is in the
# footprint (its fill reads all its stones and liberties), so a valid entry
# also means the group and the stone that names it are unchanged.
#
# cache int64[2, 7, W*W] holds, per side to move and first stone, the fields
# below; footprints live in ``pool``, which starts over (dropping every
# entry) when full.  A cache with no points (``cache.shape[2] == 0``) turns
# all this off: every question is read afresh.
# --------------------------------------------------------------------------

# Cache fields: the key (0 = empty), the call that stored it, the answer
# (plane offset or -1, two atari points or -1), the footprint.
_KEY, _CALL, _A0, _A1, _A2, _FP0, _FPN = range(7)
_CACHE_FIELDS = 7
_POOL_PER_POINT = 64


@njit(cache=True, _nrt=False)
def _stamp_changes(boards, work, sc, w):
    sc[_CALLS] += 1
    t = sc[_CALLS]
    for p in range(w, w * w - w):
        if boards[0, p] != work[_PREV_COLOR, p]:
            work[_PREV_COLOR, p] = boards[0, p]
            work[_CHANGED_HERE, p] = t
            for q in (p, p - 1, p + 1, p - w, p + w):
                work[_CHANGED, q] = t


@njit(cache=True, _nrt=False)
def _lookup(cache, pool, work, row, pt, key):
    """True if ``cache[row, :, pt]`` holds ``key`` and its footprint is unchanged."""
    if cache.shape[2] == 0 or cache[row, _KEY, pt] != key:
        return False
    t = cache[row, _CALL, pt]
    w2 = work.shape[1]
    stamps = work.reshape(-1)[_CHANGED * w2 :]  # rows _CHANGED, _CHANGED_HERE
    i = cache[row, _FP0, pt]
    end = i + cache[row, _FPN, pt]
    while i < end:
        e = pool[i]
        if e < 2 * w2:  # k * W*W + p: stamp row _CHANGED + k at p
            if stamps[e] > t:
                return False
            i += 1
        else:  # 2 * W*W + p, low, high: _ROOTLIBS at p
            libs = work[_ROOTLIBS, e - 2 * w2]
            if libs < pool[i + 1] or libs > pool[i + 2]:
                return False
            i += 3
    return True


@njit(cache=True, _nrt=False)
def _begin(sc):
    """Start stamping a search's reads; returns the stamp they all exceed."""
    since = sc[_SINCE] = sc[_STAMP]
    sc[_STAMP] += 1
    return since


@njit(cache=True, _nrt=False)
def _store(cache, pool, work, sc, boards, since, row, pt, key, answer):
    """Keep ``answer`` (plane, mark0, mark1) with the footprint of the reads stamped above ``since``."""
    if cache.shape[2] == 0:
        return
    w2 = work.shape[1]
    top = sc[_POOLTOP]
    if top + 4 * w2 > len(pool):
        cache[:, _KEY, :] = 0  # full: forget every answer and start the pool over
        top = 0
    start = top
    for p in range(w2):
        # Cheap to test, and most points fail: decide the rest only for these.
        mark = max(work[_MARK, p], work[_TMARK, p])  # target fills stamp _TMARK
        if max(work[_TOUCHED, p], mark, work[_LIBREAD, p]) <= since:
            continue
        if work[_TOUCHED, p] > since or (mark > since and boards[0, p] != EMPTY):
            pool[top] = p  # read around p
            top += 1
        elif mark > since:
            # Empty here: the search only ever read it as a liberty, or played
            # there (then _play touched it).
            pool[top] = w2 + p
            top += 1
        if work[_LIBREAD, p] > since:
            pool[top] = 2 * w2 + p
            pool[top + 1] = work[_LIBS_LOW, p]
            pool[top + 2] = work[_LIBS_HIGH, p]
            top += 3
    sc[_POOLTOP] = top
    cache[row, _KEY, pt] = key
    cache[row, _CALL, pt] = sc[_CALLS]
    cache[row, _A0, pt], cache[row, _A1, pt], cache[row, _A2, pt] = answer
    cache[row, _FP0, pt] = start
    cache[row, _FPN, pt] = top - start


@njit(cache=True, _nrt=False)
def _capturable(boards, words, work, moves, meta, sc, me, g, ko, w):
    """The ataris by ``me`` (``ko`` binding it) that capture the opponent's two-liberty
    group at g in a ladder: ``(first or -1, second or -1)``."""
    _group(boards, 0, g, w, work, _MEMBERS, sc, 3, _TMARK)
    s = sc[_STAMP]
    l0 = sc[_LIB0]
    l1 = sc[_LIB1]
    mark0 = mark1 = -1
    for atari, other in ((l0, l1), (l1, l0)):
        if _open(boards, 0, other, atari, w, work, sc) >= 3:
            continue
        k2 = _play_child(boards, words, work, meta, sc, 0, atari, me, ko, w, s, s)
        if k2 == _ILLEGAL:
            continue
        sc[_BUDGET] = LADDER_BUDGET
        if _ladder(boards, words, work, moves, meta, sc, 1, g, k2, False, w):
            if mark0 < 0:
                mark0 = atari
            else:
                mark1 = atari
    return mark0, mark1


@njit(cache=True, _nrt=False)
def _question(boards, words, work, moves, meta, sc, cache, pool, me, g, nl, ko, w):
    """The question about the group at g (``nl`` liberties) for the side to move ``me``:
    ``(plane offset or -1, atari point or -1, atari point or -1)``."""
    mine = boards[0, g] == me
    kind = (DEAD if nl == 1 else THREAT) if mine else CAPTURABLE
    key = 1 + kind + 4 * (0 if kind == THREAT else ko + 1)  # THREAT ignores today's ko
    row = me - 1
    if _lookup(cache, pool, work, row, g, key):
        return cache[row, _A0, g], cache[row, _A1, g], cache[row, _A2, g]
    since = _begin(sc)
    sc[_BUDGET] = LADDER_BUDGET
    plane = mark0 = mark1 = -1
    if kind == DEAD:
        if _ladder(boards, words, work, moves, meta, sc, 0, g, ko, False, w):
            plane = DEAD
    elif kind == THREAT:
        # As if the opponent were to move: today's ko does not bind it.
        if _ladder(boards, words, work, moves, meta, sc, 0, g, -1, True, w):
            plane = THREAT
    else:
        mark0, mark1 = _capturable(boards, words, work, moves, meta, sc, me, g, ko, w)
        plane = CAPTURABLE if mark0 >= 0 else -1
    _store(cache, pool, work, sc, boards, since, row, g, key, (plane, mark0, mark1))
    return plane, mark0, mark1


@njit(cache=True, inline="always")
def _room(boards, p, exclude, w):
    """Empty neighbours of p in the position other than ``exclude`` (``_open`` unstamped)."""
    k = 0
    for q in (p - 1, p + 1, p - w, p + w):
        if q != exclude and boards[0, q] == EMPTY:
            k += 1
    return k


@njit(cache=True, _nrt=False)
def _escapes(boards, work, gi, nl, w):
    """True if group gi's question is "not captured" at its first step, no search needed.

    The search's own first tests, on the liberties ``label_groups`` found: a
    stone in atari whose liberty has three empty neighbours extends to three
    liberties (``_expand_defender``); a two-liberty group with three empty
    neighbours around each liberty, the other one aside, is never put in
    atari (``_expand_attacker``, ``_capturable``).  Asking these first skips
    the cache and its footprint for the many groups they settle.
    """
    l0 = work[_GLIB0, gi]
    if nl == 1:
        return _room(boards, l0, -1, w) >= 3
    l1 = work[_GLIB1, gi]
    return _room(boards, l1, l0, w) >= 3 and _room(boards, l0, l1, w) >= 3


@njit(cache=True, _nrt=False)
def ladder_planes(boards, words, work, moves, meta, sc, cache, pool, n, me, ko, ngroups, out, base):
    """Fill the four ladder planes (``out[base:base + 4]``) for the side to move ``me``.

    Call after ``label_groups`` on the same position; ``ko`` is the padded
    point ``me`` may not play by simple ko, or -1.
    """
    w = n + 2
    if cache.shape[2] > 0:
        _stamp_changes(boards, work, sc, w)
    meta[0, _BOUND] = 0
    meta[0, _PRE] = 0
    for gi in range(ngroups):
        work[_GPLANE, gi] = -1
        g = work[_HEADS, gi]
        nl = work[_GLIBS, gi]
        if nl > 2 or (nl == 1 and boards[0, g] != me) or _escapes(boards, work, gi, nl, w):
            continue
        plane, mark0, mark1 = _question(boards, words, work, moves, meta, sc, cache, pool, me, g, nl, ko, w)
        work[_GPLANE, gi] = plane
        for mark in (mark0, mark1):
            if mark >= 0:
                out[base + CAPTURE_MOVE, mark // w - 1, mark % w - 1] = 1.0
    for r in range(n):
        for c in range(n):
            gi = work[_LABEL, (r + 1) * w + c + 1]
            if gi >= 0 and work[_GPLANE, gi] >= 0:
                out[base + work[_GPLANE, gi], r, c] = 1.0


@njit(cache=True, inline="always")
def boards_of(words):
    """The int8 view ``boards[D, 8K]`` of the search positions ``words[D, K]``."""
    return words.reshape(-1).view(np.int8).reshape((words.shape[0], 8 * words.shape[1]))


@njit(cache=True)
def new_work(n, ladders):
    """Work arrays for one ``label_groups`` (+ ``ladder_planes``) call without a cache:
    ``(words, work, moves, meta, sc, cache, pool)``."""
    depth = 8 * n + 8 if ladders else 1  # a ladder gains a liberty or ends within ~4n plies
    w = n + 2
    work = np.empty((_WORK_ROWS, w * w), np.int64)
    work[_MARK] = 0  # flood-fill stamps start at 1
    work[_SEEN] = 0
    work[_TMARK] = 0
    return (
        np.empty((depth, (w * w + 7) // 8), np.uint64),
        work,
        np.empty((depth, _MAX_MOVES), np.int64),
        np.empty((depth, _META), np.int64),
        np.zeros(_SC_SIZE, np.int64),
        np.zeros((2, _CACHE_FIELDS, 0), np.int64),
        np.zeros(0, np.int64),
    )


@njit(cache=True, inline="always")
def _context_sizes(n):
    """The int64 words of each array of a context (as ``context_views`` lists them)."""
    w2 = (n + 2) * (n + 2)
    depth = 8 * n + 8
    words = depth * ((w2 + 7) // 8)
    cache = 2 * _CACHE_FIELDS * w2
    return (words, _WORK_ROWS * w2, depth * _MAX_MOVES, depth * _META, _SC_SIZE, cache, _POOL_PER_POINT * w2)


@njit(cache=True, inline="always")
def context_views(arena, n):
    """The context ``(words, work, moves, meta, sc, cache, pool)`` that ``arena`` (from
    ``new_context``) holds for an n board: views, so the arrays persist in the arena.

    One array crosses from Python into a kernel cheaper than seven (the env
    passes the arena every step); inlined, so a kernel without reference
    counting can unpack it.
    """
    w2 = (n + 2) * (n + 2)
    depth = 8 * n + 8
    sizes = _context_sizes(n)
    o1 = sizes[0]
    o2 = o1 + sizes[1]
    o3 = o2 + sizes[2]
    o4 = o3 + sizes[3]
    o5 = o4 + sizes[4]
    o6 = o5 + sizes[5]
    return (
        arena[:o1].view(np.uint64).reshape((depth, sizes[0] // depth)),
        arena[o1:o2].reshape((_WORK_ROWS, w2)),
        arena[o2:o3].reshape((depth, _MAX_MOVES)),
        arena[o3:o4].reshape((depth, _META)),
        arena[o4:o5],
        arena[o5:o6].reshape((2, _CACHE_FIELDS, w2)),
        arena[o6 : o6 + sizes[6]],
    )


def new_context(n: int) -> np.ndarray:
    """Work arrays and an empty ladder cache, in one int64 array, for encoding many
    positions of one ``n`` board in turn; ``context_views(arena, n)`` unpacks it."""
    return np.zeros(sum(_context_sizes(n)), np.int64)
