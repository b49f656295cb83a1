"""Searches of ``goagent analysis``: positions of a query, one job per turn, pooled batches.

``build_states(query)`` replays a checked ``Query`` (setup stones, then the
moves; the record is the referee, so a repetition its rules allow is
accepted, while an occupied point or suicide is an illegal-move error) and
returns the position of every turn to analyse.

``TurnJob`` is one turn's search (its own ``goagent.mcts.Search`` tree, with
the query's avoid/allow rules and search settings).  ``Pool.step(jobs)``
advances several jobs together: each job's search gathers leaves under
virtual loss (``Search.gather``: encoded planes, its own evaluation cache
answering what it has seen), the leaves of all jobs on one board size go to
the network in one ``evaluate_planes`` call, and each search backs its rows
up (``Search.finish``).  So the turns of a whole game, and of several games,
share each network batch.  A root is evaluated alone, once per turn, inside
the search (its ownership, score and policy are kept for the response).
Evaluators without ``evaluate_planes`` (random playouts) evaluate each
search's leaves separately.  Each turn has its own tree and cache, so
rulesets and komi never mix.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from goagent.coords import BLACK, WHITE, action_to_gtp
from goagent.game import GameState, IllegalMoveError
from goagent.mcts import Evaluation, MoveRule, Search, SearchConfig, evaluator_for
from goagent.scoring import playout_ownership
from gtp.analysis import pv_visits
from gtp.analysis_query import Query, QueryError
from gtp.analysis_report import TurnView

OWNERSHIP_PLAYOUTS = 128  # for an evaluator without an ownership head


def build_states(query: Query) -> dict[int, GameState]:
    """turn -> position with the right side to move; QueryError for impossible input."""
    black = [a for c, a in query.initial_stones if c == BLACK]
    white = [a for c, a in query.initial_stones if c == WHITE]
    handicap = len(black) if len(black) >= 2 and not white else 0
    state = GameState(query.size, query.komi, rules=query.rules)  # komi + handicap bonus: the rules'

    if black or white:
        try:
            state.setup(black=black, white=white, handicap=handicap)
        except ValueError as err:
            raise QueryError(f"initialStones: {err}", query.id, "initialStones") from None
    first = query.initial_player
    if first is None:
        first = query.moves[0][0] if query.moves else (WHITE if handicap else BLACK)
    state.set_to_play(first)
    wanted = set(query.turns)
    states: dict[int, GameState] = {}
    for t in range(len(query.moves) + 1):
        if t < len(query.moves) and t > 0:
            state.set_to_play(query.moves[t][0])  # a record may have a player move twice
        if t in wanted:
            states[t] = state.view_for()  # after two passes the analysis goes on
        if t == len(query.moves):
            break
        color, action = query.moves[t]
        _replay(state, color, action, t, query)
    return states


def _replay(state: GameState, color: int, action: int, t: int, query: Query) -> None:
    reason = state.illegal_reason(action, color)
    try:
        state.play(action, color, check_superko=False)  # a record repeating a position: accepted
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

    def sort_key(self) -> tuple[int, int]:
        return (-self.priority, self.seq)

    def start(
        self, evaluator, visits: int, seconds: float | None, seed: int, batch: int, memory_budget: int | None
    ) -> None:
        q = self.query
        config = SearchConfig(batch_size=batch, **q.search)
        if memory_budget is not None:
            config = replace(config, memory_budget=memory_budget)
        self.search = Search(self.state, evaluator, config, seed=seed)
        self.search.restrict(
            tuple(MoveRule(r.color, r.actions, r.until_depth, r.allow) for r in q.move_rules)
        )
        self.visits = visits
        now = time.monotonic()
        self.deadline = now + seconds if seconds is not None else math.inf
        self.next_report = now + q.report_every if q.report_every else math.inf

    @property
    def root_visits(self) -> int:
        return 0 if self.search is None else int(self.search.root.visits)

    @property
    def finished(self) -> bool:
        if self.terminated or self.done or self.failed:
            return True
        if self.search is None or not self.search.root.expanded:
            return False
        return self.root_visits >= self.visits or time.monotonic() >= self.deadline

    def view(self, during_search: bool = False) -> TurnView:
        q = self.query
        result = None
        root_eval = None
        if self.search is not None and self.search.root.expanded:
            result = self.search.result()
            root_eval = getattr(self.search, "root_eval", None)
        return TurnView(
            id=q.id,
            turn=self.turn,
            size=q.size,
            to_play=self.state.to_play,
            perspective=q.perspective,
            result=result,
            during_search=during_search,
            root_ownership=None if result is None else result.root_ownership,
            root_priors=None if root_eval is None else root_eval.priors[0],
            legal=self.state.legal_mask() if q.include_policy else None,
            include_ownership=q.include_ownership,
            include_ownership_stdev=q.include_ownership_stdev,
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
        self.evaluations = 0
        self.calls = 0

    def _planes_target(self, size: int):
        """The evaluator that takes encoded planes for ``size`` (pooled batches), or None."""
        target = evaluator_for(self.evaluator, size)
        return target if hasattr(target, "evaluate_planes") else None

    def step(self, jobs: list[TurnJob]) -> None:
        """One round: every job gathers up to ``batch_size`` leaves; the leaves of all jobs
        on one board size go to the network in one call."""
        pooled: dict[int, list[tuple[TurnJob, int]]] = {}
        for job in jobs:
            search = job.search
            before = job.root_visits
            want = int(min(self.batch_size, max(1, job.visits - before)))
            count = search.gather(want)  # the first call also evaluates the root (its own call)
            if count:
                size = job.state.size
                if self._planes_target(size) is not None:
                    pooled.setdefault(size, []).append((job, count))
                else:  # an evaluator that needs positions (playouts, test doubles): per search
                    search.finish(count, search.evaluate_leaves(count))
                    self.calls += 1
                    self.evaluations += count
            job.stalled = job.stalled + 1 if not count and job.root_visits == before else 0
            if job.stalled >= 3:  # nothing left to search (every line ends the game)
                job.done = True
        for size, group in pooled.items():
            self._evaluate(self._planes_target(size), group)

    def _evaluate(self, target, group: list[tuple[TurnJob, int]]) -> None:
        planes = np.concatenate([job.search.planes[:count] for job, count in group])
        legal = np.concatenate([job.search.legal[:count] for job, count in group])
        ev = target.evaluate_planes(planes, legal)
        self.calls += 1
        self.evaluations += len(planes)
        at = 0
        for job, count in group:
            rows = slice(at, at + count)
            at += count
            job.search.finish(
                count,
                Evaluation(
                    ev.priors[rows],
                    ev.values[rows],
                    None if ev.ownership is None else ev.ownership[rows],
                    None if ev.scores is None else ev.scores[rows],
                ),
            )

    # -- what a final response adds --------------------------------------------

    def complete(self, job: TurnJob) -> TurnView:
        """The final view of a job: ownership for an evaluator without an ownership head,
        per-move ownership where the search has none, pv visits when asked."""
        view = job.view()
        q = job.query
        if view.result is None:
            return view
        wants_ownership = q.include_ownership or q.include_moves_ownership
        if view.root_ownership is None and view.result.ownership is None and wants_ownership:
            own_black = playout_ownership(job.state, OWNERSHIP_PLAYOUTS, self.seed)
            view.root_ownership = own_black if job.state.to_play == BLACK else -own_black
        visited = [c for c in view.result.children if c.visits > 0]
        if q.include_moves_ownership and visited:
            view.moves_ownership = {c.action: c.ownership for c in visited if c.ownership is not None}
            missing = [c.action for c in visited if c.ownership is None]
            if missing:
                view.moves_ownership.update(self._moves_ownership(job, missing))
        if q.include_pv_visits:
            view.pv_visits = {c.action: pv_visits(job.search, c.pv or [c.action]) for c in visited}
        return view

    def _moves_ownership(self, job: TurnJob, actions: list[int]) -> dict[int, np.ndarray]:
        """Ownership after each move, for the root's side to move, where the search kept
        none: one network call for all (random playouts without an ownership head)."""
        states = []
        for action in actions:
            child = job.state.copy()
            child.play(action)
            states.append(child)
        ev = self.evaluator.evaluate(states, [s.legal_mask() for s in states])
        self.calls += 1
        if ev.ownership is not None:  # the child's side to move is the opponent: negate
            return {a: -np.asarray(ev.ownership[i], np.float64) for i, a in enumerate(actions)}
        out = {}
        for action, child in zip(actions, states):
            own_black = playout_ownership(child, OWNERSHIP_PLAYOUTS, self.seed)
            out[action] = own_black if job.state.to_play == BLACK else -own_black
        return out
