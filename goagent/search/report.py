"""Reporting: root statistics as ``SearchResult``/``ChildInfo``, principal variations,
visit distributions, and read-only views of tree nodes.

Per root child: visits, mean value, prior, ``lcb`` (mean - 2/sqrt(visits), what
``Player`` selects by), ``value_stdev`` and ``lcb_var`` (a variance-based
bound: mean - 2 * stdev / sqrt(visits)), ``score``/``score_mean`` and
``score_stdev`` (None without a score head), its PV, and ``ownership`` (the
mean of the ownership evaluated below it, root player's view) with
``ownership_stdev`` at the root.  ``SearchResult.ownership`` is the
search-averaged ownership when the evaluator gives ownership (else None);
``root_ownership`` is the root evaluation's alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from goagent.search import tree as T


@dataclass
class ChildInfo:
    """Statistics of one root move, as analysis and GTP report them."""

    action: int
    visits: int
    value: float  # mean value for the side to move at the root, [-1, 1]
    prior: float
    lcb: float
    pv: list[int] = field(default_factory=list)
    score: float | None = None  # mean score lead for the side to move at the root (None: no score head)
    value_stdev: float = 0.0
    lcb_var: float = -2.0  # mean - 2 * value stdev / sqrt(visits)
    score_stdev: float | None = None
    ownership: np.ndarray | None = None  # float (n*n,), mean ownership below this move, root player's view

    @property
    def score_mean(self) -> float | None:
        return self.score


@dataclass
class SearchResult:
    visits: int  # root visits after the search
    value: float  # root value for the side to move, [-1, 1]
    children: list[ChildInfo]  # sorted best first
    batches: int = 0
    leaves: int = 0
    eval_seconds: float = 0.0
    seconds: float = 0.0
    ownership: np.ndarray | None = None  # search-averaged (else the root evaluation's), side to move
    score: float | None = None  # the root evaluation's score lead
    score_mean: float | None = None  # search-averaged score lead for the side to move
    score_stdev: float | None = None
    ownership_stdev: np.ndarray | None = None
    root_ownership: np.ndarray | None = None
    nodes: int = 0
    tree_bytes: int = 0
    memory_budget: int = 0
    stopped_early: bool = False

    @property
    def best(self) -> ChildInfo:
        return self.children[0]

    @property
    def memory_fraction(self) -> float:
        return self.tree_bytes / self.memory_budget if self.memory_budget else 0.0


def children_of(ni, edges, node) -> list[tuple[int, int, float, int]]:
    """``(edge index, action, prior, child node or -1)`` for every edge of ``node``."""
    base, count, made = int(ni[T.ESTART, node]), int(ni[T.NEDGE, node]), int(ni[T.NCHILD, node])
    if base < 0:
        return []
    nodes = [-1] * count
    c, j = int(ni[T.FIRST, node]), made - 1
    while c >= 0:
        nodes[j] = c
        c, j = int(ni[T.SIB, c]), j - 1
    block = edges[base : base + count].astype(np.int64)
    actions = (block & 1023).tolist()
    priors = ((block >> 10) / T.PRIOR_ONE).tolist()
    return [(j, actions[j], priors[j], nodes[j]) for j in range(count)]


def principal_variation(ni, edges, node: int, first_child: int, first: int, length: int = 12) -> list[int]:
    pv = [first]
    x = first_child
    while x >= 0 and ni[T.NCHILD, x] > 0 and len(pv) < length:
        best = max(
            ((int(ni[T.N, c]), a, c) for _, a, _, c in children_of(ni, edges, x) if c >= 0),
            key=lambda t: t[0],
        )
        pv.append(best[1])
        x = best[2]
    return pv


def _stdev(sum_, sq, n):
    if n <= 1:
        return 0.0
    mean = sum_ / n
    return math.sqrt(max(0.0, sq / n - mean * mean) * n / (n - 1))


def build_result(search) -> SearchResult:
    ni, nf, edges = search.ni, search.nf, search.edges
    children: list[ChildInfo] = []
    has_scores = search.has_scores
    own_child, own_count = search.own_child, search.own_count
    rows = children_of(ni, edges, 0) if ni[T.STATE, 0] == T.EXPANDED else []
    total_n = total_w = total_s = total_s2 = 0.0
    for j, action, prior, c in rows:
        n = int(ni[T.N, c]) if c >= 0 else 0
        if n:
            w, w2, s, s2 = (float(nf[f, c]) for f in (T.W, T.W2, T.S, T.S2))
            q = w / n
            sd = _stdev(w, w2, n)
            lcb = q - 2.0 / math.sqrt(n)
            lcb_var = q - 2.0 * sd / math.sqrt(n)
            pv = principal_variation(ni, edges, 0, c, action)
            score = s / n if has_scores else None
            score_sd = _stdev(s, s2, n) if has_scores else None
            total_n, total_w, total_s, total_s2 = total_n + n, total_w + w, total_s + s, total_s2 + s2
        else:
            q, sd, lcb, lcb_var, pv, score, score_sd = 0.0, 0.0, -2.0, -2.0, [action], None, None
        own = None
        if own_child is not None and j < len(own_child) and own_count[1 + j] > 0:
            own = own_child[j] / own_count[1 + j]
        children.append(ChildInfo(action, n, q, prior, lcb, pv, score, sd, lcb_var, score_sd, own))
    children.sort(key=lambda ch: (-ch.visits, -ch.prior))
    if search.terminal is not None:
        value = search.terminal
    else:
        value = total_w / total_n if total_n else 0.0
    ev = search.root_eval
    root_own = None if ev is None or ev.ownership is None else ev.ownership[0]
    ownership, ownership_sd = root_own, None
    if search.own_count is not None and search.own_count[0] > 0:
        k = search.own_count[0]
        ownership = search.own_sum / k
        ownership_sd = np.sqrt(np.maximum(0.0, search.own_sq / k - ownership**2))
    stats = search.stats
    return SearchResult(
        visits=int(ni[T.N, 0]),
        value=float(value),
        children=children,
        batches=stats["batches"],
        leaves=stats["leaves"],
        eval_seconds=stats["eval_seconds"],
        ownership=ownership,
        score=None if ev is None or ev.scores is None else float(ev.scores[0]),
        score_mean=total_s / total_n if has_scores and total_n else None,
        score_stdev=_stdev(total_s, total_s2, total_n) if has_scores and total_n else None,
        ownership_stdev=ownership_sd,
        root_ownership=root_own,
        nodes=search.node_count,
        tree_bytes=search.tree_bytes,
        memory_budget=search.config.memory_budget,
    )


class NodeView:
    """A read-only view of one tree node (tests, debugging): its edges' actions, priors
    ``P`` and visits ``N`` in edge order, its ``children`` by action, and ``state``,
    the position rebuilt by playing the path from the root (slow: not for the search)."""

    def __init__(self, search, node: int, moves: tuple[int, ...] = ()):
        self._search = search
        self.node = node
        self.moves = moves

    @property
    def _rows(self):
        return children_of(self._search.ni, self._search.edges, self.node)

    @property
    def expanded(self) -> bool:
        return bool(self._search.ni[T.STATE, self.node] == T.EXPANDED)

    @property
    def terminal_value(self) -> float | None:
        if self.node == 0:
            return self._search.terminal
        ni, nf = self._search.ni, self._search.nf
        return float(nf[T.TV, self.node]) if ni[T.STATE, self.node] == T.TERMINAL else None

    @property
    def visits(self) -> int:
        """Visits below this node (the sum over its children, as the root counts)."""
        ni = self._search.ni
        return int(sum(ni[T.N, c] for *_, c in self._rows if c >= 0))

    @property
    def actions(self) -> np.ndarray:
        return np.array([a for _, a, _, _ in self._rows], np.int32)

    @property
    def P(self) -> np.ndarray:
        return np.array([p for _, _, p, _ in self._rows])

    @property
    def N(self) -> np.ndarray:
        ni = self._search.ni
        return np.array([ni[T.N, c] if c >= 0 else 0 for *_, c in self._rows], np.float64)

    @property
    def children(self) -> dict:
        return {a: NodeView(self._search, c, self.moves + (a,)) for _, a, _, c in self._rows if c >= 0}

    @property
    def legal(self) -> np.ndarray:
        """The actions of this node's edges as a mask (the legal moves searched)."""
        n = self._search.state.size
        mask = np.zeros(n * n + 1, np.bool_)
        mask[self.actions] = True
        return mask

    @property
    def state(self):
        state = self._search.state.copy()
        for a in self.moves:
            state.play(a)
        return state
