"""Search with scripted evaluators: counts, legality, tactics, noise, determinism, reuse."""

from __future__ import annotations

import numpy as np

from goagent.coords import BLACK, WHITE, gtp_to_action
from goagent.game import GameState
from goagent.mcts import Evaluation, MoveRule, PlayoutEvaluator, Search, SearchConfig, restrict_legal


def position(rows: list[str], to_play: int = BLACK, komi: float = 0.5) -> GameState:
    n = len(rows)
    state = GameState(n, komi)
    black = [r * n + c for r, row in enumerate(rows) for c, ch in enumerate(row.split()) if ch == "X"]
    white = [r * n + c for r, row in enumerate(rows) for c, ch in enumerate(row.split()) if ch == "O"]
    state.setup(black=black, white=white)
    state.to_play = to_play
    return state


class ScoreEvaluator:
    """Uniform priors; value = tanh(area score / 4) for the side to move (no randomness)."""

    def __init__(self):
        self.calls = 0
        self.seen_illegal = False

    def evaluate(self, states, legal):
        self.calls += 1
        priors = np.stack([m / m.sum() for m in legal]).astype(np.float32)
        values = []
        for s in states:
            score = s.score()
            values.append(np.tanh(score / 4) * (1 if s.to_play == BLACK else -1))
        return Evaluation(priors, np.array(values, np.float32))


class GreedyIllegalEvaluator:
    """Puts almost all prior on occupied points: the search must ignore it."""

    def evaluate(self, states, legal):
        priors = []
        assert len(states) == len(legal)
        for m in legal:
            p = np.where(m, 1e-3, 1.0).astype(np.float32)  # mass on illegal moves
            priors.append(p / p.sum())
        return Evaluation(np.stack(priors), np.zeros(len(states), np.float32))


def test_visit_counts_add_up():
    state = GameState(5)
    search = Search(state, ScoreEvaluator(), SearchConfig(batch_size=4))
    result = search.run(visits=200)
    assert result.visits == 200
    assert sum(c.visits for c in result.children) == 200
    result = search.run(visits=50)
    assert result.visits == 250


def test_illegal_moves_are_never_visited():
    state = position(
        [
            "X X X X X",
            "X O O O X",
            "X O . O X",
            "X O O O X",
            "X X X X .",
        ],
        to_play=WHITE,
    )
    legal = state.legal_mask()
    search = Search(state, GreedyIllegalEvaluator(), SearchConfig(batch_size=8))
    search.run(visits=300)
    stack = [search.root]
    while stack:
        node = stack.pop()
        if node.expanded:
            mask = node.state.legal_mask()
            assert mask[node.actions].all()
            assert node.N.sum() == 0 or mask[node.actions[node.N > 0]].all()
        stack.extend(node.children.values())
    assert set(search.root.actions.tolist()) == set(np.flatnonzero(legal).tolist())


def test_finds_the_capture_that_wins():
    state = position(
        [
            ". X X . .",
            "X O O X .",
            ". X . . .",
            ". . . . .",
            ". . . . .",
        ]
    )
    capture = gtp_to_action("C3", 5)
    assert state.board.liberties()[gtp_to_action("B4", 5)] == 1  # White's two stones: atari at C3
    result = Search(state, ScoreEvaluator(), SearchConfig(batch_size=4)).run(visits=400)
    assert result.best.action == capture
    state.play(result.best.action)
    assert state.board.captures(BLACK) == 2


def test_escape_when_the_evaluator_says_so():
    """A scripted evaluator that values only one reply: the search must find it at depth 2."""
    state = GameState(5)
    good = gtp_to_action("C3", 5)

    class OneGoodMove:
        def evaluate(self, states, legal):
            priors = np.stack([m / m.sum() for m in legal]).astype(np.float32)
            values = []
            for s in states:
                # After Black's move, the value is for White: bad for White only if Black played C3.
                last = s.last_move
                values.append(-0.9 if last is not None and last.action == good else 0.2)
            return Evaluation(priors, np.array(values, np.float32))

    result = Search(state, OneGoodMove(), SearchConfig(batch_size=4)).run(visits=300)
    assert result.best.action == good


def test_noise_touches_only_the_root():
    state = GameState(5)
    cfg = SearchConfig(batch_size=4, noise_fraction=0.25, dirichlet_alpha=1.0)
    search = Search(state, ScoreEvaluator(), cfg, seed=3)
    search.run(visits=100)
    uniform = 1.0 / len(search.root.actions)
    assert not np.allclose(search.root.P, uniform)
    for child in search.root.children.values():
        if child.expanded:
            assert np.allclose(child.P, 1.0 / len(child.actions))


