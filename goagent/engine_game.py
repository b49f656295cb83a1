"""One game between two engines: the game runner of matches, gates and ``gtp.referee``.

``play_game(black, white, setup)`` plays one game between two *agents* and
returns a ``GameOutcome``.  An agent is goagent's own search
(``LocalAgent``, around ``goagent.player.Player``) or any GTP engine
(``GtpAgent``, over ``goagent.gtp_client``); both offer the same calls:
``new_game(state, seed)``, ``place_free_handicap(size, count)``,
``observe(state, color, action)``, ``genmove(state, cleanup)`` (an action, or
None to resign), ``final_score()`` (a GTP engine's own count, else None) and
``close()``.

The game, in order:

1. komi: ``setup.komi``, or ``handicap_komi(setup)`` when none is given (7.5
   in even games, 0.5 under handicap, as GNU Go and KGS play them).  Rules
   are ``setup.rules`` (Tromp-Taylor by default); a ruleset's handicap
   compensation (``Ruleset.white_handicap_bonus``) reaches the score through
   ``GameState.effective_komi`` and GTP engines are told that komi, so
   compensation has this one place.
2. handicap stones for Black: the fixed GTP points (``fixed_handicap``), or
   with ``free_handicap`` wherever Black's agent puts them (a GTP engine's
   ``place_free_handicap``, goagent's ``goagent.handicap.free_placement``);
   every other engine is told them with ``set_free_handicap``.  White moves
   next.
3. the opening moves given (matches use none after handicap stones), then
   ``genmove`` in turn until a resignation, two passes or the move cap.
4. scoring, by area: Tromp-Taylor (every stone alive) when every GTP
   engine's ``final_score`` names the same winner.  If one disagrees, the
   game goes on in a cleanup phase (``kgs-genmove_cleanup`` where offered,
   no resigning) until two more passes, so dead stones are captured.  If
   they still disagree, or at the move cap, the *referee* decides: an
   engine (GNU Go with ``--chinese-rules``, i.e. area scoring, by default
   whenever one side is GNU Go; or ``setup.referee``) is shown the game and
   its ``final_score`` is the result.  Without a referee, Tromp-Taylor.
   The referee sees the handicap stones as Black moves (White passing), so
   it adds no handicap compensation of its own (GNU Go's Chinese rules
   would give White N points) and counts komi as the game's rules set it.

Engines' moves are checked against the game's rules; a GTP engine's move
that only breaks positional superko is accepted (engines such as GNU Go
play simple ko), anything else illegal ends the game with ``GameError``.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from goagent.coords import BLACK, EMPTY, WHITE, action_to_gtp, color_name, gtp_to_action, opponent
from goagent.game import GameState, IllegalMoveError, fixed_handicap
from goagent.gtp_client import GtpFailure, GtpProcess
from goagent.rules import TROMP_TAYLOR, Ruleset

log = logging.getLogger(__name__)

EVEN_KOMI = 7.5
HANDICAP_KOMI = 0.5
GNUGO_REFEREE_FLAGS = ("--mode", "gtp", "--chinese-rules")  # area scoring, as our games are scored


class GameError(RuntimeError):
    """An engine failed (died, answered ``?``, timed out) or played an illegal move."""


@dataclass(frozen=True)
class GameSetup:
    size: int = 9
    komi: float | None = None  # None: handicap_komi(self)
    handicap: int = 0  # stones for Black (0: an even game; 1 is refused: use komi 0.5 instead)
    free_handicap: bool = False  # Black's agent chooses where its stones go
    rules: Ruleset = TROMP_TAYLOR
    max_moves: int = 0  # 0: 3 * n * n; then the game is adjudicated
    referee: str = ""  # GTP command line of a referee engine; "": GNU Go when one side is GNU Go
    timeout: float = 600.0  # seconds a GTP engine may take for one move

    def __post_init__(self):
        if self.handicap == 1 or self.handicap < 0:
            raise ValueError("a handicap is 2 stones or more (one stone: play even with komi 0.5)")
        if self.handicap and not self.free_handicap:
            fixed_handicap(self.size, self.handicap)  # raises with the sizes and counts defined
        if self.handicap and self.handicap >= self.size * self.size:
            raise ValueError(f"{self.handicap} stones do not fit on a {self.size}x{self.size} board")


def handicap_komi(setup: GameSetup) -> float:
    """Komi of a game: the given one, else 7.5 even and 0.5 under handicap.

    Compensation for the stones themselves (White's handicap bonus) is the
    ruleset's (``Ruleset.white_handicap_bonus``, applied by ``GameState``),
    not komi's: change the rules, not this, to compensate handicap stones."""
    if setup.komi is not None:
        return float(setup.komi)
    return HANDICAP_KOMI if setup.handicap else EVEN_KOMI


@dataclass
class GameOutcome:
    state: GameState
    end: str  # "two passes", "B resigned", "W resigned", "move limit"
    result: str  # SGF RE: "B+3.5", "W+R", "0"
    winner: int  # BLACK, WHITE or EMPTY (draw)
    adjudicated: bool  # ended by the move cap
    scored_by: str  # "resignation", "Tromp-Taylor" or "referee: NAME"
    scores: dict[str, str] = field(default_factory=dict)  # "B"/"W" -> that GTP engine's final_score


# --- agents ------------------------------------------------------------------------


class GtpAgent:
    """An external engine over GTP (one process, reused for every game it is given)."""

    def __init__(self, command: str | list[str] | GtpProcess, name: str | None = None, owns: bool = True):
        self.process = command if isinstance(command, GtpProcess) else _start(command)
        self.owns = owns and not isinstance(command, GtpProcess)
        argv = self.process.argv
        self.name = name or " ".join(argv)
        try:
            self.engine_name = self.process.ask("name")
        except GtpFailure:
            self.engine_name = ""

    @property
    def is_gnugo(self) -> bool:
        return self.engine_name.strip().lower() == "gnu go"

    def _ask(self, command: str, timeout: float = 60.0) -> str:
        try:
            return self.process.ask(command, timeout)
        except GtpFailure as err:
            raise GameError(f"{self.name}: {err}") from None

    def _setup(self, size: int, komi: float) -> None:
        self._ask(f"boardsize {size}")
        self._ask("clear_board")
        self._ask(f"komi {komi:g}")

    def new_game(self, state: GameState, seed: int = 0, stones_as_moves: bool = False) -> None:
        """Set up ``state``: size, komi, handicap stones and the moves so far.

        ``stones_as_moves`` plays the stones as Black moves with White passing between
        them, so the engine sees no handicap and adds no compensation of its own to
        its count (GNU Go's Chinese rules give White a point per stone)."""
        self._setup(state.size, state.effective_komi)
        stones = [int(a) for a in (state.initial_position().reshape(-1) == BLACK).nonzero()[0]]
        if state.handicap and stones_as_moves:
            for i, action in enumerate(stones):
                if i:
                    self._ask("play W pass")
                self._ask(f"play B {action_to_gtp(action, state.size)}")
        elif state.handicap:
            self._ask("set_free_handicap " + " ".join(action_to_gtp(a, state.size) for a in stones))
        for move in state.moves:
            self.observe(state, move.color, move.action)

    def place_free_handicap(self, size: int, count: int) -> list[int]:
        """Where the engine puts ``count`` stones (its board is cleared again afterwards)."""
        self._setup(size, HANDICAP_KOMI)
        answer = self._ask(f"place_free_handicap {count}")
        self._ask("clear_board")
        try:
            return [gtp_to_action(v, size) for v in answer.split()]
        except ValueError as err:
            raise GameError(f"{self.name}: place_free_handicap answered {answer!r}: {err}") from None

    def observe(self, state: GameState, color: int, action: int) -> None:
        self._ask(f"play {color_name(color)} {action_to_gtp(action, state.size)}")

    def genmove(self, state: GameState, cleanup: bool = False, timeout: float = 600.0) -> int | None:
        command = "genmove"
        if cleanup and "kgs-genmove_cleanup" in self.process.commands:
            command = "kgs-genmove_cleanup"
        answer = self._ask(f"{command} {color_name(state.to_play)}", timeout).lower()
        if answer == "resign":
            return None
        try:
            return gtp_to_action(answer, state.size)
        except ValueError as err:
            raise GameError(f"{self.name}: {command} answered {answer!r}: {err}") from None

    def final_score(self) -> str | None:
        """The engine's own count (e.g. ``B+3.5``), or None if it has none."""
        if "final_score" not in self.process.commands:
            return None
        try:
            return self.process.ask("final_score", 120)
        except GtpFailure:
            return None

    def close(self) -> None:
        if self.owns:
            self.process.quit()


def _start(command: str | list[str]) -> GtpProcess:
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    try:
        return GtpProcess(argv)
    except GtpFailure as err:
        raise GameError(str(err)) from None


class LocalAgent:
    """goagent's own search over an evaluator loaded once and reused for every game."""

    def __init__(self, evaluator, config, name: str = "goagent", reseed: Callable | None = None):
        self.evaluator = evaluator
        self.config = config  # a goagent.player.PlayerConfig
        self.name = name
        self.reseed = reseed  # reseed(evaluator, seed) before each game, so game i depends on i only
        self.player = None

    def new_game(self, state: GameState, seed: int = 0) -> None:
        from goagent.player import Player

        if self.reseed is not None:
            self.reseed(self.evaluator, seed)
        self.player = Player(self.evaluator, self.config, seed=seed)  # a fresh player: fresh rng, no tree

    def place_free_handicap(self, size: int, count: int) -> list[int]:
        from goagent.handicap import free_placement

        return free_placement(size, count)

    def observe(self, state: GameState, color: int, action: int) -> None:
        pass  # the search reads the game state it is given

    def genmove(self, state: GameState, cleanup: bool = False, timeout: float = 600.0) -> int | None:
        decision = self.player.decide(state)
        return None if decision.resign and not cleanup else decision.action

    def final_score(self) -> str | None:
        return None

    def close(self) -> None:
        pass


def reseed_evaluator(evaluator, seed: int) -> None:
    """Restart the random streams of a loaded evaluator (symmetries, playouts) from ``seed``,
    so a reused evaluator plays game i as a freshly loaded one would."""
    import numpy as np

    parts = [evaluator, getattr(evaluator, "general", None), *getattr(evaluator, "specialists", {}).values()]
    for part in parts:
        rng = getattr(part, "rng", None)
        if isinstance(rng, np.random.Generator):
            part.rng = np.random.default_rng(seed)
        elif isinstance(rng, np.ndarray) and rng.dtype == np.uint64:  # a playout random state
            from goagent.board import new_rng

            rng[:] = new_rng(seed)


# --- the game ----------------------------------------------------------------------


def new_state(setup: GameSetup) -> GameState:
    return GameState(setup.size, handicap_komi(setup), rules=setup.rules)


def play_game(
    black,
    white,
    setup: GameSetup,
    opening: list[int] = (),
    seeds: tuple[int, int] = (0, 1),
    log_move: Callable[[str], None] | None = None,
) -> GameOutcome:
    """Play one game, ``black`` against ``white``; raises ``GameError`` if an engine fails."""
    agents = {BLACK: black, WHITE: white}
    state = new_state(setup)
    if setup.handicap:
        if setup.free_handicap:
            stones = black.place_free_handicap(setup.size, setup.handicap)
            if len(stones) != setup.handicap:
                raise GameError(f"{black.name} placed {len(stones)} handicap stones, not {setup.handicap}")
        else:
            stones = fixed_handicap(setup.size, setup.handicap)
        try:
            state.place_handicap(stones)
        except ValueError as err:
            raise GameError(f"{black.name}: bad handicap placement: {err}") from None
    for action in opening:
        state.play(action)
    black.new_game(state, seeds[0])
    white.new_game(state, seeds[1])
    max_moves = setup.max_moves or 3 * setup.size**2
    cleanup, cleanup_from = False, 0
    scores: dict[str, str] = {}
    while state.move_number < max_moves:
        color = state.to_play
        action = agents[color].genmove(state, cleanup, setup.timeout)
        if action is None:
            state.resign(color)
            name = color_name(color).upper()[:1]
            return GameOutcome(
                state, f"{name} resigned", state.result(), state.winner(), False, "resignation"
            )
        _play(state, agents[color], action, color)
        if log_move:
            log_move(
                f"{state.move_number:3d}. {color_name(color).upper()[:1]} {action_to_gtp(action, state.size)}"
            )
        agents[opponent(color)].observe(state, color, action)
        if state.is_over and (not cleanup or state.move_number - cleanup_from >= 2):  # two passes in cleanup
            scores = _engine_scores(agents)
            if _agree(state, scores):
                return _scored(state, "two passes", False, "Tromp-Taylor", scores)
            if cleanup:
                return _refereed(state, agents, setup, "two passes", False, scores)
            cleanup, cleanup_from = True, state.move_number  # an engine counts differently: play on
            # until both have passed again, capturing what they think dead
            log.info("engines disagree on the count (%s): cleanup phase", scores)
    scores = _engine_scores(agents)
    if _agree(state, scores):
        return _scored(state, "move limit", True, "Tromp-Taylor", scores)
    return _refereed(state, agents, setup, "move limit", True, scores)


def _play(state: GameState, agent, action: int, color: int) -> None:
    try:
        state.play(action, color)
    except IllegalMoveError as err:
        if err.reason != "superko" or not isinstance(agent, GtpAgent):
            raise GameError(f"{agent.name} played an illegal move: {err}") from None
        log.info("%s repeated a position (positional superko): accepted, as it plays simple ko", agent.name)
        state.play(action, color, check_superko=False)


def _engine_scores(agents: dict) -> dict[str, str]:
    scores = {}
    for color, agent in agents.items():
        score = agent.final_score()
        if score is not None:
            scores[color_name(color).upper()[:1]] = score.strip()
    return scores


def _winner_of(score: str) -> int | None:
    """BLACK, WHITE or EMPTY from a GTP score (``B+3.5``, ``W+R``, ``0``); None if unreadable."""
    text = score.strip().upper()
    if text in ("0", "DRAW", "JIGO", "0.0"):
        return EMPTY
    return {"B": BLACK, "W": WHITE}.get(text[:1]) if text[1:2] == "+" else None


def _agree(state: GameState, scores: dict[str, str]) -> bool:
    """Does every engine's count name the winner that Tromp-Taylor names?"""
    ours = state.winner()
    return all(_winner_of(s) == ours for s in scores.values())


def _scored(state: GameState, end: str, adjudicated: bool, by: str, scores: dict) -> GameOutcome:
    return GameOutcome(state, end, state.result(), state.winner(), adjudicated, by, scores)


def referee_command(setup: GameSetup, agents: dict) -> list[str] | None:
    """The referee engine's command line: ``setup.referee``, else GNU Go when a side is GNU Go."""
    if setup.referee:
        return shlex.split(setup.referee)
    for agent in agents.values():
        if isinstance(agent, GtpAgent) and agent.is_gnugo:
            return [agent.process.argv[0], *GNUGO_REFEREE_FLAGS]
    return None


def _refereed(state: GameState, agents: dict, setup: GameSetup, end: str, adjudicated: bool, scores):
    command = referee_command(setup, agents)
    if command is None:
        return _scored(state, end, adjudicated, "Tromp-Taylor", scores)
    referee = GtpAgent(command, name="referee " + " ".join(command))
    try:
        referee.new_game(state, stones_as_moves=True)  # our rules' compensation is in the komi
        score = referee.final_score()
    finally:
        referee.close()
    winner = _winner_of(score or "")
    if winner is None:
        raise GameError(f"{referee.name}: final_score answered {score!r}")
    result = "0" if winner == EMPTY else score.strip().upper()
    log.info("engines disagree (%s); the referee counts %s", scores, result)
    return GameOutcome(state, end, result, winner, adjudicated, f"referee: {' '.join(command)}", scores)
