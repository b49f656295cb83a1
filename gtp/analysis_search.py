"""Searches of ``goagent analysis``: positions of a query, one job per turn, pooled batches.

``build_states(query)`` replays a checked ``Query`` (setup stones, then the
moves; the record is the referee, so a repetition its rules allow is
accepted, while an occupied point or suicide is an illegal-move error) and
returns the position of every turn to analyse.

``TurnJob`` is one turn's search (its own ``goagent.mcts.Search`` tree, with
the query's avoid/allow rules and search settings).  ``Pool.step(jobs)``
advances several jobs together: it gathers leaves from every job's tree
under virtual loss (``Search.gather``), answers what the shared evaluation
cache knows, evaluates the rest in one network call per board size, and
backs them up (``Search.finish``).  So the turns of a whole game, and of
several games, share each network batch.  The cache is shared between jobs
of the same board size, komi and rules only (the cache key carries the
position, its history and komi; rules are kept apart here).  A job's root
is always evaluated afresh (not from the cache), so its ownership and
policy are at hand for the response.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

import numpy as np

from goagent.coords import BLACK, WHITE, action_to_gtp
from goagent.game import GameState, IllegalMoveError
from goagent.mcts import Evaluation, MoveRule, Search, SearchConfig
from gtp.analysis_query import Query, QueryError
from gtp.analysis_report import TurnView
from gtp.scoring import playout_ownership

OWNERSHIP_PLAYOUTS = 128  # for an evaluator without an ownership head
CACHE_SIZE = 400_000  # evaluations per (size, rules) cache


def build_states(query: Query) -> dict[int, GameState]:
    """turn -> position with the right side to move; QueryError for impossible input."""
    black = [a for c, a in query.initial_stones if c == BLACK]
    white = [a for c, a in query.initial_stones if c == WHITE]
    handicap = len(black) if len(black) >= 2 and not white else 0
    komi = query.rules.effective_komi(query.komi, handicap)
    state = GameState(query.size, komi, superko=query.rules.superko)
    if black or white:
        try:
            state.setup(black=black, white=white)
        except ValueError as err:
            raise QueryError(f"initialStones: {err}", query.id, "initialStones") from None
    state.handicap = handicap
    first = query.initial_player
    if first is None:
        first = query.moves[0][0] if query.moves else (WHITE if handicap else BLACK)
    state.to_play = first
    wanted = set(query.turns)
    states: dict[int, GameState] = {}
    for t in range(len(query.moves) + 1):
        if t < len(query.moves) and t > 0:
            state.to_play = query.moves[t][0]  # a record may have a player move twice
        if t in wanted:
            view = state.copy()
            view.passes = min(view.passes, 1)  # after two passes the analysis goes on
            states[t] = view
        if t == len(query.moves):
            break
        color, action = query.moves[t]
        _replay(state, color, action, t, query)
    return states


def _replay(state: GameState, color: int, action: int, t: int, query: Query) -> None:
    reason = state.illegal_reason(action, color)
    if reason == "superko":  # a record repeating a position: accepted, as GTP play does
        rule, state.superko = state.superko, False
        try:
            state.play(action, color)
        finally:
            state.superko = rule
        return
    try:
        state.play(action, color)
    except IllegalMoveError:
        where = action_to_gtp(action, state.size)
        raise QueryError(f"Illegal move {t}: {where} ({reason})", query.id, "moves") from None


class TurnJob:
    """The search of one turn of one query."""

    def __init__(self, query: Query, turn: int, state: GameState, priority: int, seq: int):
        self.query = query
        self.turn = turn
        self.state = state
        self.priority = priority
        self.seq = seq
        self.search: Search | None = None
        self.terminated = False
        self.done = False
        self.failed = False  # answered with an error
        self.visits = 0
        self.deadline = math.inf
        self.next_report = math.inf
        self.stalled = 0
        self.root_eval: Evaluation | None = None  # the root's own evaluation (one row)
        self.root_legal: np.ndarray | None = None

    def sort_key(self) -> tuple[int, int]:
        return (-self.priority, self.seq)

    def start(self, evaluator, cache: OrderedDict, visits: int, seconds: float | None, seed: int) -> None:
        q = self.query
        config = SearchConfig(cache_size=CACHE_SIZE, **q.search)
        self.search = Search(self.state, evaluator, config, seed=seed)
        self.search.cache = cache
        self.search.restrict(
            tuple(MoveRule(r.color, r.actions, r.until_depth, r.allow) for r in q.move_rules)
        )
        self.visits = visits
        now = time.monotonic()
        self.deadline = now + seconds if seconds is not None else math.inf
        self.next_report = now + q.report_every if q.report_every else math.inf

    @property
    def finished(self) -> bool:
        if self.terminated or self.done or self.failed:
            return True
        if self.search is None or self.search.root.expanded is False:
            return False
        return self.search.root.visits >= self.visits or time.monotonic() >= self.deadline

    def view(self, during_search: bool = False) -> TurnView:
        q = self.query
        result = None
        if self.search is not None and self.search.root.expanded:
            result = self.search.result()
        ev = self.root_eval
        if result is not None and result.score is None and ev is not None and ev.scores is not None:
            result.score = float(ev.scores[0])  # the root's own estimate, for a search of no visits
        return TurnView(
            id=q.id,
            turn=self.turn,
            size=q.size,
            to_play=self.state.to_play,
            perspective=q.perspective,
            result=result,
            during_search=during_search,
            root_ownership=None if ev is None or ev.ownership is None else ev.ownership[0],
            root_priors=None if ev is None else ev.priors[0],
            legal=self.root_legal,
            include_ownership=q.include_ownership,
            include_policy=q.include_policy,
            include_moves_ownership=q.include_moves_ownership,
            include_pv_visits=q.include_pv_visits,
            this_hash=f"{self.state.board.hash & 0xFFFFFFFFFFFFFFFF:016X}{self.state.to_play}",
        )


class Pool:
    """Advances many ``TurnJob``s with shared network batches."""

    def __init__(self, evaluator, batch_size: int = 8, seed: int = 0):
        self.evaluator = evaluator
        self.batch_size = batch_size
        self.seed = seed
        self.caches: dict[tuple, OrderedDict] = {}
        self.evaluations = 0
        self.calls = 0

    def cache_for(self, query: Query) -> OrderedDict:
        return self.caches.setdefault((query.size, query.rules_key), OrderedDict())

    def clear_cache(self) -> None:
        for cache in self.caches.values():
            cache.clear()

    def step(self, jobs: list[TurnJob]) -> None:
        """One round: every job gathers up to ``batch_size`` leaves; one evaluation per size."""
        requests = []  # (job, path, leaf, legal, is_root)
        for job in jobs:
            search = job.search
            before = search.root.visits
            want = int(min(self.batch_size, max(1, job.visits - before)))
            pending = search.gather(want)
            for path, leaf in pending:
                is_root = leaf is search.root
                entry = None if is_root else search.cached(leaf)
                if entry is not None:
                    search.finish(path, leaf, entry)
                else:
                    requests.append((job, path, leaf, leaf.state.legal_mask(), is_root))
            job.stalled = job.stalled + 1 if not pending and search.root.visits == before else 0
            if job.stalled >= 3:  # nothing left to search (every line ends the game)
                job.done = True
        by_size: dict[int, list] = {}
        for request in requests:
            by_size.setdefault(request[2].state.size, []).append(request)
        for group in by_size.values():
            self._evaluate(group)

    def _evaluate(self, group: list) -> None:
        ev = self.evaluator.evaluate([r[2].state for r in group], [r[3] for r in group])
        self.calls += 1
        self.evaluations += len(group)
        for j, (job, path, leaf, legal, is_root) in enumerate(group):
            score = math.nan if ev.scores is None else float(ev.scores[j])
            entry = job.search.store(leaf, legal, ev.priors[j], float(ev.values[j]), score)
            if is_root:
                job.root_eval = Evaluation(
                    ev.priors[j : j + 1],
                    ev.values[j : j + 1],
                    None if ev.ownership is None else ev.ownership[j : j + 1],
                    None if ev.scores is None else ev.scores[j : j + 1],
                )
                job.root_legal = legal
            job.search.finish(path, leaf, entry)

    # -- what a final response adds --------------------------------------------

    def complete(self, job: TurnJob) -> TurnView:
        """The final view of a job: ownership for an evaluator without it, per-move
        ownership and pv visits when asked."""
        view = job.view()
        q = job.query
        if view.result is None:
            return view
        wants_ownership = q.include_ownership or q.include_moves_ownership
        if view.root_ownership is None and wants_ownership:
            own_black = playout_ownership(job.state, OWNERSHIP_PLAYOUTS, self.seed)
            view.root_ownership = own_black if job.state.to_play == BLACK else -own_black
        visited = [c for c in view.result.children if c.visits > 0]
        if q.include_moves_ownership and visited:
            view.moves_ownership = self._moves_ownership(job, [c.action for c in visited])
        if q.include_pv_visits:
            view.pv_visits = {c.action: pv_visits(job.search, c.pv or [c.action]) for c in visited}
        return view

    def _moves_ownership(self, job: TurnJob, actions: list[int]) -> dict[int, np.ndarray]:
        """Ownership after each move, for the opponent (the side to move there): one
        network call for all of them (random playouts without an ownership head)."""
        states = []
        for action in actions:
            child = job.state.copy()
            child.play(action)
            states.append(child)
        ev = self.evaluator.evaluate(states, [s.legal_mask() for s in states])
        self.calls += 1
        if ev.ownership is not None:
            return {a: np.asarray(ev.ownership[i], np.float64) for i, a in enumerate(actions)}
        out = {}
        for action, child in zip(actions, states):
            own_black = playout_ownership(child, OWNERSHIP_PLAYOUTS, self.seed)
            out[action] = own_black if child.to_play == BLACK else -own_black
        return out


def pv_visits(search: Search, pv: list[int]) -> list[int]:
    """Visits of each move along ``pv``, read from the tree (0 where it leaves the tree)."""
    out = []
    node = search.root
    for action in pv:
        if node is None or not node.expanded:
            out.append(0)
            node = None
            continue
        where = np.flatnonzero(node.actions == action)
        out.append(int(node.N[where[0]]) if len(where) else 0)
        node = node.children.get(action)
    return out
