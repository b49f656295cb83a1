"""The 8 dihedral transforms: distinct, invertible, a group, planes and policy agree."""

import numpy as np
import pytest

from goagent.coords import gtp_to_action
from goagent.symmetry import (
    NUM_SYMMETRIES,
    action_map,
    apply_action,
    apply_planes,
    apply_planes_each,
    apply_policy,
    apply_policy_each,
    compose,
    inverse,
    policy_permutation,
)

KS = range(NUM_SYMMETRIES)


def generic_board(n: int = 5) -> np.ndarray:
    """A board with no symmetry at all: every entry distinct."""
    return np.arange(n * n).reshape(n, n)


def test_all_eight_transforms_are_distinct():
    images = {apply_planes(generic_board(), k).tobytes() for k in KS}
    assert len(images) == 8


@pytest.mark.parametrize("k", KS)
def test_inverse_undoes_transform_for_planes_and_policy(k):
    n = 7
    planes = np.random.default_rng(k).random((2, 3, n, n))  # leading dims are carried along
    assert np.array_equal(apply_planes(apply_planes(planes, k), inverse(k)), planes)
    policy = np.random.default_rng(k).random((4, n * n + 1))
    assert np.array_equal(apply_policy(apply_policy(policy, k, n), inverse(k), n), policy)
    assert compose(k, inverse(k)) == 0 and compose(inverse(k), k) == 0


def test_named_transforms_move_a_corner_where_documented():
    n = 9
    a1 = gtp_to_action("A1", n)  # bottom-left: (row 8, col 0)
    expected = {
        0: "A1",
        1: "J1",  # 90 degrees counter-clockwise: bottom-left -> bottom-right
        2: "J9",
        3: "A9",
        4: "J1",  # left-right mirror
        5: "A9",  # top-bottom mirror
        6: "J9",  # transpose: (8, 0) -> (0, 8)
        7: "A1",  # anti-transpose keeps this corner
    }
    for k, vertex in expected.items():
        assert apply_action(a1, k, n) == gtp_to_action(vertex, n), k
    c3 = gtp_to_action("C3", n)  # (row 6, col 2) tells 1 from 4 and 6 from 7
    assert apply_action(c3, 1, n) == gtp_to_action("G3", n)
    assert apply_action(c3, 4, n) == gtp_to_action("G3", n)
    assert apply_action(c3, 6, n) == gtp_to_action("G7", n)
    assert apply_action(c3, 7, n) == gtp_to_action("C3", n)
    assert apply_action(gtp_to_action("B3", n), 7, n) == gtp_to_action("C2", n)


@pytest.mark.parametrize("size", [2, 5, 9, 19])
@pytest.mark.parametrize("k", KS)
def test_one_hot_plane_and_policy_land_on_the_same_point(k, size):
    for action in range(size * size):
        plane = np.zeros((size, size))
        plane.flat[action] = 1
        policy = np.zeros(size * size + 1)
        policy[action] = 1
        moved_plane = apply_planes(plane, k)
        moved_policy = apply_policy(policy, k, size)
        assert np.flatnonzero(moved_plane) == [apply_action(action, k, size)]
        assert np.array_equal(moved_policy[:-1], moved_plane.reshape(-1))
        assert moved_policy[-1] == 0


@pytest.mark.parametrize("k", KS)
def test_pass_stays_fixed(k):
    n = 5
    policy = np.zeros(n * n + 1)
    policy[-1] = 0.7
    policy[3] = 0.3
    moved = apply_policy(policy, k, n)
    assert moved[-1] == 0.7 and moved.sum() == pytest.approx(1.0)
    assert apply_action(n * n, k, n) == n * n
    assert policy_permutation(k, n)[-1] == n * n


def test_composition_closes_and_matches_applying_twice():
    board = generic_board(6)
    images = [apply_planes(board, k) for k in KS]
    for a in KS:
        for b in KS:
            c = compose(a, b)
            assert 0 <= c < 8
            assert np.array_equal(apply_planes(images[a], b), images[c])
            policy = np.arange(37.0)
            assert np.array_equal(apply_policy(apply_policy(policy, a, 6), b, 6), apply_policy(policy, c, 6))
    # Each row of the table is a permutation (a group's Cayley table), 0 is the identity.
    for a in KS:
        assert sorted(compose(a, b) for b in KS) == list(KS)
        assert compose(a, 0) == compose(0, a) == a
    # Rotations form a cyclic subgroup: 1 generates 0..3.
    assert [compose(1, r) for r in range(4)] == [1, 2, 3, 0]


def test_transforms_keep_values_and_leading_dims():
    planes = np.random.default_rng(0).random((3, 2, 5, 5)).astype(np.float32)
    for k in KS:
        out = apply_planes(planes, k)
        assert out.shape == planes.shape and out.dtype == np.float32
        assert out.flags.c_contiguous
        assert np.array_equal(np.sort(out, axis=None), np.sort(planes, axis=None))


def test_permutation_tables_are_cached_read_only_permutations():
    perm = policy_permutation(3, 9)
    assert perm is policy_permutation(3, 9)
    assert sorted(perm.tolist()) == list(range(82))
    with pytest.raises(ValueError):
        perm[0] = 5
    assert np.array_equal(action_map(3, 9)[perm], np.arange(82))


def test_batched_per_item_transforms_match_single_ones():
    n = 5
    rng = np.random.default_rng(1)
    planes = rng.random((8, 2, n, n))
    policy = rng.random((8, n * n + 1))
    ks = np.array([3, 0, 7, 1, 5, 5, 2, 6])
    each_planes = apply_planes_each(planes, ks)
    each_policy = apply_policy_each(policy, ks, n)
    for i, k in enumerate(ks):
        assert np.array_equal(each_planes[i], apply_planes(planes[i], k))
        assert np.array_equal(each_policy[i], apply_policy(policy[i], k, n))


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError):
        apply_planes(np.zeros((3, 4)), 0)
    with pytest.raises(ValueError):
        apply_planes(np.zeros((3, 3)), 8)
    with pytest.raises(ValueError):
        apply_policy(np.zeros(10), 0, 4)
    with pytest.raises(ValueError):
        inverse(-1)
