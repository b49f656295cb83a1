"""The Numba tree against a plain reference search, tree invariants, reuse, memory budget."""

from __future__ import annotations

import math

import numpy as np
import pytest

from goagent.coords import BLACK
from goagent.game import GameState
from goagent.mcts import Evaluation, PlayoutEvaluator, Search, SearchConfig
from goagent.search import tree as T
from goagent.search.report import children_of

ONE = 1 << 22  # the tree's prior resolution (documented in goagent.search.tree)


class HashEvaluator:
    """Deterministic and uneven: priors and value from the position's Zobrist hash."""

    def evaluate(self, states, legal):
        priors, values = [], []
        for s, m in zip(states, legal):
            rng = np.random.default_rng(s.board.hash & 0xFFFFFFFF)
            p = rng.random(len(m)) ** 3 * m
            priors.append(p / p.sum())
            values.append(
                np.tanh(s.score() / 4) * (1 if s.to_play == BLACK else -1) * 0.5 + rng.normal(0, 0.3)
            )
        return Evaluation(np.array(priors, np.float32), np.clip(np.array(values, np.float32), -1, 1))


class RefNode:
    def __init__(self, state: GameState):
        self.state = state
        self.edges = None  # [(action, prior)] in the tree's edge order
        self.children: dict[int, RefNode] = {}
        self.order: list[int] = []  # actions in the order their children were made
        self.n = 0
        self.w = 0.0
        self.terminal = None


def ref_expand(node: RefNode, priors: np.ndarray, legal: np.ndarray) -> None:
    actions = np.flatnonzero(legal)
    p = priors[actions].astype(np.float64)
    p = p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / len(p))
    q = [min(int(math.floor(x * ONE)), ONE - 1) for x in p]
    node.edges = sorted(((int(a), qq / ONE) for a, qq in zip(actions, q)), key=lambda e: (-e[1], e[0]))


def ref_terminal(state: GameState) -> float:
    score = state.score() * (1 if state.to_play == BLACK else -1)
    return 1.0 if score > 0 else -1.0 if score < 0 else 0.0


def ref_select(node: RefNode, c_puct: float, fpu_reduction: float) -> int:
    """PUCT over every edge in edge order, first maximum; sums over children newest first."""
    total = wsum = visited = 0.0
    for a in reversed(node.order):
        child = node.children[a]
        total += child.n
        wsum += child.w
        visited += dict(node.edges)[a]
    parent_q = wsum / total if total > 0 else 0.0
    fpu = parent_q - fpu_reduction * math.sqrt(visited)
    sqrt_total = math.sqrt(max(total, 1.0))
    best, best_score = None, -1e30
    for a, p in node.edges:
        child = node.children.get(a)
        n = child.n if child else 0
        q = child.w / n if child and n else fpu
        score = q + c_puct * p * sqrt_total / (1.0 + n)
        if score > best_score:
            best, best_score = a, score
    return best


def ref_search(state: GameState, evaluator, visits: int, cfg: SearchConfig) -> RefNode:
    root = RefNode(state.copy())
    legal = state.legal_mask()
    ref_expand(root, evaluator.evaluate([state], [legal]).priors[0], legal)
    for _ in range(visits):
        node, path, depth = root, [root], 0
        while node.edges is not None and node.terminal is None:
            a = ref_select(node, cfg.c_puct, cfg.root_fpu_reduction if depth == 0 else cfg.fpu_reduction)
            if a not in node.children:
                child_state = node.state.copy()
                child_state.play(a)
                child = RefNode(child_state)
                if child_state.passes >= 2:
                    child.terminal = ref_terminal(child_state)
                node.children[a] = child
                node.order.append(a)
            node = node.children[a]
            path.append(node)
            depth += 1
        if node.terminal is not None:
            value = node.terminal
        else:
            legal = node.state.legal_mask()
            ev = evaluator.evaluate([node.state], [legal])
            ref_expand(node, ev.priors[0], legal)
            value = float(ev.values[0])
        for x in reversed(path):
            value = -value
            x.n += 1
            x.w += value
    return root


def visits_by_path(search: Search, node: int = 0, prefix=(), depth: int = 3) -> dict:
    out = {}
    for _, a, _, c in children_of(search.ni, search.edges, node):
        if c >= 0:
            out[prefix + (a,)] = int(search.ni[T.N, c])
            if depth > 1:
                out.update(visits_by_path(search, c, prefix + (a,), depth - 1))
    return out


