"""PUCT Monte-Carlo tree search over an ``Evaluator`` (numpy and Numba, no torch).

An ``Evaluator`` turns a batch of positions into priors over the ``n*n+1``
actions and values in [-1, 1] for the side to move (plus, optionally,
ownership and score).  ``PlayoutEvaluator`` needs no network: uniform priors
and the mean result of Numba random playouts.  The network evaluator lives in
``goagent.inference``.

``Search`` owns a tree of ``Node`` objects.  Each node keeps, per legal child
action, the prior ``P``, visit count ``N``, summed value ``W`` (from the node's
side to move's view) and virtual losses ``V``.  One ``run`` call:

1. gathers up to ``batch_size`` leaves, descending by PUCT with
   first-play-urgency reduction and a virtual loss on each edge taken, so the
   leaves of one batch differ;
2. evaluates them in one ``Evaluator`` call (through a cache keyed by the
   position and its recent history);
3. expands them, backs the values up (negated once per ply) and removes the
   virtual losses;

until a visit or time budget runs out.  Terminal positions (two passes) are
scored by Tromp-Taylor.  Dirichlet noise touches the root only.  ``advance``
keeps the subtree of the move played (tree reuse).  Start reading at ``Search``.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np
from numba import njit

from goagent.board import new_rng, run_playouts
from goagent.coords import BLACK, EMPTY
from goagent.game import GameState


class Evaluation(NamedTuple):
    """Evaluator output for B positions (actions: n*n+1, pass last)."""

    priors: np.ndarray  # float32 (B, n*n+1), zero on illegal moves, sums to 1
    values: np.ndarray  # float32 (B,), side to move, in [-1, 1]
    ownership: np.ndarray | None = None  # float32 (B, n*n), side to move, in [-1, 1]
    scores: np.ndarray | None = None  # float32 (B,), side to move's lead in points


class Evaluator(Protocol):
    def evaluate(self, states: list[GameState], legal: list[np.ndarray]) -> Evaluation:
        """Evaluate positions; ``legal[i]`` is ``states[i].legal_mask()``."""
        ...


class PlayoutEvaluator:
    """Uniform priors over legal moves; value = mean of Numba random playouts."""

    def __init__(self, playouts: int = 1, seed: int = 0):
        self.playouts = playouts
        self.rng = new_rng(seed)

    def evaluate(self, states: list[GameState], legal: list[np.ndarray]) -> Evaluation:
        priors = np.stack([m.astype(np.float32) / m.sum() for m in legal])
        values = np.empty(len(states), np.float32)
        for i, state in enumerate(states):
            black_wins, _, _ = run_playouts(state.board, state.to_play, self.playouts, state.komi, self.rng)
            black_value = 2.0 * black_wins / self.playouts - 1.0
            values[i] = black_value if state.to_play == BLACK else -black_value
        return Evaluation(priors, values)


@dataclass(frozen=True)
class SearchConfig:
    """Knobs of the search (see ``goagent.config.MCTSConfig`` for the run-level defaults)."""

    c_puct: float = 1.5
    fpu_reduction: float = 0.25  # unvisited children start at parent Q minus this * sqrt(visited prior)
    root_fpu_reduction: float = 0.0
    batch_size: int = 8
    virtual_loss: float = 1.0
    dirichlet_alpha: float = 0.03 * 361  # total concentration; per move alpha = this / legal moves
    noise_fraction: float = 0.0  # 0.25 in self-play
    cache_size: int = 200_000


@dataclass(frozen=True)
class MoveRule:
    """A restriction on the search (GTP ``avoid``/``allow``): for ``color``'s moves in the
    first ``until_depth`` plies from the root (1: the root only), ``allow`` keeps only
    ``actions``, otherwise ``actions`` are never searched."""

    color: int
    actions: frozenset[int]
    until_depth: int
    allow: bool = False


def restrict_legal(legal: np.ndarray, rules: tuple[MoveRule, ...], color: int, depth: int) -> np.ndarray:
    """``legal`` with the moves the rules exclude at ``depth`` (root: 0) taken out; passing
    stays legal if nothing else would be."""
    mask = legal
    for rule in rules:
        if rule.color != color or depth >= rule.until_depth:
            continue
        listed = np.zeros_like(legal)
        listed[list(rule.actions)] = True
        mask = mask & listed if rule.allow else mask & ~listed
    if mask is not legal and not mask.any():
        mask[-1] = True
    return mask


class Node:
    """A position in the tree; edge statistics live in the parent's arrays."""

    __slots__ = (
        "state",
        "legal",
        "actions",
        "P",
        "N",
        "W",
        "V",
        "S",
        "children",
        "expanded",
        "terminal_value",
        "terminal_score",
    )

    def __init__(self, state: GameState):
        self.state = state
        self.expanded = False
        self.terminal_value: float | None = None
        self.terminal_score = math.nan
        self.children: dict[int, Node] = {}

    def expand(self, legal: np.ndarray, priors: np.ndarray) -> None:
        self.legal = legal
        self.actions = np.flatnonzero(legal).astype(np.int32)
        p = priors[self.actions].astype(np.float64)
        total = p.sum()
        self.P = p / total if total > 0 else np.full(len(p), 1.0 / len(p))
        self.N = np.zeros(len(self.actions), np.float64)
        self.W = np.zeros(len(self.actions), np.float64)
        self.V = np.zeros(len(self.actions), np.float64)
        self.S = np.zeros(len(self.actions), np.float64)  # summed score lead, parent's view (NaN: unknown)
        self.expanded = True

    @property
    def visits(self) -> float:
        return float(self.N.sum()) if self.expanded else 0.0

    def q(self) -> float:
        """Mean value of this node for its side to move (0 if unvisited)."""
        n = self.visits
        return float(self.W.sum() / n) if n else 0.0


