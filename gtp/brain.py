"""The thinking side of the GTP engine: model loading, search limits, clocks.

``Brain`` owns the evaluator (a network, or random playouts), the
``goagent.player.Player`` that searches with it, and the GTP time settings.
Loading is lazy and may run on a background thread (``load``): importing
torch, reading the checkpoint and warming the Numba and torch kernels take
seconds, and a GUI's handshake must be answered at once.  ``ready`` waits for
it (or loads right there) and raises ``GtpError`` if the model cannot load.

Search limits come from ``gtp.options.EngineOptions``; active GTP time
settings replace them with the player's time budget.  Analysis searches
until stopped; once the tree fills ``--memory-budget`` it stops growing but
keeps refining what it has.
Under Tromp-Taylor rules ``genmove`` never passes in the first half of a game
while it has another legal move (``PlayerConfig.no_pass_before``); under other
rules the search counts a finished game as ``final_score`` does, and the
player's pass guard applies (``goagent.player``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

import numpy as np

from goagent import dead_stones
from goagent.coords import BLACK
from goagent.game import GameState
from goagent.mcts import (
    Evaluation,
    MoveRule,
    PlayoutEvaluator,
    Search,
    SearchConfig,
    SearchResult,
    dead_stone_ownership,
)
from goagent.player import NO_FLAGS, Decision, MoveFlags, Player, PlayerConfig, TimeControl
from goagent.scoring import playout_ownership
from gtp.options import EngineOptions
from gtp.protocol import GtpError

log = logging.getLogger(__name__)
__all__ = ["Brain", "EngineOptions"]

OWNERSHIP_PLAYOUTS = 128
# Under Tromp-Taylor rules, no pass before half the board's points are played, while
# another move is legal: a pass there (e.g. answering a GUI user's pass to win on the
# Tromp-Taylor count of an unfinished board) is never what the user wants.
NO_PASS_BEFORE = 0.5


def _limits(options: EngineOptions) -> dict:
    visits, seconds = options.limits()
    return {"visits": visits, "seconds": seconds}


def player_config(options: EngineOptions) -> PlayerConfig:
    budget = {} if options.memory_budget is None else {"memory_budget": options.memory_budget}
    search = SearchConfig(**budget)
    rules = {"resign_threshold": options.resign_value, "no_pass_before": NO_PASS_BEFORE}
    return PlayerConfig(search=search, **rules, **_limits(options))


class Brain:
    """Evaluator + player + clocks, loaded once, used from the engine's thread."""

    def __init__(self, options: EngineOptions):
        self.options = options
        self.time_control = TimeControl()
        self.evaluator = None
        self.player: Player | None = None
        self._error: str | None = None
        self._lock = threading.Lock()
        self._loaded = threading.Event()  # set once loading has succeeded or failed

    # -- loading ---------------------------------------------------------------

    def load(self) -> None:
        """Load and warm up the evaluator (once; safe to call from any thread)."""
        with self._lock:
            if self.player is not None or self._error is not None:
                return
            try:
                evaluator = self._make_evaluator()
                _warm_up(evaluator)
                self.player = Player(evaluator, player_config(self.options), seed=self.options.seed)
                self.player.time_control = self.time_control
                self.evaluator = evaluator
                log.info("model ready: %s", getattr(evaluator, "name", type(evaluator).__name__))
            except Exception as err:  # reported on every command that needs the model
                log.exception("cannot load model %r", self.options.model)
                self._error = f"cannot load model {self.options.model!r}: {err}"
            finally:
                self._loaded.set()

    def wait_loaded(self, timeout: float | None) -> bool:
        """Wait up to ``timeout`` seconds for loading (started elsewhere) to end; True if it has."""
        if self.player is not None or self._error is not None:
            return True  # loaded (or given an evaluator directly, as tests do)
        return self._loaded.wait(timeout)

    def _make_evaluator(self):
        opts = self.options
        if opts.model == "playouts":
            return PlayoutEvaluator(opts.playouts, opts.seed)
        import torch  # a network may be used: only now pay for torch

        from goagent.inference import load_evaluator

        if opts.threads:
            torch.set_num_threads(opts.threads)
        return load_evaluator(
            opts.model, seed=opts.seed, playouts=opts.playouts, precision=opts.precision, device=opts.device
        )

    def ready(self) -> Player:
        """The player, loading the model first if needed; GtpError if it cannot load."""
        self.load()
        if self.player is None:
            raise GtpError(" ".join((self._error or "model not loaded").split()))
        return self.player

    # -- games and clocks ------------------------------------------------------

    def new_game(self) -> None:
        if self.player is not None:
            self.player.new_game()

    def set_options(self, options: EngineOptions) -> None:
        """New limits (``kata-set-param``): the player searches with them from the next move."""
        self.options = options
        if self.player is not None:
            self.player.config = replace(self.player.config, **_limits(options))

    def clear_cache(self) -> None:
        """Forget the search tree and its evaluation cache (GTP ``clear_cache``)."""
        if self.player is not None:
            self.player.search = None

    def set_time_control(self, control: TimeControl) -> None:
        self.time_control = control
        if self.player is not None:
            self.player.time_control = control

    # -- thinking --------------------------------------------------------------

    def genmove(self, state: GameState, callback=None, rules=(), flags: MoveFlags = NO_FLAGS) -> Decision:
        """A decision for ``state.to_play``; ``callback(search)`` runs before each batch;
        ``rules`` (GTP avoid/allow) restrict the moves searched; ``flags`` say whether
        this move may pass or resign (``kgs-genmove_cleanup``)."""
        return self.ready().decide(state, callback, move_rules(rules), flags)

    def analyze(self, state: GameState, callback, rules=()) -> SearchResult:
        """Search ``state`` until ``callback(search)`` returns True (the tree is kept from
        earlier searches of the position and bounded by the memory budget); ``rules``
        (GTP avoid/allow) restrict the moves searched."""
        return self.ready().analyze(state, callback=callback, rules=move_rules(rules))

    def evaluate(self, state: GameState) -> Evaluation:
        """The evaluator's raw output for one position (policy, value, ownership)."""
        self.ready()
        return self.evaluator.evaluate([state], [state.legal_mask()])

    def dead_stone_ownership(self, state: GameState) -> np.ndarray | None:
        """The network's ownership (Black positive) for judging dead stones, if the
        network learned them (``goagent.mcts.dead_stone_ownership``); None if it did not
        or the model cannot load (the count then judges by playouts alone)."""
        try:
            self.ready()
        except GtpError:
            return None
        return dead_stone_ownership(self.evaluator, state)

    def ownership_black(self, state: GameState) -> tuple[np.ndarray, str]:
        """``(float[n*n] ownership with Black positive, source)``: the network's if it
        predicts ownership, else random playouts'."""
        evaluation = self.evaluate(state)
        if evaluation.ownership is not None:
            own = np.asarray(evaluation.ownership[0], np.float64)
            return (own if state.to_play == BLACK else -own), "network"
        return playout_ownership(state, OWNERSHIP_PLAYOUTS, self.options.seed), "random playouts"


def move_rules(rules) -> tuple[MoveRule, ...]:
    """``gtp.analysis.AnalyzeRequest.rules`` tuples as search rules."""
    return tuple(MoveRule(color, actions, until, allow) for allow, color, actions, until in rules)


def _warm_up(evaluator) -> None:
    """Compile (or load from Numba's cache) the search and playout kernels, and run
    the networks once, so the first real move is not slow (``default`` has its own
    network for 9x9 and another for the sizes GUIs start with, 19x19)."""
    for size in (9, 19):
        Search(GameState(size), evaluator, SearchConfig(batch_size=4)).run(visits=8)
    playout_ownership(GameState(9), 1)
    dead_stones.warm()  # final_score, final_status_list and kgs-genmove_cleanup judge with it
