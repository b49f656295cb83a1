"""Leaves on the scratch board: planes equal ``features.encode``, legality equals
``GameState.legal_mask`` (superko along the path included), and the ko-rule parameter."""

from __future__ import annotations

import numpy as np
import pytest

from goagent import features
from goagent.coords import BLACK
from goagent.game import GameState
from goagent.mcts import Evaluation, Search, SearchConfig


class CheckingEvaluator:
    """An ``evaluate_planes`` evaluator that rebuilds each leaf as a ``GameState`` and
    compares the search's planes and legal moves with the reference encoders."""

    def __init__(self):
        self.search: Search | None = None
        self.leaves = 0
        self.path_superko = 0  # moves forbidden only by a position earlier on the search path

    def evaluate_planes(self, planes, legal):
        root_seen = set(self.search.state.positions_seen())
        for k in range(len(planes)):
            state = self.search._leaf_state(k)
            mask = state.legal_mask()
            np.testing.assert_array_equal(legal[k], mask)
            np.testing.assert_array_equal(planes[k], features.encode(state, mask))
            self.leaves += 1
            if state.superko:
                basic, hashes = state.board.legal_moves(state.to_play)
                path_only = set(state.positions_seen()) - root_seen
                self.path_superko += sum(1 for a in np.flatnonzero(basic & ~mask) if hashes[a] in path_only)
        priors = legal / legal.sum(axis=1, keepdims=True)
        rng = np.random.default_rng(len(planes) + self.leaves)
        return Evaluation(priors.astype(np.float32), rng.uniform(-0.5, 0.5, len(planes)).astype(np.float32))

    def evaluate(self, states, legal):  # the public protocol (not used by the search here)
        raise AssertionError("the search should call evaluate_planes")


def random_game(size: int, moves: int, seed: int, superko: bool = True) -> GameState:
    rng = np.random.default_rng(seed)
    state = GameState(size, 6.5, superko=superko)
    for _ in range(moves):
        legal = np.flatnonzero(state.legal_mask()[:-1])
        if len(legal) == 0:
            state.pass_move()
            continue
        state.play(int(rng.choice(legal)))
    return state


def searched(state: GameState, visits: int, batch: int = 8) -> CheckingEvaluator:
    evaluator = CheckingEvaluator()
    search = Search(state, evaluator, SearchConfig(batch_size=batch))
    evaluator.search = search
    search.run(visits=visits)
    return evaluator


@pytest.mark.parametrize("size,moves,seed", [(9, 0, 0), (9, 30, 1), (9, 60, 2), (13, 50, 3), (19, 120, 4)])
def test_leaf_planes_equal_features_encode(size, moves, seed):
    evaluator = searched(random_game(size, moves, seed), visits=200)
    assert evaluator.leaves >= 150


def test_simple_ko_rule_states():
    evaluator = searched(random_game(5, 12, 5, superko=False), visits=300)
    assert evaluator.leaves >= 200


def test_superko_along_the_path_is_enforced():
    """On a small crowded board the search's lines repeat positions: the moves that
    would recreate a position of the path itself must be missing from the leaves."""
    total = 0
    for seed in range(6):
        evaluator = searched(random_game(4, 10, seed), visits=400, batch=4)
        total += evaluator.path_superko
    assert total > 0


def test_situational_superko_forbids_no_more_than_positional():
    state = random_game(4, 10, 2)
    positional = Search(state, _Uniform(), SearchConfig(batch_size=1))
    situational_state = state.copy()
    situational_state.ko_rule = "situational"
    situational = Search(situational_state, _Uniform(), SearchConfig(batch_size=1))
    assert situational.ko_rule != positional.ko_rule
    for search in (positional, situational):
        search.run(visits=300)
    a = set(positional.root.actions.tolist())
    b = set(situational.root.actions.tolist())
    assert a <= b


class _Uniform:
    def evaluate(self, states, legal):
        priors = np.stack([m / m.sum() for m in legal]).astype(np.float32)
        return Evaluation(priors, np.array([0.1 if s.to_play == BLACK else -0.1 for s in states], np.float32))