@njit(cache=True)
def _select(P, N, W, V, c_puct, fpu_reduction, virtual_loss):
    """Index of the child maximising Q + U (virtual losses count as lost visits)."""
    total = 0.0
    visited_prior = 0.0
    wsum = 0.0
    for i in range(len(P)):
        total += N[i] + V[i]
        wsum += W[i] - V[i] * virtual_loss
        if N[i] + V[i] > 0:
            visited_prior += P[i]
    parent_q = wsum / total if total > 0 else 0.0
    fpu = parent_q - fpu_reduction * math.sqrt(visited_prior)
    sqrt_total = math.sqrt(max(total, 1.0))
    best = 0
    best_score = -1e30
    for i in range(len(P)):
        n = N[i] + V[i]
        q = (W[i] - V[i] * virtual_loss) / n if n > 0 else fpu
        score = q + c_puct * P[i] * sqrt_total / (1.0 + n)
        if score > best_score:
            best_score = score
            best = i
    return best


def terminal_value(state: GameState) -> float:
    """+1/-1/0 for the side to move of a finished game, by Tromp-Taylor score."""
    winner = state.winner()
    if winner == EMPTY:
        return 0.0
    return 1.0 if winner == state.to_play else -1.0


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


@dataclass
class SearchResult:
    visits: int  # root visits after the search
    value: float  # root value for the side to move, [-1, 1]
    children: list[ChildInfo]  # sorted best first
    batches: int = 0
    leaves: int = 0
    eval_seconds: float = 0.0
    seconds: float = 0.0
    ownership: np.ndarray | None = None  # root evaluation's, side to move
    score: float | None = None

    @property
    def best(self) -> ChildInfo:
        return self.children[0]


