"""The search driver: ``Search`` owns a tree (``goagent.search.tree``) and runs it.

``run(visits=..., seconds=...)`` repeats: one ``gather`` kernel call collects
up to ``batch_size`` leaves under virtual loss (leaves that are terminal or
in the evaluation cache are backed up inside it), one evaluator call
evaluates the rest, and one ``finish`` kernel call expands them and backs
them up; until the visit or time budget is spent, the callback says stop,
or (``early_stop``) the most visited move can no longer be overtaken in
the visits left.  The evaluator is called by its fastest entry point: the
planes the kernel encoded (``evaluate_planes``), the scratch boards
(``evaluate_boards``), or else ``GameState`` objects rebuilt in Python
(``evaluate``, any scripted evaluator).  ``gather``/``finish`` are public so
that a self-play worker can batch the leaves of many games into one
network call (``evaluate_leaves`` below).

Memory: the tree is bounded by ``SearchConfig.memory_budget`` bytes (the
arrays grow by doubling up to it; the evaluation cache and ownership sums
count against it).  A full tree stops expanding and keeps evaluating and
backing up, so visits keep growing; ``memory_use()`` and the log say how
full it is.  ``advance`` keeps the subtree of the moves played (tree reuse)
by copying it to fresh arrays; ``restrict`` searches under GTP avoid/allow
rules (``MoveRule``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from goagent import features
from goagent.board import position_set
from goagent.config import SearchConfig
from goagent.coords import BLACK, WHITE, opponent
from goagent.game import GameState
from goagent.ladders import new_context
from goagent.rules import TROMP_TAYLOR
from goagent.search import cache as ecache
from goagent.search import leaves
from goagent.search import tree as T
from goagent.search.evaluation import (
    Evaluation,
    Evaluator,
    dead_stone_ownership,
    evaluator_for,
    terminal_value,
)
from goagent.search.report import NodeView, SearchResult, build_result, children_of

log = logging.getLogger(__name__)
DEFAULT_CONFIG = SearchConfig()


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


def ko_rule_of(state: GameState) -> int:
    """The scratch board's ko rule for ``state``: its ``ko_rule`` if it has one, else
    positional superko, or simple ko for ``superko=False``."""
    rule = getattr(state, "ko_rule", None)
    if isinstance(rule, str):
        return leaves.KO_RULES[rule]
    if isinstance(rule, int):
        return rule
    return leaves.POSITIONAL if state.superko else leaves.SIMPLE


def history_set(state: GameState, ko_rule: int) -> np.ndarray:
    """The game's positions as a position set, keyed as ``leaves.replay`` keys them."""
    hashes = list(state.history_key(10**9)[0])
    if ko_rule == leaves.SITUATIONAL:
        first = WHITE if state.handicap else BLACK
        movers = [first] + [opponent(m.color) for m in state.moves]
        movers = movers[-len(hashes) :]
        hashes = [h ^ int(leaves.SIDE_KEYS[c]) for h, c in zip(hashes, movers)]
    return position_set(hashes, 0, 0)


def stones_placed_difference(state: GameState) -> float:
    """Black's stones placed minus White's so far (setup and handicap stones included):
    the stones on the board plus those captured, per colour."""
    colors = state.board.to_array()
    black = int((colors == BLACK).sum()) + state.board.captures(WHITE)
    white = int((colors == WHITE).sum()) + state.board.captures(BLACK)
    return float(black - white)


