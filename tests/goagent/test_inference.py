"""The network evaluator: masked priors, and ``default`` choosing the shipped network per board size."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from goagent import features, inference
from goagent.checkpoint import save_checkpoint
from goagent.config import model_preset
from goagent.game import GameState
from goagent.mcts import PlayoutEvaluator
from goagent.network import build_model


def save_tiny(path, seed: int) -> None:
    torch.manual_seed(seed)
    model = build_model(model_preset("tiny", features.NUM_PLANES))
    save_checkpoint(path, model, feature_version=features.FEATURE_VERSION)


def evaluate(evaluator, size: int):
    state = GameState(size)
    state.play(0)  # the corner point is now illegal
    return evaluator.evaluate([state], [state.legal_mask()])


def test_illegal_moves_get_no_prior(tmp_path):
    save_tiny(tmp_path / "net.pt", seed=0)
    evaluation = evaluate(inference.load_evaluator(str(tmp_path / "net.pt"), symmetries="average"), 9)
    assert evaluation.priors.shape == (1, 82)
    assert evaluation.priors[0, 0] == 0.0
    assert evaluation.priors[0].sum() == pytest.approx(1.0, abs=1e-5)
    assert -1.0 <= evaluation.values[0] <= 1.0


@pytest.fixture
def weights_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(inference, "WEIGHTS_DIR", tmp_path)
    return tmp_path


def test_default_plays_each_size_with_its_shipped_network(weights_dir):
    save_tiny(weights_dir / "default.pt", seed=0)
    save_tiny(weights_dir / "9x9.pt", seed=1)
    (weights_dir / "notes9x9.pt.txt").write_text("not a network")
    shipped = inference.load_evaluator("default", symmetries="none")
    general = inference.load_evaluator(str(weights_dir / "default.pt"), symmetries="none")
    specialist = inference.load_evaluator(str(weights_dir / "9x9.pt"), symmetries="none")

    assert sorted(shipped.specialists) == [9]
    for size, expected, other in ((9, specialist, general), (13, general, specialist)):
        got = evaluate(shipped, size).priors
        np.testing.assert_allclose(got, evaluate(expected, size).priors, atol=1e-6)
        assert not np.allclose(got, evaluate(other, size).priors, atol=1e-3)


def test_default_without_any_network_uses_playouts_and_says_so(weights_dir, caplog):
    inference._warn_no_network.cache_clear()
    with caplog.at_level(logging.WARNING):
        shipped = inference.load_evaluator("default")
    assert isinstance(shipped.for_size(19), PlayoutEvaluator)
    assert "no shipped network" in caplog.text
    assert evaluate(shipped, 5).priors[0, 0] == 0.0


def test_a_call_can_ask_for_all_eight_symmetries(tmp_path):
    """``symmetries`` on one call overrides the evaluator's mode (the dead-stone count
    averages the eight), and a bad mode is refused."""
    save_tiny(tmp_path / "net.pt", seed=0)
    randomised = inference.load_evaluator(str(tmp_path / "net.pt"), symmetries="random")
    averaged = inference.load_evaluator(str(tmp_path / "net.pt"), symmetries="average")
    state = GameState(9)
    state.play(10)
    legal = [state.legal_mask()]
    want = averaged.evaluate([state], legal)
    got = randomised.evaluate([state], legal, symmetries="average")
    np.testing.assert_allclose(got.priors, want.priors, atol=1e-6)
    np.testing.assert_allclose(got.ownership, want.ownership, atol=1e-6)
    with pytest.raises(ValueError, match="symmetries"):
        randomised.evaluate([state], legal, symmetries="sometimes")


def test_dead_stone_ownership_averages_both_sides_to_move(tmp_path):
    from goagent.coords import BLACK, WHITE
    from goagent.search.evaluation import dead_stone_ownership

    save_tiny(tmp_path / "net.pt", seed=0)
    network = inference.load_evaluator(str(tmp_path / "net.pt"), symmetries="none")
    state = GameState(9)
    for action in (20, 30, 40):
        state.play(action)  # White to move
    assert dead_stone_ownership(network, state) is None  # a network trained on boards as recorded
    network.knows_dead_stones = True
    black = state.copy()
    black.set_to_play(BLACK)
    views = []
    for s, sign in ((state, -1.0), (black, 1.0)):
        own = network.evaluate([s], [s.legal_mask()], symmetries="average").ownership[0]
        views.append(sign * own)
    assert state.to_play == WHITE
    np.testing.assert_allclose(dead_stone_ownership(network, state), np.mean(views, axis=0), atol=1e-6)
