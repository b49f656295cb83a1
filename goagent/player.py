"""The player: turns a search into a ``Decision`` for each move.

``Player.decide(state)`` runs (or continues, with tree reuse) a ``Search`` for
the position, under a visit budget or a time budget from ``TimeControl``, and
picks the move: by visits (or by lower confidence bound), or sampled with a
temperature early in the game for variety.  It resigns when the root value
has stayed below ``resign_threshold`` for ``resign_consecutive`` of its moves,
never before ``resign_after_fraction`` of the board's points have been
played, and never as White early in a handicap game.

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
from dataclasses import dataclass, field

import numpy as np

from goagent.coords import BLACK, WHITE
from goagent.game import GameState
from goagent.mcts import Evaluator, MoveRule, Search, SearchConfig, SearchResult
from goagent.winrate import winrate


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
    search: SearchConfig = field(default_factory=SearchConfig)


@dataclass
class Decision:
    action: int
    resign: bool
    value: float  # root value for the side to move, [-1, 1]
    search: SearchResult

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
        self.low_values = 0
        self.last_value: float | None = None
        self.time_control = TimeControl()

    def new_game(self) -> None:
        self.search = None
        self.low_values = 0
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

    def decide(
        self,
        state: GameState,
        callback: Callable[[Search], bool] | None = None,
        rules: tuple[MoveRule, ...] = (),
    ) -> Decision:
        """Search the position and choose a move (or resignation) for ``state.to_play``.

        ``callback`` is passed to ``Search.run`` (progress output, early stop);
        ``rules`` restrict the moves searched and so the move chosen."""
        cfg = self.config
        seconds = cfg.seconds
        visits = cfg.visits
        if self.time_control.active:
            seconds = self.time_control.budget(state, self.last_value)
            visits = None
        if visits is None and seconds is None:
            visits = 400
        search = self._search_for(state, rules)
        sampling = cfg.temperature > 0 and state.move_number < cfg.temperature_moves
        early = (
            cfg.early_stop and not sampling and cfg.select_by == "visits"
        )  # the stop keeps the most visited
        result = search.run(visits=visits, seconds=seconds, callback=callback, early_stop=early)
        action = self._choose(state, search, result)
        value = result.value
        self.last_value = value
        return Decision(action, self._should_resign(state, value), value, result)

    def _choose(self, state: GameState, search: Search, result: SearchResult) -> int:
        cfg = self.config
        if not result.children:
            return state.size * state.size  # no legal move but pass
        if cfg.temperature > 0 and state.move_number < cfg.temperature_moves:
            dist = search.visit_distribution().astype(np.float64) ** (1.0 / cfg.temperature)
            if dist.sum() > 0:
                return int(self.rng.choice(len(dist), p=dist / dist.sum()))
        if cfg.select_by == "lcb":
            most = result.children[0].visits
            eligible = [c for c in result.children if c.visits >= 0.1 * most]
            return max(eligible, key=lambda c: c.lcb).action
        return result.best.action

    def _should_resign(self, state: GameState, value: float) -> bool:
        cfg = self.config
        if value < cfg.resign_threshold:
            self.low_values += 1
        else:
            self.low_values = 0
        n2 = state.size * state.size
        if state.move_number < cfg.resign_after_fraction * n2:
            return False
        if state.handicap and state.to_play == WHITE and state.move_number < n2 // 2:
            return False  # White starts behind in handicap games: that is not lost
        return cfg.resign_threshold > -1 and self.low_values >= cfg.resign_consecutive