def test_same_seed_same_search():
    def run(seed):
        search = Search(
            GameState(5), PlayoutEvaluator(1, seed), SearchConfig(batch_size=4, noise_fraction=0.25), seed
        )
        search.run(visits=150)
        return search.visit_distribution()

    assert np.array_equal(run(7), run(7))
    assert not np.array_equal(run(7), run(8))


def test_tree_reuse_keeps_the_subtree():
    state = GameState(5)
    search = Search(state, ScoreEvaluator(), SearchConfig(batch_size=4))
    result = search.run(visits=300)
    best = result.best
    child = search.root.children[best.action]
    kept = child.visits
    kept_visits = {a: c.visits for a, c in child.children.items()}
    kept_priors = sorted(child.P.tolist())
    state.play(best.action)
    search.advance(state)
    assert search.root.visits == kept > 0
    assert {a: c.visits for a, c in search.root.children.items()} == kept_visits
    assert sorted(search.root.P.tolist()) == kept_priors
    assert search.run(visits=100).visits == kept + 100
    # A move not in the tree starts afresh.
    other = GameState(5)
    other.play(gtp_to_action("A1", 5))
    search.advance(other)
    assert search.root.visits == 0


def test_terminal_positions_are_scored():
    state = GameState(5, komi=0.5)
    state.pass_move()
    state.pass_move()
    result = Search(state, ScoreEvaluator()).run(visits=10)
    assert result.value == -1.0  # empty board: White wins by komi, Black to move


def test_children_report_mean_score_leads():
    class WithScores(ScoreEvaluator):
        def evaluate(self, states, legal):
            ev = super().evaluate(states, legal)
            scores = np.array([s.score() * (1 if s.to_play == BLACK else -1) for s in states], np.float32)
            return Evaluation(ev.priors, ev.values, None, scores)

    state = position([". X X . .", "X O O X .", ". X . . .", ". . . . .", ". . . . ."])
    result = Search(state, WithScores(), SearchConfig(batch_size=4)).run(visits=200)
    best = result.best
    assert best.score is not None and best.score > 0  # Black, to move, leads after capturing
    assert Search(state, ScoreEvaluator()).run(visits=20).best.score is None  # no score head


def test_move_rules_restrict_the_search_to_their_depth():
    state = GameState(5)
    corner, center = gtp_to_action("a1", 5), gtp_to_action("c3", 5)
    search = Search(state, ScoreEvaluator(), SearchConfig(batch_size=4))
    search.run(visits=100)
    rules = (
        MoveRule(BLACK, frozenset({corner, center}), 1, allow=True),
        MoveRule(WHITE, frozenset({center}), 2),
    )
    search.restrict(rules)  # drops the tree grown without rules
    result = search.run(visits=300)
    assert result.visits == 300 and {c.action for c in result.children} == {corner, center}
    replies = [a for child in search.root.children.values() if child.expanded for a in child.actions]
    assert replies and center not in replies  # White's rule holds at depth 1
    grandchildren = [
        node for child in search.root.children.values() for node in child.children.values() if node.expanded
    ]
    assert any(len(node.actions) == 24 for node in grandchildren)  # depth 2: Black is free again
    search.restrict(())
    assert len(search.run(visits=50).children) == 26  # 25 points and pass


def test_rules_that_exclude_everything_leave_pass():
    legal = GameState(5).legal_mask()
    everything = frozenset(range(25))
    mask = restrict_legal(legal, (MoveRule(BLACK, everything, 1),), BLACK, 0)
    assert list(np.flatnonzero(mask)) == [25]
    assert restrict_legal(legal, (MoveRule(BLACK, everything, 1),), WHITE, 0) is legal
    assert restrict_legal(legal, (MoveRule(BLACK, everything, 1),), BLACK, 1) is legal


def test_early_stop_keeps_the_move_a_full_search_plays():
    state = position([". X X . .", "X O O X .", ". X . . .", ". . . . .", ". . . . ."])
    full = Search(state, ScoreEvaluator(), SearchConfig(batch_size=4)).run(visits=2000)
    early = Search(state, ScoreEvaluator(), SearchConfig(batch_size=4)).run(visits=2000, early_stop=True)
    assert early.stopped_early and early.visits < full.visits == 2000
    assert early.best.action == full.best.action
    assert early.best.visits - early.children[1].visits > 2000 - early.visits  # cannot be overtaken
