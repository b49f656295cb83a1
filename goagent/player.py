"""The player: turns a search into a ``Decision`` for each move.

``Player.decide(state)`` runs (or continues, with tree reuse) a ``Search`` for
the position, under a visit budget or a time budget from ``TimeControl``, and
picks the move: by visits (or by lower confidence bound), or sampled with a
temperature early in the game for variety.  It resigns when the root value
has stayed below ``resign_threshold`` for ``resign_consecutive`` of that
colour's moves, never before ``resign_after_fraction`` of the board's points
have been played, and never as White early in a handicap game.

Every caller that plays moves goes through it: GTP, ``goagent play``,
matches, gates and self-play.  What differs between them are settings, not
code.  Self-play's exploration is ``PlayerConfig``: root noise
(``search.noise_fraction``), the temperature schedule, and playout cap
randomization (``fast_visits`` / ``full_search_fraction``, KataGo).  Move
policies of one call go in as ``MoveFlags`` (Leela Zero's ``passflag``):
no pass while another move is legal (``kgs-genmove_cleanup`` with dead stones
left), no resignation (cleanup, self-play games played out to measure false
resignations).  A ``Decision`` is final: nobody patches it afterwards.

When to pass follows the rules.  Under Tromp-Taylor a finished game counts
the board as it stands, so the player never passes in the first
``no_pass_before`` of a game (GTP: half), where such a count means nothing.
Under other rules the search counts a finished game as ``final_score`` does
(dead stones off, territory or area), so it passes once passing loses nothing,
and passes back when the opponent has passed.  One guard stays, on the first
pass (which does not end the game): it does not pass while one of its own
groups is unsettled (``goagent.dead_stones``: its lean below ``SETTLED``, a
fate a move can still change) and playing on costs at most
``PASS_GUARD_MARGIN`` of value.

Self-play steps many players' searches in one network batch, so a move can
also be made in three steps: ``start_move`` (the search, its noise and visit
target), stepping ``player.search`` elsewhere (``goagent.search.step_many``)
until ``move_visits``, and ``finish_move``.

``TimeControl`` follows GTP: absolute main time, then byo-yomi (Japanese
periods, or Canadian: so many stones in so much time).  It spends more in
the middle game and less when the result is clear, and keeps a lag buffer
(``lag_buffer`` seconds, as Leela Zero's and KataGo's) for transmission and
scheduling.  With ``PlayerConfig.early_stop`` the search of a move stops as
soon as the most visited move can no longer be overtaken in the visits or
time left (``Search.run(early_stop=True)``), except while sampling moves by
temperature (the visit distribution itself is played) or selecting by LCB.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from goagent.coords import BLACK, WHITE
from goagent.game import GameState
from goagent.mcts import Evaluator, MoveRule, Search, SearchConfig, SearchResult
from goagent.rules import TROMP_TAYLOR
from goagent.winrate import winrate

# The pass guard (rules other than Tromp-Taylor): a group is settled when its owner's
# mean playout ownership is at least this far from zero; playing on instead of passing
# while one of the player's own groups is not, if it costs at most the margin in value.
SETTLED = 0.6
PASS_GUARD_MARGIN = 0.1


@dataclass(frozen=True)
class PlayerConfig:
    visits: int | None = 400  # per move; None = time only
    seconds: float | None = None  # per move when there is no time control
    resign_threshold: float = -0.9  # root value for the side to move
    resign_consecutive: int = 3
    resign_after_fraction: float = 0.25  # of n*n moves played before resigning is allowed
    temperature: float = 0.0  # 0: the most visited move
    temperature_moves: int = 0  # sample with `temperature` for this many opening moves
    select_by: str = "visits"  # or "lcb"
    early_stop: bool = True  # stop a move's search once the best move cannot be overtaken
    # Under Tromp-Taylor rules, of n*n moves played: no pass before, while another move is legal.
    no_pass_before: float = 0.0
    # Playout cap randomization: a move gets the full ``visits`` (with the search's root
    # noise) with probability ``full_search_fraction``, else ``fast_visits`` without noise.
    fast_visits: int | None = None
    full_search_fraction: float = 1.0
    search: SearchConfig = field(default_factory=SearchConfig)


@dataclass(frozen=True)
class MoveFlags:
    """Policies for one move, passed into the decision (Leela Zero's ``passflag``)."""

    no_pass: bool = False  # pass only when no other move is legal
    no_resign: bool = False  # play on even when the resign rule says resign


NO_FLAGS = MoveFlags()


@dataclass(frozen=True)
class Decision:
    action: int
    resign: bool
    value: float  # root value for the side to move, [-1, 1]
    search: SearchResult
    resign_wanted: bool = False  # the resign rule said resign (whether or not it was allowed)
    full: bool = True  # a full search (playout cap randomization), not a fast one

    @property
    def winrate(self) -> float:
        """Probability of winning for the side to move, in [0, 1]."""
        return winrate(self.value)


class TimeControl:
    """GTP time settings and the clock of both players; ``budget`` gives seconds for a move."""

    def __init__(
        self,
        main_time: float = 0.0,
        byo_yomi_time: float = 0.0,
        byo_yomi_stones: int = 0,
        periods: int = 0,
        lag_buffer: float = 0.2,
    ):
        self.main_time = main_time
        self.byo_yomi_time = byo_yomi_time
        self.byo_yomi_stones = byo_yomi_stones  # Canadian: stones per period (0: none)
        self.periods = periods  # Japanese byo-yomi periods (0: Canadian or none)
        self.lag_buffer = lag_buffer  # seconds kept back from every move for transmission and scheduling
        self.left = {BLACK: (main_time, 0), WHITE: (main_time, 0)}  # (seconds, stones or periods left)

    @property
    def unlimited(self) -> bool:
        """GTP: byo-yomi time > 0 with 0 stones means no time limit."""
        return (
            self.main_time == 0 and self.byo_yomi_time > 0 and self.byo_yomi_stones == 0 and not self.periods
        )

    @property
    def active(self) -> bool:
        return not self.unlimited and (self.main_time > 0 or self.byo_yomi_time > 0)

    def set_left(self, color: int, seconds: float, stones: int) -> None:
        """GTP time_left: seconds left and stones (Canadian) or periods (Japanese); 0 stones = main time."""
        self.left[color] = (seconds, stones)

    def budget(self, state: GameState, last_value: float | None = None) -> float:
        """Seconds to think about the next move of ``state.to_play``."""
        seconds, stones = self.left[state.to_play]
        margin = 0.9  # keep a tenth back for transmission and scheduling
        n = state.size
        if stones > 0 and self.periods == 0:  # Canadian byo-yomi in progress
            return max(0.05, seconds / stones * margin - self.lag_buffer)
        if stones > 0 or (seconds <= 0 and self.periods):  # Japanese periods: each move may use one period
            return max(0.05, self.byo_yomi_time * margin - self.lag_buffer)
        expected_plies = 0.7 * n * n + 10
        own_moves_left = max(8.0, (expected_plies - state.move_number) / 2)
        spend = seconds / own_moves_left
        progress = min(1.0, state.move_number / expected_plies)
        spend *= 0.7 + 0.8 * math.sin(math.pi * progress)  # more in the middle game
        if last_value is not None and abs(last_value) > 0.85:
            spend *= 0.5  # the game is decided: do not burn the clock
        if self.byo_yomi_time > 0:
            per_move = (
                self.byo_yomi_time / max(1, self.byo_yomi_stones)
                if self.byo_yomi_stones
                else self.byo_yomi_time
            )
            spend += per_move * 0.5
        spend = min(spend, seconds * 0.5 if seconds > 0 else spend) * margin
        return max(0.05, min(spend, seconds - self.lag_buffer) if seconds > 0 else spend)


class Player:
    """A search-driven player with resignation and time management."""

    def __init__(self, evaluator: Evaluator, config: PlayerConfig = PlayerConfig(), seed: int = 0):
        self.evaluator = evaluator
        self.config = config
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.search: Search | None = None
        self.low_values = {BLACK: 0, WHITE: 0}  # resign streak per colour
        self.last_value: float | None = None
        self.time_control = TimeControl()
        self.move_visits: int | None = None  # the visit target of the move being searched
        self.full = True  # whether that move gets a full search

    def new_game(self) -> None:
        self.search = None
        self.low_values = {BLACK: 0, WHITE: 0}
        self.last_value = None

    def _search_for(self, state: GameState, rules: tuple[MoveRule, ...] = ()) -> Search:
        if self.search is None:
            self.search = Search(state, self.evaluator, self.config.search, seed=self.seed)
        else:
            self.search.advance(state)
        self.search.restrict(rules)
        return self.search

    def analyze(
        self,
        state: GameState,
        visits: int | None = None,
        seconds: float | None = None,
        callback: Callable[[Search], bool] | None = None,
        rules: tuple[MoveRule, ...] = (),
    ) -> SearchResult:
        """Search ``state`` without choosing a move (hints and analysis).

        ``callback`` is passed to ``Search.run`` (progress output, early stop);
        ``rules`` restrict the moves searched (GTP avoid/allow)."""
        return self._search_for(state, rules).run(visits=visits, seconds=seconds, callback=callback)

    def start_move(self, state: GameState, rules: tuple[MoveRule, ...] = ()) -> Search:
        """Set up the search of ``state``'s next move: tree reuse, the full-or-fast draw
        (playout cap randomization) and root noise for a full search; ``move_visits`` is
        its visit target (None: time only)."""
        cfg = self.config
        self.full = cfg.fast_visits is None or bool(self.rng.random() < cfg.full_search_fraction)
        search = self._search_for(state, rules)
        search.config = cfg.search if self.full else replace(cfg.search, noise_fraction=0.0)
        search.noise_root()  # a reused root is already expanded: noise it now (once)
        self.move_visits = cfg.visits if self.full else cfg.fast_visits
        return search

    def decide(
        self,
        state: GameState,
        callback: Callable[[Search], bool] | None = None,
        rules: tuple[MoveRule, ...] = (),
        flags: MoveFlags = NO_FLAGS,
    ) -> Decision:
        """Search the position and choose a move (or resignation) for ``state.to_play``.

        ``callback`` is passed to ``Search.run`` (progress output, early stop);
        ``rules`` restrict the moves searched and so the move chosen; ``flags`` say
        whether this move may pass or resign."""
        cfg = self.config
        search = self.start_move(state, rules)
        seconds, visits = cfg.seconds, self.move_visits
        if self.time_control.active:
            seconds = self.time_control.budget(state, self.last_value)
            visits = None
        if visits is None and seconds is None:
            visits = 400
        # The early stop keeps the most visited move: not when sampling, selecting by
        # LCB, or when that move may be a pass that the flags rule out.
        by_visits = cfg.select_by == "visits" and not self._no_pass(state, flags)
        early = cfg.early_stop and not self._sampling(state) and by_visits
        search.run(visits=visits, seconds=seconds, callback=callback, early_stop=early)
        return self.finish_move(state, flags)

    def finish_move(self, state: GameState, flags: MoveFlags = NO_FLAGS) -> Decision:
        """The decision once ``self.search`` has searched ``state`` (after ``start_move``)."""
        result = self.search.result()
        no_pass = self._no_pass(state, flags)
        action = self._choose(state, self.search, result, no_pass)
        if action == state.size * state.size and not no_pass:
            action = self._pass_guard(state, result, action)
        self.last_value = result.value
        wanted = self._resign_rule(state, result.value)
        resign = wanted and not flags.no_resign
        return Decision(action, resign, result.value, result, resign_wanted=wanted, full=self.full)

    def _sampling(self, state: GameState) -> bool:
        """Whether this move is sampled from the visits by temperature."""
        return self.config.temperature > 0 and state.move_number < self.config.temperature_moves

    def _no_pass(self, state: GameState, flags: MoveFlags) -> bool:
        if flags.no_pass:
            return True
        if state.rules != TROMP_TAYLOR:
            return False  # the search counts a finished game as final_score does
        return state.move_number < self.config.no_pass_before * state.size * state.size

    def _pass_guard(self, state: GameState, result: SearchResult, pass_action: int) -> int:
        """The move instead of a first pass while one of our own groups is unsettled
        (module docstring), or the pass.  A pass back ends the game, and the search has
        counted that end exactly as final_score will: it is never second-guessed."""
        if state.rules == TROMP_TAYLOR or state.passes:
            return pass_action
        passing = next((c for c in result.children if c.action == pass_action), None)
        others = [c for c in result.children if c.action != pass_action and c.visits > 0]
        if passing is None or not others:
            return pass_action
        best = others[0]  # the most visited move but the pass
        if passing.value - best.value > PASS_GUARD_MARGIN:
            return pass_action
        from goagent.dead_stones import judged_groups

        colors = state.board.to_array().reshape(-1)
        own = [lean for stones, lean in judged_groups(state) if colors[stones[0]] == state.to_play]
        return best.action if any(abs(lean) < SETTLED for lean in own) else pass_action

    def _choose(self, state: GameState, search: Search, result: SearchResult, no_pass: bool) -> int:
        cfg = self.config
        pass_action = state.size * state.size
        children = [c for c in result.children if not (no_pass and c.action == pass_action)]
        if not children:
            return pass_action  # no legal move but pass
        if self._sampling(state):
            dist = search.visit_distribution().astype(np.float64) ** (1.0 / cfg.temperature)
            if no_pass:
                dist[pass_action] = 0.0
            if dist.sum() > 0:
                return int(self.rng.choice(len(dist), p=dist / dist.sum()))
        if cfg.select_by == "lcb":
            most = children[0].visits
            eligible = [c for c in children if c.visits >= 0.1 * most]
            return max(eligible, key=lambda c: c.lcb).action
        return children[0].action

    def _resign_rule(self, state: GameState, value: float) -> bool:
        """Whether the resign rule says resign (this updates the side to move's streak)."""
        cfg = self.config
        color = state.to_play
        self.low_values[color] = self.low_values[color] + 1 if value < cfg.resign_threshold else 0
        n2 = state.size * state.size
        if state.move_number < cfg.resign_after_fraction * n2:
            return False
        if state.handicap and color == WHITE and state.move_number < n2 // 2:
            return False  # White starts behind in handicap games: that is not lost
        return cfg.resign_threshold > -1 and self.low_values[color] >= cfg.resign_consecutive
