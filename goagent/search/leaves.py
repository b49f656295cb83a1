"""Leaf positions on a scratch board: replay the path, legal moves, cache key, planes.

The tree stores no positions.  ``replay`` copies the root board (the
``Board`` arrays of ``goagent.board``) and plays the path's moves on it,
keeping the last eight positions' stones and hashes in small rings, and the
path's positions in a position set for superko.  The ko rule is a
parameter: ``SIMPLE`` (basic rules only), ``POSITIONAL`` (no move may
recreate a position of the game or the path: ``GameState``'s rule), or
``SITUATIONAL`` (the same position with the same player to move); the game's
position set ``seen`` must be built to match (``driver.history_set``).
``planes`` writes the network input of the leaf with
``features.fill_planes``, the kernel ``features.encode`` uses, and a ladder
context that lives as long as the search (answers carry over from leaf to
leaf exactly, see ``goagent.ladders``).  Start reading at ``replay``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from goagent import features
from goagent.board import (
    _COLOR,
    _ELIST,
    _HASH,
    _KO,
    _N_EMPTY,
    _SIZE,
    _STRIDE,
    _ZOBRIST,
    _area,
    _colors,
    _hash_after,
    _is_legal,
    _ko_action,
    _next_to,
    _place,
    _set_add,
    _set_has,
    _to_action,
    _to_padded,
)
from goagent.coords import BLACK
from goagent.ladders import context_views

SIMPLE, POSITIONAL, SITUATIONAL = 0, 1, 2
KO_RULES = {"simple": SIMPLE, "positional": POSITIONAL, "situational": SITUATIONAL}

# Xored into a position's hash for the player to move next (situational superko only).
SIDE_KEYS = np.random.default_rng(0x51DE).integers(1, np.iinfo(np.int64).max, size=3, dtype=np.int64)
SIDE_KEYS[0] = 0

_MIX = np.int64(-7046029254386353131)  # 0x9E3779B97F4A7C15 as int64


@njit(cache=True)
def legal_moves(b, m, c, seen, pathset, ko_rule, mask):
    """``mask[action]`` for ``c`` under basic rules and the ko rule, against the game's
    position set ``seen`` and the path's ``pathset``; pass is always legal."""
    n = m[_SIZE]
    w = m[_STRIDE]
    o = 3 - c
    mask[:] = False
    for i in range(m[_N_EMPTY]):
        p = b[_ELIST, i]
        if not _is_legal(b, m, p, c):
            continue
        if ko_rule != SIMPLE:
            h = _hash_after(b, m, p, c) if _next_to(b, p, w, o) else m[_HASH] ^ _ZOBRIST[c, p]
            if ko_rule == SITUATIONAL:
                h ^= SIDE_KEYS[o]
            if _set_has(seen, h) or _set_has(pathset, h):
                continue
        mask[_to_action(p, n)] = True
    mask[n * n] = True


@njit(cache=True)
def replay(
    root_b, root_m, root_hist, root_color, root_passes, seen, ko_rule, moves, depth,
    sb, sm, ring, pathset, legal,
):  # fmt: skip
    """Play ``moves[:depth]`` from the root on the scratch board ``sb``/``sm``; fill
    ``legal``; returns (side to move, consecutive passes, cache key).

    ``root_hist`` is ``(stones int8[8, n, n], hashes int64[8])`` of the root and
    the seven positions before it (zeros where the game is younger); ``ring``
    is ``(stones int8[8, n, n], hashes int64[8])`` for the path's positions.
    """
    hist_stones, hist_hashes = root_hist
    ring_stones, ring_hashes = ring
    sb[:, :] = root_b
    sm[:] = root_m
    n = sm[_SIZE]
    color = root_color
    passes = root_passes
    cap = 16
    while cap < 2 * (depth + 2):
        cap *= 2
    table = pathset[: cap + 2]
    table[:] = 0
    for d in range(depth):
        a = moves[d]
        if a == n * n:
            sm[_KO] = -1
            passes += 1
        else:
            _place(sb, sm, _to_padded(a, n), color)
            passes = 0
        color = 3 - color
        h = sm[_HASH]
        if ko_rule == SITUATIONAL:
            h ^= SIDE_KEYS[color]
        _set_add(table, h)
        if d + 1 > depth - 8:
            _colors(sb, sm, ring_stones[(d + 1) % 8])
            ring_hashes[(d + 1) % 8] = sm[_HASH]
    legal_moves(sb, sm, color, seen, table, ko_rule, legal)
    key = np.int64(color)
    for h in range(8):
        dd = depth - h
        hv = ring_hashes[dd % 8] if dd >= 1 else hist_hashes[-dd]
        key = key * _MIX + hv
    return color, passes, key


@njit(cache=True)
def terminal(sb, sm, color, komi, dead, placed):
    """(value, score) of a finished game for ``color`` under the root's scoring rule.

    ``dead``: int8[field] the colour of each root stone judged dead (0 elsewhere; all
    0 under Tromp-Taylor): where it still stands it counts as empty, so its points
    go to the colour around it.  ``placed``: NaN for area scoring; under territory
    scoring, Black's stones placed minus White's along the game and the path.  The
    territory margin is the area margin less that: a stone placed counts as a point
    under area scoring, and under territory scoring it either stands on a point that
    is then no territory or was captured and counts as a prisoner against its owner.
    """
    n = sm[_SIZE]
    owner = np.empty(n * n, np.int8)
    standing = False
    for p in range(dead.shape[0]):
        if dead[p] != 0 and sb[_COLOR, p] == dead[p]:
            standing = True
            break
    board = sb
    if standing:  # rare: only terminal leaves get here
        board = sb.copy()
        for p in range(dead.shape[0]):
            if dead[p] != 0 and board[_COLOR, p] == dead[p]:
                board[_COLOR, p] = 0
    black, white = _area(board, sm, owner)
    score = black - white - komi
    if not np.isnan(placed):
        score -= placed
    if color != BLACK:
        score = -score
    value = 1.0 if score > 0 else -1.0 if score < 0 else 0.0
    return value, score


@njit(cache=True)
def planes(root_hist, ring, depth, sm, color, komi, legal, out, ladders, arena):
    """The network planes of the replayed leaf into ``out`` (float32[C, n, n])."""
    hist_stones, _ = root_hist
    ring_stones, _ = ring
    n = sm[_SIZE]
    stones = np.empty((features.HISTORY, n, n), np.int8)
    for h in range(features.HISTORY):
        dd = depth - h
        stones[h] = ring_stones[dd % 8] if dd >= 1 else hist_stones[-dd]
    ko = _ko_action(sm, color)
    features.fill_planes(stones, color, komi, ko, legal, out, ladders, context_views(arena, n))