class Search:
    """A reusable search tree rooted at a position.

    ``run(visits=..., seconds=...)`` searches; ``result()`` reports; ``advance``
    moves the root to a child (keeping its subtree) after a move is played.
    """

    def __init__(self, state: GameState, evaluator: Evaluator, config: SearchConfig = SearchConfig(), seed=0):
        self.evaluator = evaluator
        self.config = config
        self.rng = np.random.default_rng(seed)
        self.root = Node(state.copy())
        self.cache: OrderedDict = OrderedDict()
        self.root_eval: Evaluation | None = None
        self._noised = False
        self.rules: tuple[MoveRule, ...] = ()
        self.stats = {"batches": 0, "leaves": 0, "eval_seconds": 0.0}

    def restrict(self, rules: tuple[MoveRule, ...] = ()) -> None:
        """Search only what ``rules`` allow from now on; a tree grown under other rules
        is dropped (its nodes were expanded with other moves)."""
        rules = tuple(rules)
        if rules != self.rules:
            self.rules = rules
            self.root = Node(self.root.state)
            self.root_eval = None
            self._noised = False

    # -- evaluation ------------------------------------------------------------

    def _evaluate(self, nodes: list[Node]) -> list[tuple[np.ndarray, float]]:
        """(priors, value) for each node, through the cache; one evaluator call for the misses."""
        results: list = [None] * len(nodes)
        missing, keys, legals = [], [], []
        for i, node in enumerate(nodes):
            key = node.state.history_key()
            hit = self.cache.get(key)
            if hit is not None:
                self.cache.move_to_end(key)
                results[i] = hit
            else:
                missing.append(i)
                keys.append(key)
                legals.append(node.state.legal_mask())
        if missing:
            start = time.perf_counter()
            ev = self.evaluator.evaluate([nodes[i].state for i in missing], legals)
            self.stats["eval_seconds"] += time.perf_counter() - start
            self.stats["batches"] += 1
            for j, i in enumerate(missing):
                score = math.nan if ev.scores is None else float(ev.scores[j])
                entry = (legals[j], ev.priors[j], float(ev.values[j]), score)
                results[i] = entry
                self.cache[keys[j]] = entry
                if nodes[i] is self.root:
                    self.root_eval = Evaluation(
                        ev.priors[j : j + 1],
                        ev.values[j : j + 1],
                        None if ev.ownership is None else ev.ownership[j : j + 1],
                        None if ev.scores is None else ev.scores[j : j + 1],
                    )
            while len(self.cache) > self.config.cache_size:
                self.cache.popitem(last=False)
        return results

    def _ensure_root(self) -> None:
        root = self.root
        if root.state.is_over:
            root.terminal_value = terminal_value(root.state)
            return
        if not root.expanded or self.root_eval is None:
            self.cache.pop(root.state.history_key(), None)  # re-evaluate for the root's outputs
            legal, priors, _, _ = self._evaluate([root])[0]
            if not root.expanded:
                root.expand(restrict_legal(legal, self.rules, root.state.to_play, 0), priors)
        if self.config.noise_fraction > 0 and not self._noised:
            self._add_noise(root)
            self._noised = True

    def _add_noise(self, root: Node) -> None:
        k = len(root.P)
        alpha = self.config.dirichlet_alpha / k
        noise = self.rng.dirichlet(np.full(k, alpha))
        eps = self.config.noise_fraction
        root.P = (1 - eps) * root.P + eps * noise

    # -- the search loop -------------------------------------------------------

    def _descend(self) -> tuple[list[tuple[Node, int]], Node]:
        """Walk from the root by PUCT, adding virtual loss; returns (path, leaf)."""
        cfg = self.config
        node = self.root
        path: list[tuple[Node, int]] = []
        while node.expanded and node.terminal_value is None:
            fpu = cfg.root_fpu_reduction if node is self.root else cfg.fpu_reduction
            i = _select(node.P, node.N, node.W, node.V, cfg.c_puct, fpu, cfg.virtual_loss)
            node.V[i] += 1
            path.append((node, i))
            action = int(node.actions[i])
            child = node.children.get(action)
            if child is None:
                state = node.state.copy()
                state.play(action)
                child = Node(state)
                if state.is_over:
                    child.terminal_value = terminal_value(state)
                    child.terminal_score = state.score() * (1 if state.to_play == BLACK else -1)
                node.children[action] = child
            node = child
        return path, node

    @staticmethod
    def _backup(
        path: list[tuple[Node, int]], value: float, score: float = math.nan, undo_virtual: bool = True
    ):
        """``value`` and ``score`` are for the leaf's side to move; each edge stores its parent's view."""
        for node, i in reversed(path):
            value = -value
            score = -score
            node.N[i] += 1
            node.W[i] += value
            node.S[i] += score
            if undo_virtual:
                node.V[i] -= 1

    def gather(self, want: int) -> list[tuple[list[tuple[Node, int]], Node]]:
        """Descend up to ``want`` times under virtual loss; returns the leaves that need
        an evaluation as ``(path, leaf)`` (terminal leaves are backed up at once).

        With ``finish`` this lets a driver batch the leaves of many searches into
        one evaluator call (self-play plays many games per worker this way).
        """
        pending: list[tuple[list[tuple[Node, int]], Node]] = []
        seen: set[int] = set()
        collisions = 0
        while len(pending) < want and collisions <= want:
            path, leaf = self._descend()
            if leaf.terminal_value is not None:
                self._backup(path, leaf.terminal_value, leaf.terminal_score)
                want -= 1
                continue
            if id(leaf) in seen:  # collision: this leaf already waits in the batch
                for node, i in path:
                    node.V[i] -= 1
                collisions += 1
                continue
            seen.add(id(leaf))
            pending.append((path, leaf))
        return pending

    def finish(
        self, path: list[tuple[Node, int]], leaf: Node, entry: tuple[np.ndarray, np.ndarray, float, float]
    ) -> None:
        """Expand ``leaf`` with ``(legal, priors, value)`` and back the value up the path."""
        legal, priors, value, score = entry
        if not leaf.expanded:
            if self.rules:
                legal = restrict_legal(legal, self.rules, leaf.state.to_play, len(path))
            leaf.expand(legal, priors)
            if leaf is self.root and self.config.noise_fraction > 0 and not self._noised:
                self._add_noise(leaf)
                self._noised = True
        self._backup(path, value, score)

    def noise_root(self) -> None:
        """Add Dirichlet noise to an already expanded root (after tree reuse), once."""
        if self.config.noise_fraction > 0 and self.root.expanded and not self._noised:
            self._add_noise(self.root)
            self._noised = True

    def cached(self, leaf: Node):
        """The cached ``(legal, priors, value)`` of a leaf's position, or None."""
        return self.cache.get(leaf.state.history_key())

    def store(self, leaf: Node, legal: np.ndarray, priors: np.ndarray, value: float, score: float = math.nan):
        entry = (legal, priors, float(value), float(score))
        self.cache[leaf.state.history_key()] = entry
        while len(self.cache) > self.config.cache_size:
            self.cache.popitem(last=False)
        return entry

    def run(
        self,
        visits: int | None = None,
        seconds: float | None = None,
        callback: Callable[[Search], bool] | None = None,
    ) -> SearchResult:
        """Search until the root has ``visits`` more visits or ``seconds`` pass.

        ``callback(search)``, if given, runs before each batch; returning True
        stops the search early (GTP streams analysis and stops on new input).
        """
        if visits is None and seconds is None:
            raise ValueError("give a visit budget, a time budget, or both")
        start = time.perf_counter()
        deadline = start + seconds if seconds is not None else math.inf
        self._ensure_root()
        if self.root.terminal_value is not None:
            return self.result()
        target = (self.root.visits + visits) if visits is not None else math.inf
        while self.root.visits < target and time.perf_counter() < deadline:
            if callback is not None and callback(self):
                break
            want = int(min(self.config.batch_size, max(1, target - self.root.visits)))
            pending = self.gather(want)
            if not pending:
                continue
            evaluations = self._evaluate([leaf for _, leaf in pending])
            for (path, leaf), entry in zip(pending, evaluations):
                self.finish(path, leaf, entry)
            self.stats["leaves"] += len(pending)
        result = self.result()
        result.seconds = time.perf_counter() - start
        return result

    # -- reporting -------------------------------------------------------------

    def principal_variation(self, node: Node, first: int, length: int = 12) -> list[int]:
        pv = [first]
        child = node.children.get(first)
        while child is not None and child.expanded and child.visits > 0 and len(pv) < length:
            best = int(np.argmax(child.N))
            action = int(child.actions[best])
            pv.append(action)
            child = child.children.get(action)
        return pv

    def result(self) -> SearchResult:
        root = self.root
        children: list[ChildInfo] = []
        if root.expanded:
            order = np.lexsort((-root.P, -root.N))
            for i in order:
                n = root.N[i]
                q = root.W[i] / n if n else 0.0
                lcb = q - 2.0 / math.sqrt(n) if n else -2.0
                action = int(root.actions[i])
                pv = self.principal_variation(root, action) if n else [action]
                score = root.S[i] / n if n else math.nan
                score = None if math.isnan(score) else float(score)
                children.append(ChildInfo(action, int(n), float(q), float(root.P[i]), float(lcb), pv, score))
        value = root.terminal_value if root.terminal_value is not None else root.q()
        ev = self.root_eval
        return SearchResult(
            visits=int(root.visits),
            value=float(value),
            children=children,
            batches=self.stats["batches"],
            leaves=self.stats["leaves"],
            eval_seconds=self.stats["eval_seconds"],
            ownership=None if ev is None or ev.ownership is None else ev.ownership[0],
            score=None if ev is None or ev.scores is None else float(ev.scores[0]),
        )

    def visit_distribution(self) -> np.ndarray:
        """Root visit counts over all ``n*n+1`` actions, normalised (policy target)."""
        n = self.root.state.size
        dist = np.zeros(n * n + 1, np.float32)
        if self.root.expanded and self.root.visits > 0:
            dist[self.root.actions] = self.root.N / self.root.N.sum()
        return dist

    # -- tree reuse ------------------------------------------------------------

    def advance(self, state: GameState) -> None:
        """Move the root to ``state`` (the root after one or more moves), keeping
        the matching subtree if there is one, else starting afresh."""
        node = self._node_of(state)
        self.root = node if node is not None else Node(state.copy())
        self.root_eval = None
        self._noised = False

    def _node_of(self, state: GameState) -> Node | None:
        """The node of the current tree whose position is ``state``, if any."""
        root = self.root
        if self.rules:  # rules count plies from the root: a subtree was grown under other depths
            return root if root.state.history_key() == state.history_key() else None
        known = len(root.state.moves)
        if state.moves[:known] != root.state.moves:
            return None
        node = root
        for move in state.moves[known:]:
            node = node.children.get(move.action) if move.color == node.state.to_play else None
            if node is None:
                return None
        return node if node.state.history_key() == state.history_key() else None
