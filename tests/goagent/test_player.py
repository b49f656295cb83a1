"""The one Player: pass and resign policies go in as flags, decisions are final,
self-play's exploration (noise, temperature, playout cap randomization) is settings."""

import dataclasses

import numpy as np
import pytest
from test_search_rules import SETTLED, komi_for, state_of

from goagent.coords import BLACK, WHITE
from goagent.game import GameState
from goagent.mcts import Evaluation, SearchConfig
from goagent.player import Decision, MoveFlags, Player, PlayerConfig
from goagent.rules import PRESETS


class PassLover:
    """Puts almost all prior on passing and says Black is lost (by ``black_value``)."""

    def __init__(self, black_value: float = -0.95):
        self.black_value = black_value

    def evaluate(self, states, legal):
        priors = np.stack([m.astype(np.float32) * 1e-3 for m in legal])
        priors[:, -1] = 1.0
        priors /= priors.sum(axis=1, keepdims=True)
        values = [self.black_value if s.to_play == BLACK else -self.black_value for s in states]
        return Evaluation(priors, np.array(values, np.float32))


def test_the_pass_lover_passes_without_flags():
    decision = Player(PassLover(0.0), PlayerConfig(visits=16)).decide(GameState(5))
    assert decision.action == 25


@pytest.mark.parametrize("select_by", ["visits", "lcb"])
def test_no_pass_flag_plays_the_best_other_move(select_by):
    player = Player(PassLover(0.0), PlayerConfig(visits=32, select_by=select_by))
    decision = player.decide(GameState(5), flags=MoveFlags(no_pass=True))
    assert decision.action != 25
    assert decision.action in [c.action for c in decision.search.children]


def test_no_pass_flag_still_passes_when_nothing_else_is_legal():
    state = GameState(3)
    for action in range(1, 8):  # black everywhere but two one-point eyes; white passes
        state.play(action, BLACK)
        if action < 7:
            state.play(9, WHITE)
    assert state.to_play == WHITE and not state.legal_mask()[:-1].any()
    decision = Player(PassLover(0.0), PlayerConfig(visits=8)).decide(state, flags=MoveFlags(no_pass=True))
    assert decision.action == 9


def test_no_pass_before_a_fraction_of_the_game():
    cfg = PlayerConfig(visits=16, no_pass_before=0.5)
    assert Player(PassLover(0.0), cfg).decide(GameState(5)).action != 25


def test_no_pass_before_holds_only_under_tromp_taylor():
    """Other rules count a finished game as final_score does: the search decides."""
    cfg = PlayerConfig(visits=16, no_pass_before=0.5)
    state = GameState(5, rules=PRESETS["chinese"])
    assert Player(PassLover(0.0), cfg).decide(state).action == 25


class PassTenth:
    """A tenth of the prior on passing, the rest uniform; every unfinished position is
    worth ``black_value`` to Black."""

    def __init__(self, black_value: float):
        self.black_value = black_value

    def evaluate(self, states, legal):
        priors = np.array([m / (m.sum() - 1) * 0.9 for m in legal], np.float32)
        priors[:, -1] = 0.1
        values = [self.black_value if s.to_play == BLACK else -self.black_value for s in states]
        return Evaluation(priors, np.array(values, np.float32))


def _white_passed(state: GameState) -> GameState:
    state.set_to_play(WHITE)
    state.play(state.size * state.size, WHITE)
    return state


def test_the_pass_guard_plays_on_while_an_own_group_is_unsettled():
    """A first pass would not lose (komi -50, every line won), and neither does playing
    on: with Black's lone stones unsettled on an open board, Black plays on; in a
    settled position it passes."""
    open_board = GameState(9, komi=-50.0, rules=PRESETS["japanese"])
    open_board.setup(black=[20, 60], white=[24, 56])
    decision = Player(PassTenth(1.0), PlayerConfig(visits=400)).decide(open_board)
    assert decision.action != 81
    passing = next(c for c in decision.search.children if c.action == 81)
    assert passing.visits and passing.value >= decision.search.children[0].value - 0.1
    settled, _ = state_of(SETTLED, "japanese", komi_for("japanese"))
    assert Player(PassTenth(1.0), PlayerConfig(visits=400)).decide(settled).action == 81


class LikesPassing(PassTenth):
    """Black wins in any position right after a pass, and is even in every other."""

    def evaluate(self, states, legal):
        out = super().evaluate(states, legal)
        black = np.array([1.0 if s.passes == 1 else 0.0 for s in states], np.float32)
        signs = np.array([1.0 if s.to_play == BLACK else -1.0 for s in states], np.float32)
        return Evaluation(out.priors, black * signs)


def test_the_pass_guard_gives_way_when_playing_on_costs_too_much():
    state = GameState(9, komi=-50.0, rules=PRESETS["japanese"])
    state.setup(black=[20, 60], white=[24, 56])
    assert Player(LikesPassing(0.0), PlayerConfig(visits=400)).decide(state).action == 81


def test_a_pass_back_is_never_guarded():
    """White has passed: passing back wins by the count, so Black passes, unsettled
    stones and all (the search counted that end as final_score will)."""
    state = GameState(9, komi=-50.0, rules=PRESETS["japanese"])
    state.setup(black=[20, 60], white=[24, 56])
    assert Player(PassTenth(1.0), PlayerConfig(visits=400)).decide(_white_passed(state)).action == 81


def test_no_pass_with_temperature_never_samples_the_pass():
    cfg = PlayerConfig(visits=24, temperature=1.0, temperature_moves=10)
    for seed in range(5):
        decision = Player(PassLover(0.0), cfg, seed=seed).decide(GameState(5), flags=MoveFlags(no_pass=True))
        assert decision.action != 25


def test_decisions_are_frozen():
    decision = Player(PassLover(0.0), PlayerConfig(visits=8)).decide(GameState(5))
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.action = 0
    assert isinstance(decision, Decision)


def lost_position() -> GameState:
    state = GameState(5)
    for action in range(10):  # past resign_after_fraction (a quarter of the points)
        state.play(action)
    return state


def test_resign_needs_a_streak_of_the_same_colour():
    player = Player(PassLover(), PlayerConfig(visits=8, resign_consecutive=2))
    state = lost_position()
    assert not player.decide(state).resign  # black's first low value
    state.play(10)
    assert not player.decide(state).resign  # white is winning: its streak resets, black's stays
    state.play(11)
    assert player.decide(state).resign  # black's second


def test_no_resign_flag_plays_on_and_says_it_wanted_to():
    player = Player(PassLover(), PlayerConfig(visits=8, resign_consecutive=1))
    decision = player.decide(lost_position(), flags=MoveFlags(no_resign=True))
    assert not decision.resign and decision.resign_wanted
    assert player.decide(lost_position()).resign


def test_playout_cap_randomization_is_a_player_setting():
    noisy = SearchConfig(batch_size=4, noise_fraction=0.25)
    cfg = PlayerConfig(visits=32, fast_visits=8, full_search_fraction=0.5, search=noisy)
    player = Player(PassLover(0.0), cfg, seed=3)
    seen = set()
    for _ in range(12):
        search = player.start_move(GameState(5))
        assert player.move_visits == (32 if player.full else 8)
        assert search.config.noise_fraction == (0.25 if player.full else 0.0)
        while search.root.visits < player.move_visits:
            search.run(visits=player.move_visits - search.root.visits)
        decision = player.finish_move(GameState(5))
        assert decision.full == player.full
        seen.add(decision.full)
        player.new_game()
    assert seen == {True, False}