def dead_field(state: GameState, network: np.ndarray | None = None) -> np.ndarray:
    """int8[(n+2)^2], on the board's padded field: the colour of each stone of ``state``
    that ``goagent.dead_stones`` judges dead (with ``network``'s ownership, if any), 0
    elsewhere."""
    from goagent.dead_stones import dead_stones

    n = state.size
    field = np.zeros((n + 2) ** 2, np.int8)
    colors = state.board.to_array().reshape(-1)
    for a in np.flatnonzero(dead_stones(state, network=network)):
        field[(a // n + 1) * (n + 2) + a % n + 1] = colors[a]
    return field


def _planes_entry(evaluator, size: int):
    """The evaluator's ``evaluate_planes`` for ``size``, if it has one."""
    target = evaluator_for(evaluator, size)
    return target, getattr(target, "evaluate_planes", None)


class Search:
    """A reusable search tree rooted at a position.

    ``run(visits=..., seconds=...)`` searches; ``result()`` reports; ``advance``
    moves the root to a later position (keeping its subtree) after moves are played.
    """

    def __init__(self, state: GameState, evaluator: Evaluator, config: SearchConfig = DEFAULT_CONFIG, seed=0):
        self.evaluator = evaluator
        self.config = config
        self.rng = np.random.default_rng(seed)
        self.rules: tuple[MoveRule, ...] = ()
        self.stats = {"batches": 0, "leaves": 0, "eval_seconds": 0.0}
        self._full_logged = False
        n = state.size
        self.actions = n * n + 1
        target, planes_entry = _planes_entry(evaluator, n)
        self._target = target
        self._planes_entry = planes_entry
        self._boards_entry = getattr(target, "evaluate_boards", None) if planes_entry is None else None
        self._cache_entries = self._cache_size(n)
        self.ckeys, self.cpriors, self.cvals = ecache.new_cache(self._cache_entries, self.actions)
        self._arena = new_context(n) if planes_entry is not None else np.zeros(1, np.int64)
        self._alloc_batch(max(1, config.batch_size))
        self._set_rules(())
        self._reset_tree(state)

    # -- set-up ------------------------------------------------------------------

    def _cache_size(self, n: int) -> int:
        budget_share = self.config.memory_budget // 8  # at most an eighth of the budget
        return int(min(self.config.cache_size, budget_share // ecache.cache_bytes(1, n * n + 1)))

    def _alloc_batch(self, size: int) -> None:
        n, a = math.isqrt(self.actions - 1), self.actions
        w2 = (n + 2) ** 2
        self._batch = size
        self.paths = np.zeros((size, T.MAX_DEPTH + 1), np.int32)
        self.lengths = np.zeros(size, np.int32)
        self.leaf_nodes = np.zeros(size, np.int32)
        self.leaf_keys = np.zeros(size, np.int64)
        self.leaf_colors = np.zeros(size, np.int64)
        self.root_edges = np.zeros(size, np.int32)
        self.legal = np.zeros((size, a), np.bool_)
        planes = size if self._planes_entry is not None else 0
        self.planes = np.zeros((planes, features.NUM_PLANES, n, n), np.float32)
        boards = size if self._boards_entry is not None else 0
        self.boards = np.zeros((boards, 7, w2), np.int32)
        self.metas = np.zeros((boards, 8), np.int64)
        self._restricted = np.zeros(a, np.bool_)
        self._gstats = np.zeros(3, np.int64)

    def _set_rules(self, rules: tuple[MoveRule, ...]) -> None:
        self.rules = tuple(rules)
        r = len(self.rules)
        self._rule_color = np.array([x.color for x in self.rules], np.int64)
        self._rule_until = np.array([x.until_depth for x in self.rules], np.int64)
        self._rule_allow = np.array([x.allow for x in self.rules], np.bool_)
        self._rule_mask = np.zeros((r, self.actions), np.bool_)
        for i, x in enumerate(self.rules):
            self._rule_mask[i, list(x.actions)] = True

    def _reset_tree(self, state: GameState) -> None:
        """An empty tree at ``state``."""
        self._capacity(1024, 1024 * 16, fresh=True)
        T.new_node(self.ni, self.nf, self.counts)
        self._set_root_state(state)

    def _set_root_state(self, state: GameState) -> None:
        self.state = state.copy()
        n = state.size
        board = state.board
        self.root_b, self.root_m = board._b.copy(), board._m.copy()
        stones = np.zeros((8, n, n), np.int8)
        for i, past in enumerate(state.recent_boards(8)):
            stones[i] = past
        hashes = np.zeros(8, np.int64)
        recent = list(state.history_key(8)[0])[::-1]
        hashes[: len(recent)] = recent
        self.root_hist = (stones, hashes)
        self.ring = (np.zeros((8, n, n), np.int8), np.zeros(8, np.int64))
        self.scratch_b, self.scratch_m = np.empty_like(self.root_b), np.empty_like(self.root_m)
        self.pathset = np.zeros(4096 + 2, np.int64)
        self.ko_rule = ko_rule_of(state)
        self.seen = history_set(state, self.ko_rule)
        self.terminal = terminal_value(state) if state.is_over else None
        # How a finished leaf is scored (``leaves.terminal``): under Tromp-Taylor as the
        # board stands; under other rules as final_score counts, the root's dead stones
        # taken off, judged when the first finished leaf needs them (dead[0], a border
        # point, < 0 until then), and under territory rules by territory.
        self.komi = float(state.effective_komi)
        self.dead = np.zeros((n + 2) ** 2, np.int8)
        if state.rules != TROMP_TAYLOR:
            self.dead[0] = -1
        self.placed = stones_placed_difference(state) if state.rules.territory else math.nan
        self.root_eval: Evaluation | None = None
        self._noised = False
        self.has_scores = False
        self.own_sum = self.own_sq = self.own_child = self.own_count = None
        self.cfg = np.array(
            [
                self.config.c_puct,
                self.config.fpu_reduction,
                self.config.root_fpu_reduction,
                self.config.virtual_loss,
            ]
        )

    def _capacity(self, nodes: int, edges: int, fresh: bool = False) -> None:
        """Make room for ``nodes`` nodes and ``edges`` edges (growing by doubling)."""
        if fresh:
            self.ni = np.zeros((T.NI_FIELDS, nodes), np.int32)
            self.nf = np.zeros((T.NF_FIELDS, nodes), np.float64)
            self.edges = np.zeros(edges, np.uint32)
            self.counts = np.zeros(2, np.int64)
            self.limits = np.zeros(2, np.int64)
            return
        if nodes > self.ni.shape[1]:
            size = max(nodes, 2 * self.ni.shape[1])
            ni = np.zeros((T.NI_FIELDS, size), np.int32)
            nf = np.zeros((T.NF_FIELDS, size), np.float64)
            used = int(self.counts[T.NCOUNT])
            ni[:, :used] = self.ni[:, :used]
            nf[:, :used] = self.nf[:, :used]
            self.ni, self.nf = ni, nf
        if edges > len(self.edges):
            size = max(edges, 2 * len(self.edges))
            grown = np.zeros(size, np.uint32)
            used = int(self.counts[T.ECOUNT])
            grown[:used] = self.edges[:used]
            self.edges = grown

    def _tree_budget(self) -> int:
        fixed = ecache.cache_bytes(len(self.ckeys), self.actions)
        if self.own_child is not None:
            fixed += 8 * (self.own_child.size + 2 * len(self.own_sum) + len(self.own_count))
        return max(0, self.config.memory_budget - fixed)

    def _prepare(self, want: int) -> None:
        """Room and limits for one batch of ``want`` leaves, within the memory budget."""
        nodes, edges = int(self.counts[T.NCOUNT]), int(self.counts[T.ECOUNT])
        left = self._tree_budget() - (nodes * T.NODE_BYTES + edges * T.EDGE_BYTES)
        if left <= 0:
            self.limits[:] = (nodes, edges)
            if not self._full_logged:
                self._full_logged = True
                log.info(
                    "search tree full: %.0f MB of the %.0f MB budget; searching on without expanding",
                    self.tree_bytes / 1e6,
                    self.config.memory_budget / 1e6,
                )
            return
        grow_nodes = min(want + 1, left // T.NODE_BYTES)
        grow_edges = min((want + 1) * self.actions, left // T.EDGE_BYTES)
        self._capacity(nodes + grow_nodes, edges + grow_edges)
        self.limits[:] = (nodes + grow_nodes, edges + grow_edges)

    # -- public state ------------------------------------------------------------

    @property
    def root(self) -> NodeView:
        return NodeView(self, 0)

    @property
    def node_count(self) -> int:
        return int(self.counts[T.NCOUNT])

    @property
    def tree_bytes(self) -> int:
        """Bytes of the tree's nodes and edges in use."""
        return int(self.counts[T.NCOUNT]) * T.NODE_BYTES + int(self.counts[T.ECOUNT]) * T.EDGE_BYTES

    def memory_use(self) -> tuple[int, int]:
        """``(bytes in use, budget)``: the tree, the evaluation cache and the ownership sums."""
        fixed = self.config.memory_budget - self._tree_budget()
        return self.tree_bytes + fixed, self.config.memory_budget

    def restrict(self, rules: tuple[MoveRule, ...] = ()) -> None:
        """Search only what ``rules`` allow from now on; a tree grown under other rules
        is dropped (its nodes were expanded with other moves)."""
        rules = tuple(rules)
        if rules != self.rules:
            self._set_rules(rules)
            self._reset_tree(self.state)

    # -- evaluation ----------------------------------------------------------------

    def _leaf_state(self, k: int) -> GameState:
        state = self.state.copy()
        path = self.paths[k]
        actions = self._path_actions(path, int(self.lengths[k]))
        for a in actions:
            state.play(a)
        return state

    def _path_actions(self, path, length: int) -> list[int]:
        actions = []
        for d in range(length):
            child = int(path[d + 1])
            for _, a, _, c in children_of(self.ni, self.edges, int(path[d])):
                if c == child:
                    actions.append(a)
                    break
        return actions

    def evaluate_leaves(self, count: int) -> Evaluation:
        """Evaluate the ``count`` leaves of the last ``gather`` with this search's evaluator."""
        legal = self.legal[:count]
        if self._planes_entry is not None:
            return self._planes_entry(self.planes[:count], legal)
        if self._boards_entry is not None:
            return self._boards_entry(
                self.boards[:count], self.metas[:count], self.leaf_colors[:count], self.komi, legal
            )
        states = [self._leaf_state(k) for k in range(count)]
        return self._target.evaluate(states, [legal[k].copy() for k in range(count)])

    def gather(self, want: int) -> int:
        """Descend up to ``want`` times (one kernel call); returns how many leaves await
        an evaluation: their planes are ``self.planes[:k]``, legal moves ``self.legal[:k]``."""
        if want > self._batch:
            self._alloc_batch(want)
        self._ensure_root()
        if self.terminal is not None:
            return 0
        self._prepare(want)
        return self._gather(want)

    def _gather(self, want: int) -> int:
        pending = self._gather_once(want)
        if self.dead[0] == -2:  # a finished leaf needs the root's dead stones: judge them, go on
            # As final_score judges them: with the network's ownership if it knows dead stones.
            self.dead = dead_field(self.state, dead_stone_ownership(self.evaluator, self.state))
            if pending == 0:
                pending = self._gather_once(want)
        return pending

    def _gather_once(self, want: int) -> int:
        pending = T.gather(
            self.ni, self.nf, self.edges, self.counts, self.limits, self.cfg, want, self._batch,
            self.root_b, self.root_m, self.root_hist, int(self.state.to_play), int(self.state.passes),
            self.komi, self.seen, self.ko_rule, self.dead, self.placed,
            self._rule_color, self._rule_until, self._rule_allow, self._rule_mask,
            self.ckeys, self.cpriors, self.cvals,
            self.scratch_b, self.scratch_m, self.ring, self.pathset, self._restricted,
            self.paths, self.lengths, self.leaf_nodes, self.leaf_keys, self.leaf_colors, self.root_edges,
            self.legal, self.planes, self._planes_entry is not None, True, self._arena,
            self.boards, self.metas, self._gstats,
        )  # fmt: skip
        self.stats["leaves"] += int(self._gstats[0]) + pending
        return int(pending)

    def finish(self, count: int, ev: Evaluation) -> None:
        """Expand and back up the ``count`` leaves of the last ``gather`` with ``ev``."""
        if count == 0:
            return
        if ev.scores is not None:
            self.has_scores = True
            scores = np.ascontiguousarray(ev.scores[:count], np.float64)
        else:
            scores = np.zeros(count, np.float64)
        own = np.zeros((0, self.actions - 1), np.float32)
        if ev.ownership is not None and self.own_sum is not None:
            own = np.ascontiguousarray(ev.ownership[:count], np.float32)
        T.finish(
            self.ni, self.nf, self.edges, self.counts, self.limits, count, self.paths, self.lengths,
            self.leaf_nodes, self.leaf_keys, self.leaf_colors, self.root_edges, self.legal,
            np.ascontiguousarray(ev.priors[:count], np.float32),
            np.ascontiguousarray(ev.values[:count], np.float64), scores, own,
            self._rule_color, self._rule_until, self._rule_allow, self._rule_mask, self._restricted,
            self.ckeys, self.cpriors, self.cvals,
            self.own_sum if self.own_sum is not None else np.zeros(0), self._own_child_arg(),
            self.own_count if self.own_count is not None else np.zeros(1),
        )  # fmt: skip
        if len(own) and self.own_sq is not None:  # squares at the root, for ownership stdev
            signs = np.where(self.lengths[:count] % 2 == 0, 1.0, -1.0)[:, None]
            self.own_sq += ((signs * own) ** 2).sum(axis=0)

    def _own_child_arg(self) -> np.ndarray:
        if self.own_child is None:
            return np.zeros((0, self.actions - 1))
        return self.own_child

    def _evaluate_root(self) -> None:
        """Evaluate the root alone (its outputs: ownership, score, priors)."""
        self._prepare(1)
        legal = self.legal[:1]
        _, _, key = leaves.replay(
            self.root_b, self.root_m, self.root_hist, int(self.state.to_play), int(self.state.passes),
            self.seen, self.ko_rule, np.zeros(1, np.int32), 0,
            self.scratch_b, self.scratch_m, self.ring, self.pathset, legal[0],
        )  # fmt: skip
        self.leaf_colors[0] = self.state.to_play
        if self._planes_entry is not None:
            leaves.planes(
                self.root_hist, self.ring, 0, self.scratch_m, int(self.state.to_play), self.komi,
                legal[0], self.planes[0], True, self._arena,
            )  # fmt: skip
        if self._boards_entry is not None:
            self.boards[0] = self.scratch_b
            self.metas[0] = self.scratch_m
        self.paths[0, 0] = 0
        self.lengths[0] = 0
        self.leaf_nodes[0] = 0
        self.root_edges[0] = -1
        start = time.perf_counter()
        if self._planes_entry is None and self._boards_entry is None:
            ev = self._target.evaluate([self.state], [legal[0].copy()])
        else:
            ev = self.evaluate_leaves(1)
        self.stats["eval_seconds"] += time.perf_counter() - start
        self.stats["batches"] += 1
        self.root_eval = Evaluation(
            ev.priors[:1], ev.values[:1],
            None if ev.ownership is None else ev.ownership[:1], None if ev.scores is None else ev.scores[:1],
        )  # fmt: skip
        if ev.scores is not None:
            self.has_scores = True
        if self.ni[T.STATE, 0] == T.NEW:
            restricted = restrict_legal(legal[0].copy(), self.rules, int(self.state.to_play), 0)
            T.expand(
                self.ni, self.edges, self.counts, self.limits, 0, restricted, ev.priors[0].astype(np.float32)
            )
        score = 0.0 if ev.scores is None else float(ev.scores[0])
        priors = np.ascontiguousarray(ev.priors[0], np.float32)
        ecache.store(self.ckeys, self.cpriors, self.cvals, key, priors, float(ev.values[0]), score)
        if ev.ownership is not None:
            n2 = self.actions - 1
            k = int(self.ni[T.NEDGE, 0])
            self.own_sum = np.zeros(n2)
            self.own_sq = np.zeros(n2)
            self.own_child = np.zeros((k, n2))
            self.own_count = np.zeros(1 + k)

    def _ensure_root(self) -> None:
        if self.terminal is not None:
            return
        if self.ni[T.STATE, 0] != T.EXPANDED or self.root_eval is None:
            self._evaluate_root()
        self.noise_root()

    def _add_noise(self) -> None:
        """Dirichlet noise on the root's priors; the unvisited edges are re-sorted."""
        start, k = int(self.ni[T.ESTART, 0]), int(self.ni[T.NEDGE, 0])
        made = int(self.ni[T.NCHILD, 0])
        block = self.edges[start : start + k].astype(np.int64)
        actions = block & 1023
        priors = (block >> 10) / T.PRIOR_ONE
        noise = self.rng.dirichlet(np.full(k, self.config.dirichlet_alpha / k))
        eps = self.config.noise_fraction
        q = np.minimum(np.floor(((1 - eps) * priors + eps * noise) * T.PRIOR_ONE), T.PRIOR_ONE - 1).astype(
            np.int64
        )
        tail = np.lexsort((actions[made:], -q[made:])) + made
        order = np.concatenate([np.arange(made), tail])
        self.edges[start : start + k] = ((q[order] << 10) | actions[order]).astype(np.uint32)

    def noise_root(self) -> None:
        """Add Dirichlet noise to the expanded root, once per root (the one place noise
        is applied: a fresh root when it is evaluated, a reused one when called)."""
        if self.config.noise_fraction > 0 and self.ni[T.STATE, 0] == T.EXPANDED and not self._noised:
            self._add_noise()
            self._noised = True

    # -- the search loop -----------------------------------------------------------

    def run(
        self,
        visits: int | None = None,
        seconds: float | None = None,
        callback: Callable[[Search], bool] | None = None,
        early_stop: bool = False,
    ) -> SearchResult:
        """Search until the root has ``visits`` more visits or ``seconds`` pass (with
        neither, until ``callback`` says stop: GUI analysis runs as long as the user
        leaves it, in the memory budget).

        ``callback(search)``, if given, runs before each batch; returning True
        stops the search early (GTP streams analysis and stops on new input).
        ``early_stop`` also stops when the most visited move cannot be overtaken
        by the second in the visits left (time management).
        """
        if visits is None and seconds is None and callback is None:
            raise ValueError("give a visit budget, a time budget, a stopping callback, or some of them")
        start = time.perf_counter()
        deadline = start + seconds if seconds is not None else math.inf
        self._ensure_root()
        stopped = False
        if self.terminal is None:
            first = int(self.ni[T.N, 0])
            target = first + visits if visits is not None else math.inf
            while True:
                now = time.perf_counter()
                done = int(self.ni[T.N, 0])
                if done >= target or now >= deadline:
                    break
                if callback is not None and callback(self):
                    break
                if early_stop and self._decided(done - first, target - done, now - start, deadline - now):
                    stopped = True
                    break
                want = int(min(self.config.batch_size, max(1, target - done)))
                self._step(want)
        result = self.result()
        result.seconds = time.perf_counter() - start
        result.stopped_early = stopped
        return result

    def _step(self, want: int) -> None:
        count = self.gather(want)
        if count:
            start = time.perf_counter()
            ev = self.evaluate_leaves(count)
            self.stats["eval_seconds"] += time.perf_counter() - start
            self.stats["batches"] += 1
            self.finish(count, ev)

    def _decided(self, done: int, left_visits: float, elapsed: float, left_seconds: float) -> bool:
        """True when the second most visited root move cannot catch the first in what is left."""
        if done < 2 * self.config.batch_size or elapsed <= 0:
            return False
        left = left_visits
        if math.isfinite(left_seconds):
            left = min(left, done / elapsed * left_seconds)
        counts = sorted(
            (int(self.ni[T.N, c]) for *_, c in children_of(self.ni, self.edges, 0) if c >= 0), reverse=True
        )
        if len(counts) < 2:
            return len(counts) == 1 and int(self.ni[T.NEDGE, 0]) == 1
        return counts[0] - counts[1] > left

    # -- reporting -------------------------------------------------------------------

    def result(self) -> SearchResult:
        return build_result(self)

    def visit_distribution(self) -> np.ndarray:
        """Root visit counts over all ``n*n+1`` actions, normalised (policy target)."""
        dist = np.zeros(self.actions, np.float32)
        total = 0
        for _, a, _, c in children_of(self.ni, self.edges, 0):
            if c >= 0:
                dist[a] = self.ni[T.N, c]
                total += self.ni[T.N, c]
        return dist / total if total else dist

    def principal_variation(self, node=None, first: int | None = None, length: int = 12) -> list[int]:
        """The PV from the root starting with ``first`` (``node`` is ignored: the root)."""
        for _, a, _, c in children_of(self.ni, self.edges, 0):
            if a == first:
                from goagent.search.report import principal_variation

                return principal_variation(self.ni, self.edges, 0, c, a, length)
        return [first]

    # -- tree reuse ------------------------------------------------------------------

    def advance(self, state: GameState) -> None:
        """Move the root to ``state`` (the root after one or more moves), keeping
        the matching subtree if there is one, else starting afresh."""
        node = self._node_of(state)
        if node is None:
            if state.effective_komi != self.komi:  # the cached evaluations saw the old komi
                self.ckeys, self.cpriors, self.cvals = ecache.new_cache(self._cache_entries, self.actions)
            self._reset_tree(state)
            return
        if node != 0:
            ni, nf, edges = self.ni, self.nf, self.edges
            self._capacity(ni.shape[1], len(edges), fresh=True)
            T.compact(ni, nf, edges, node, self.ni, self.nf, self.edges, self.counts)
        self._set_root_state(state)

    def _node_of(self, state: GameState) -> int | None:
        """The node of the current tree whose position is ``state``, if any."""
        root = self.state
        if (state.size, state.effective_komi, state.rules, state.superko, ko_rule_of(state)) != (
            root.size, self.komi, root.rules, root.superko, self.ko_rule,
        ):  # fmt: skip
            return None
        if self.rules:  # rules count plies from the root: a subtree was grown under other depths
            return 0 if root.history_key() == state.history_key() else None
        known = len(root.moves)
        if state.moves[:known] != root.moves or state.handicap != root.handicap:
            return None
        node, color = 0, root.to_play
        for move in state.moves[known:]:
            if move.color != color:
                return None
            found = None
            for _, a, _, c in children_of(self.ni, self.edges, node):
                if a == move.action:
                    found = c
                    break
            if found is None or found < 0:
                return None
            node, color = found, opponent(color)
        if color != state.to_play or state.is_over != root.is_over and node == 0:
            return None
        return node


def step_many(searches: list[Search], wants: list[int]) -> int:
    """One round over many searches (self-play games, analysis turns): each gathers
    up to its ``want`` leaves (one kernel call), the leaves of the searches that
    share an evaluator entry point and board size go to one evaluator call, and
    each search backs its share up (one kernel call).  Returns the leaves evaluated.
    """
    groups: dict[tuple, list[tuple[Search, int]]] = {}
    for search, want in zip(searches, wants):
        count = search.gather(max(1, int(want)))
        if count:
            key = (id(search._target), search.actions, search._planes_entry is not None)
            groups.setdefault(key, []).append((search, count))
    total = 0
    for members in groups.values():
        first, _ = members[0]
        start = time.perf_counter()
        if first._planes_entry is not None and len(members) > 1:
            planes = np.concatenate([s.planes[:k] for s, k in members])
            legal = np.concatenate([s.legal[:k] for s, k in members])
            ev = first._planes_entry(planes, legal)
            offset = 0
            parts = []
            for s, k in members:
                parts.append((s, k, _rows(ev, offset, k)))
                offset += k
        else:
            parts = [(s, k, s.evaluate_leaves(k)) for s, k in members]
        seconds = time.perf_counter() - start
        for s, k, part in parts:
            s.stats["eval_seconds"] += seconds * k / sum(c for _, c in members)
            s.stats["batches"] += 1
            s.finish(k, part)
            total += k
    return total


def _rows(ev: Evaluation, start: int, count: int) -> Evaluation:
    stop = start + count
    return Evaluation(
        ev.priors[start:stop],
        ev.values[start:stop],
        None if ev.ownership is None else ev.ownership[start:stop],
        None if ev.scores is None else ev.scores[start:stop],
    )
