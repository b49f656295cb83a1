"""The search scores finished leaves under the game's rules (goagent.search.leaves.terminal):
dead stones off as final_score takes them off, territory counted under territory rules,
the effective komi (handicap bonus included) everywhere."""

from __future__ import annotations

import numpy as np
import pytest
from test_scoring import DEAD, board

from goagent.coords import BLACK, WHITE
from goagent.game import GameState
from goagent.mcts import Evaluation, Search, SearchConfig
from goagent.rules import PRESETS
from goagent.scoring import score_state
from goagent.search import leaves
from goagent.search.driver import stones_placed_difference

# Both sides have many one-point eyes (pass-alive); a dead White stone sits on B5 in
# a three-point region of Black's.  ``komi_for`` sets komi so that Black wins by 1.5
# as the rules count (the stone off); counted as the board stands (Tromp-Taylor) the
# stone is White's and its region no one's: 4 points less, and Black loses.
SETTLED = """
. X . X X O . O .
X X X X X O O O O
. X . X X O . O .
X X X X X O O O O
. o . X X O . . .
X X X X X O O O O
. X . X X O . O .
X X X X X O O O O
. X . X X O . O .
"""


def state_of(diagram: str, rules: str, komi: float) -> tuple[GameState, np.ndarray]:
    colors, dead, n = board(diagram)
    state = GameState(n, komi=komi, rules=PRESETS[rules])
    state.setup(
        black=np.flatnonzero(colors == BLACK).tolist(), white=np.flatnonzero(colors == WHITE).tolist()
    )
    return state, dead


def field_of(state: GameState, dead: np.ndarray) -> np.ndarray:
    n = state.size
    field = np.zeros((n + 2) ** 2, np.int8)
    colors = state.board.to_array().reshape(-1)
    for a in np.flatnonzero(dead):
        field[(a // n + 1) * (n + 2) + a % n + 1] = colors[a]
    return field


@pytest.mark.parametrize("rules", ["japanese", "chinese", "korean", "aga"])
@pytest.mark.parametrize("diagram", [DEAD, SETTLED])
def test_a_finished_leaf_is_scored_as_final_score_counts(diagram, rules):
    state, dead = state_of(diagram, rules, 6.5)
    b, m = state.board._b, state.board._m
    placed = stones_placed_difference(state) if state.rules.territory else np.nan
    for color, sign in ((BLACK, 1.0), (WHITE, -1.0)):
        _, score = leaves.terminal(b, m, color, state.effective_komi, field_of(state, dead), placed)
        assert score == pytest.approx(sign * score_state(state, dead).margin)


class Even:
    """Every leaf is even: uniform priors, value 0; only finished leaves decide."""

    def evaluate(self, states, legal):
        priors = np.array([m / m.sum() for m in legal], np.float32)
        return Evaluation(priors, np.zeros(len(states), np.float32))


def komi_for(rules: str) -> float:
    """The komi with which Black wins ``SETTLED`` by 1.5 as ``rules`` count it (Tromp-Taylor:
    as Chinese rules count it, so that the standing dead stone makes Black lose)."""
    state, dead = state_of(SETTLED, "chinese" if rules == "tromp-taylor" else rules, 0.0)
    return score_state(state, dead).margin - 1.5


def _after_white_passes(rules: str) -> GameState:
    state, _ = state_of(SETTLED, rules, komi_for(rules))
    state.set_to_play(WHITE)
    state.play(state.size * state.size, WHITE)  # White passes; Black to move
    return state


@pytest.mark.parametrize(
    ("rules", "passes"), [("japanese", True), ("chinese", True), ("tromp-taylor", False)]
)
def test_black_passes_back_when_the_rules_count_the_game_as_won(rules, passes):
    state = _after_white_passes(rules)
    search = Search(state, Even(), SearchConfig(batch_size=8))
    search.run(visits=400)
    pass_action = state.size * state.size
    best = max(search.result().children, key=lambda c: c.visits)
    assert (best.action == pass_action) == passes
    pass_child = next(c for c in search.result().children if c.action == pass_action)
    assert pass_child.value == (1.0 if passes else -1.0)  # the finished game, won or lost


def test_the_dead_stones_are_judged_only_when_a_finished_leaf_needs_them():
    state, _ = state_of(SETTLED, "japanese", komi_for("japanese"))
    search = Search(state, Even(), SearchConfig(batch_size=8))
    search.run(visits=4)  # no pass-pass line yet
    assert search.dead[0] == -1
    search = Search(_after_white_passes("japanese"), Even(), SearchConfig(batch_size=8))
    search.run(visits=50)
    assert search.dead[0] == 0 and search.dead.sum() == WHITE  # the stone on B5


def test_the_search_plays_with_the_effective_komi():
    state = GameState(9, komi=0.5, rules=PRESETS["chinese"])  # Chinese: White gets a point per stone
    state.place_handicap([20, 24, 56, 60])
    assert Search(state, Even()).komi == state.effective_komi == 4.5
