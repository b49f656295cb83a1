"""The 8 dihedral symmetries of the board, for feature planes and policy vectors.

A transform is an int ``k`` in ``range(8)``; each acts on the last two axes
(row, col) of a plane array (``(..., n, n)``, any leading dims):

====  ==============================================================
 k    transform
====  ==============================================================
 0    identity
 1    rotate 90 degrees counter-clockwise (``np.rot90``)
 2    rotate 180 degrees
 3    rotate 270 degrees counter-clockwise (90 clockwise)
 4    mirror left-right (columns reversed)
 5    mirror top-bottom (rows reversed)
 6    transpose (main diagonal: ``(r, c) -> (c, r)``)
 7    anti-transpose (``(r, c) -> (n-1-c, n-1-r)``)
====  ==============================================================

Policy vectors have length ``n*n + 1`` (pass last) and move with the planes:
if a plane is one-hot at action ``a``, ``apply_planes`` puts the one at
``apply_action(a, k, n)``, and ``apply_policy`` moves probability mass from ``a``
to the same place.  Pass never moves.  ``inverse(k)`` undoes ``k`` and
``compose(a, b)`` is "first a, then b".  Transforms return new C-contiguous
arrays (``torch.from_numpy`` rejects negative strides).

Typical use (inference): ``policy = apply_policy(net(apply_planes(x, k)), inverse(k), n)``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numba import njit

NUM_SYMMETRIES = 8
_INVERSE = (0, 3, 2, 1, 4, 5, 6, 7)


def _check(k: int) -> int:
    if not 0 <= k < NUM_SYMMETRIES:
        raise ValueError(f"symmetry must be in 0..7, got {k!r}")
    return int(k)


def _view(planes: np.ndarray, k: int) -> np.ndarray:
    """Transform ``k`` of ``planes`` (..., n, n) as a numpy view."""
    if k < 4:
        return np.rot90(planes, k, axes=(-2, -1))
    if k == 4:
        return planes[..., :, ::-1]
    if k == 5:
        return planes[..., ::-1, :]
    if k == 6:
        return np.swapaxes(planes, -2, -1)
    return np.swapaxes(planes, -2, -1)[..., ::-1, ::-1]


def apply_planes(planes: np.ndarray, k: int) -> np.ndarray:
    """Transform ``k`` of ``planes`` (``(..., n, n)``), as a new contiguous array."""
    planes = np.asarray(planes)
    if planes.ndim < 2 or planes.shape[-1] != planes.shape[-2]:
        raise ValueError(f"planes must end in two equal axes (n, n), got shape {planes.shape}")
    return np.ascontiguousarray(_view(planes, _check(k)))


def inverse(k: int) -> int:
    """The transform that undoes ``k``."""
    return _INVERSE[_check(k)]


@cache
def policy_permutation(k: int, size: int) -> np.ndarray:
    """Gather indices: ``apply_policy(p, k, size) == p[..., policy_permutation(k, size)]``.

    Length ``size*size + 1``; the last entry (pass) is ``size*size``.  Cached and
    read-only.
    """
    k = _check(k)
    points = _view(np.arange(size * size, dtype=np.int64).reshape(size, size), k).reshape(-1)
    perm = np.append(points, size * size)
    perm.setflags(write=False)
    return perm


@cache
def action_map(k: int, size: int) -> np.ndarray:
    """Scatter table: ``action_map(k, size)[a]`` is where action ``a`` goes under ``k``."""
    perm = policy_permutation(k, size)
    out = np.empty_like(perm)
    out[perm] = np.arange(perm.size)
    out.setflags(write=False)
    return out


def apply_policy(policy: np.ndarray, k: int, size: int) -> np.ndarray:
    """Transform ``k`` of policy vectors ``(..., size*size + 1)``; pass stays last."""
    policy = np.asarray(policy)
    if policy.shape[-1] != size * size + 1:
        raise ValueError(f"policy must end in an axis of {size * size + 1} (size {size}), got {policy.shape}")
    return np.take(policy, policy_permutation(k, size), axis=-1)


def apply_action(action: int, k: int, size: int) -> int:
    """Where ``action`` lands under transform ``k`` (pass stays pass)."""
    return int(action_map(k, size)[action])


def compose(first: int, second: int) -> int:
    """The single transform equal to applying ``first`` then ``second``."""
    return _COMPOSE[_check(first)][_check(second)]


def apply_planes_each(planes: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """Batch of ``(B, ..., n, n)`` with its own transform ``ks[i]`` per item (augmentation)."""
    planes = np.asarray(planes)
    ks = np.asarray(ks)
    if ks.shape != planes.shape[:1]:
        raise ValueError(f"need one transform per item: {ks.shape} for batch {planes.shape[:1]}")
    if planes.ndim < 3 or planes.shape[-1] != planes.shape[-2]:
        raise ValueError(f"planes must be (B, ..., n, n), got shape {planes.shape}")
    n = planes.shape[-1]
    flat = planes.reshape(len(planes), -1, n * n)
    return _each(flat, _tables(n, points_only=True), ks).reshape(planes.shape)


def apply_policy_each(policy: np.ndarray, ks: np.ndarray, size: int) -> np.ndarray:
    """Batch of policies ``(B, size*size + 1)`` with a transform ``ks[i]`` per item."""
    policy = np.asarray(policy)
    ks = np.asarray(ks)
    if policy.ndim != 2 or ks.shape != policy.shape[:1] or policy.shape[1] != size * size + 1:
        raise ValueError(
            f"need policies (B, {size * size + 1}) and B transforms, got {policy.shape}, {ks.shape}"
        )
    return _each(policy[:, None, :], _tables(size), ks)[:, 0, :]


@cache
def _tables(size: int, points_only: bool = False) -> np.ndarray:
    """``policy_permutation`` of every transform, (8, size*size + 1), or without the pass
    entry for planes; C-contiguous (one Numba specialisation) and read-only."""
    table = np.stack([policy_permutation(k, size) for k in range(NUM_SYMMETRIES)])
    if points_only:
        table = np.ascontiguousarray(table[:, : size * size])
    table.setflags(write=False)
    return table


def _each(items: np.ndarray, table: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """``out[b, c] = items[b, c, table[ks[b]]]`` for (B, C, L) items: one pass in Numba
    (the search transforms every batch of leaves, and its ownership back)."""
    ks = ks.astype(np.int64)
    if ks.size and (ks.min() < 0 or ks.max() >= NUM_SYMMETRIES):
        raise ValueError(f"symmetries must be in 0..7, got {sorted(set(ks.tolist()))}")
    out = np.empty(items.shape, items.dtype)
    _gather_each(np.ascontiguousarray(items), table, ks, out)
    return out


@njit(cache=True)
def _gather_each(items, table, ks, out):
    for b in range(items.shape[0]):
        perm = table[ks[b]]
        for c in range(items.shape[1]):
            for j in range(perm.shape[0]):
                out[b, c, j] = items[b, c, perm[j]]


def _compose_table() -> tuple[tuple[int, ...], ...]:
    # Compose on a board whose 8 images are all distinct (3x3 with distinct entries).
    probe = np.arange(9).reshape(3, 3)
    images = [_view(probe, k) for k in range(NUM_SYMMETRIES)]
    table = []
    for a in range(NUM_SYMMETRIES):
        row = []
        for b in range(NUM_SYMMETRIES):
            both = _view(images[a], b)
            row.append(next(k for k in range(NUM_SYMMETRIES) if np.array_equal(images[k], both)))
        table.append(tuple(row))
    return tuple(table)


_COMPOSE = _compose_table()