def ref_visits(node: RefNode, prefix=(), depth: int = 3) -> dict:
    out = {}
    for a, child in node.children.items():
        out[prefix + (a,)] = child.n
        if depth > 1:
            out.update(ref_visits(child, prefix + (a,), depth - 1))
    return out


def random_position(size: int, moves: int, seed: int) -> GameState:
    rng = np.random.default_rng(seed)
    state = GameState(size, 0.5)
    for _ in range(moves):
        legal = np.flatnonzero(state.legal_mask()[:-1])
        if len(legal) == 0:
            break
        state.play(int(rng.choice(legal)))
    return state


@pytest.mark.parametrize("size,moves,seed", [(5, 0, 0), (5, 8, 1), (7, 20, 2), (4, 6, 3)])
def test_same_visit_counts_as_a_plain_reference_search(size, moves, seed):
    state = random_position(size, moves, seed)
    cfg = SearchConfig(batch_size=1)
    search = Search(state, HashEvaluator(), cfg)
    result = search.run(visits=400)
    ref = ref_search(state, HashEvaluator(), 400, cfg)
    assert result.visits == ref.n == 400
    assert visits_by_path(search) == ref_visits(ref)
    for child in result.children:
        if child.visits:
            assert child.value == pytest.approx(ref.children[child.action].w / child.visits, abs=1e-12)


def check_invariants(search: Search) -> None:
    ni = search.ni
    nodes = int(search.counts[T.NCOUNT])
    assert np.all(ni[T.VL, :nodes] == 0)  # no virtual loss left after a search
    for x in range(nodes):
        kids = [c for *_, c in children_of(ni, search.edges, x) if c >= 0]
        assert len(kids) == ni[T.NCHILD, x]
        below = sum(int(ni[T.N, c]) for c in kids)
        if x == 0:
            assert ni[T.N, 0] == below
        elif ni[T.STATE, x] == T.EXPANDED:
            assert ni[T.N, x] == 1 + below


def test_tree_invariants_hold_after_batches_and_reuse():
    state = GameState(7)
    search = Search(state, HashEvaluator(), SearchConfig(batch_size=8))
    for _ in range(4):
        result = search.run(visits=300)
        check_invariants(search)
        best = result.best
        kept = search.root.children[best.action].visits
        before_nodes = search.node_count
        state.play(best.action)
        search.advance(state)
        assert search.root.visits == kept
        assert search.node_count < before_nodes
        check_invariants(search)


def test_reuse_across_two_moves_and_a_fresh_start_elsewhere():
    state = GameState(5)
    search = Search(state, HashEvaluator(), SearchConfig(batch_size=4))
    search.run(visits=600)
    first = search.result().best.action
    child = search.root.children[first]
    second = max(child.children.items(), key=lambda item: item[1].visits)[0]
    expected = child.children[second].visits
    state.play(first)
    state.play(second)
    search.advance(state)
    assert search.root.visits == expected
    assert search.run(visits=50).visits == expected + 50
    other = GameState(5)
    other.play(24)
    search.advance(other)
    assert search.root.visits == 0 and search.run(visits=20).visits == 20


def test_a_tiny_memory_budget_stops_growth_but_not_visits():
    budget = 60_000
    cfg = SearchConfig(batch_size=8, memory_budget=budget, cache_size=4)
    search = Search(GameState(9), PlayoutEvaluator(1, 0), cfg)
    result = search.run(visits=500)
    nodes = search.node_count
    assert result.visits == 500 and 1 < nodes < 500
    result = search.run(visits=5000)
    assert result.visits == 5500  # visits keep growing
    assert search.node_count == nodes  # no new nodes once full
    used, total = search.memory_use()
    slack = T.NODE_BYTES * 9 + T.EDGE_BYTES * 9 * 82  # one batch may overshoot
    assert used <= total + slack and result.tree_bytes == search.tree_bytes
    check_invariants_full(search)


def check_invariants_full(search: Search) -> None:
    ni = search.ni
    nodes = int(search.counts[T.NCOUNT])
    assert np.all(ni[T.VL, :nodes] == 0)
    assert ni[T.N, 0] == sum(int(ni[T.N, c]) for *_, c in children_of(ni, search.edges, 0) if c >= 0)
