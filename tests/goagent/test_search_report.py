"""What the search reports beyond visits (ownership and score sums, in the root
player's view) and batching many searches through one evaluator call."""

from __future__ import annotations

import numpy as np
import pytest

from goagent.coords import BLACK
from goagent.game import GameState
from goagent.mcts import Evaluation, Search, SearchConfig
from goagent.search.driver import step_many


class BlackOwnsAll:
    """Every point Black's and Black 3 points ahead, given from the side to move's view;
    values from a fixed random table of the position hash (deterministic)."""

    def evaluate(self, states, legal):
        sign = np.array([1.0 if s.to_play == BLACK else -1.0 for s in states], np.float32)
        n2 = states[0].size ** 2
        priors = np.stack([m / m.sum() for m in legal]).astype(np.float32)
        values = np.array([(s.board.hash % 1000) / 1000 - 0.5 for s in states], np.float32)
        return Evaluation(priors, values, np.repeat(sign[:, None], n2, axis=1), 3.0 * sign)


def test_ownership_and_score_are_averaged_in_the_root_players_view():
    state = GameState(9)
    result = Search(state, BlackOwnsAll(), SearchConfig(batch_size=4)).run(visits=60)
    assert result.ownership is not None and np.allclose(result.ownership, 1.0)
    assert np.allclose(result.ownership_stdev, 0.0)
    assert result.score_mean == pytest.approx(3.0) and result.score_stdev == pytest.approx(0.0, abs=1e-9)
    visited = [c for c in result.children if c.visits]
    assert visited and all(np.allclose(c.ownership, 1.0) for c in visited)
    assert all(
        c.score_mean == pytest.approx(3.0) and c.score_stdev == pytest.approx(0.0, abs=1e-9) for c in visited
    )
    assert all(c.value_stdev >= 0 and c.lcb_var <= c.value for c in visited)


class PlanesEvaluator:
    """Deterministic per row: priors and value from the planes' own numbers."""

    def __init__(self):
        self.calls = 0

    def evaluate_planes(self, planes, legal):
        self.calls += 1
        weights = legal * (1.0 + planes[:, 0].reshape(len(planes), -1).sum(axis=1, keepdims=True) % 3)
        weights[:, :-1] += legal[:, :-1] * planes[:, 8].reshape(len(planes), -1)  # opponent stones
        priors = weights / weights.sum(axis=1, keepdims=True)
        values = np.tanh(planes[:, 0].sum(axis=(1, 2)) - planes[:, 8].sum(axis=(1, 2)) - 0.3)
        return Evaluation(priors.astype(np.float32), values.astype(np.float32))

    def evaluate(self, states, legal):
        raise AssertionError("the search should call evaluate_planes")


def test_searches_batched_together_grow_the_trees_they_grow_alone():
    positions = [GameState(7), GameState(7)]
    positions[1].play(24)
    alone = []
    for state in positions:
        search = Search(state, PlanesEvaluator(), SearchConfig(batch_size=4))
        search.run(visits=200)
        alone.append(search.visit_distribution())
    shared = PlanesEvaluator()
    searches = [Search(state, shared, SearchConfig(batch_size=4)) for state in positions]
    rounds = 0
    while True:
        left = [s for s in searches if s.root.visits < 200]
        if not left:
            break
        step_many(left, [min(4, 200 - s.root.visits) for s in left])  # the wants ``run`` would use
        rounds += 1
    assert shared.calls <= rounds + 2  # one call a round (and one per root), not one per search
    for search, expected in zip(searches, alone):
        assert search.root.visits == 200
        np.testing.assert_array_equal(search.visit_distribution(), expected)
