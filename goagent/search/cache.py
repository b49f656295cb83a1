"""The evaluation cache: priors, value and score by position key, in flat arrays for the kernels.

A two-way set-associative table of ``C`` entries (``C`` a power of two):
``keys`` int64[C] (0: free), ``priors`` float32[C, n*n+1], ``values``
float32[C, 2] (value, score, for the side to move).  A key lives at
``key & (C - 1)`` or its neighbour ``^ 1``; a new key takes the first slot
and pushes the old one to the second, so recent positions stay.  The key
(``goagent.search.leaves.replay``) covers the last eight positions and the
side to move: what the network sees, but not the whole history, so the
cache gives priors and values only; legality always comes from the scratch
board.  Start reading at ``lookup``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from goagent import kernel_cache

kernel_cache.check()  # before any cached kernel loads: stale machine code would crash

ENTRY_OVERHEAD = 8 + 8  # key and (value, score) per entry, besides its priors


def new_cache(entries: int, actions: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A cache of at most ``entries`` positions (rounded down to a power of two; 0: none)."""
    size = 0
    if entries >= 2:
        size = 1 << (int(entries).bit_length() - 1)
    return np.zeros(size, np.int64), np.zeros((size, actions), np.float32), np.zeros((size, 2), np.float32)


def cache_bytes(entries: int, actions: int) -> int:
    return entries * (4 * actions + ENTRY_OVERHEAD)


@njit(cache=True, inline="always")
def _nonzero(key):
    return key if key != 0 else 1


@njit(cache=True)
def lookup(keys, key):
    """The slot holding ``key``, or -1."""
    if len(keys) == 0:
        return -1
    key = _nonzero(key)
    i = key & (len(keys) - 1)
    if keys[i] == key:
        return i
    if keys[i ^ 1] == key:
        return i ^ 1
    return -1


@njit(cache=True)
def store(keys, priors, values, key, p, value, score):
    """Remember ``key``'s evaluation (an existing entry is overwritten in place)."""
    if len(keys) == 0:
        return
    key = _nonzero(key)
    i = key & (len(keys) - 1)
    if keys[i] != key and keys[i] != 0:
        j = i ^ 1
        if keys[j] == key:
            i = j
        else:  # the old entry moves to the second slot
            keys[j] = keys[i]
            priors[j] = priors[i]
            values[j] = values[i]
    keys[i] = key
    priors[i] = p
    values[i, 0] = value
    values[i, 1] = score
