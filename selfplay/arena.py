"""Matches between two players: games in parallel, SGFs, Elo with intervals, SPRT.

``run_match(a, b, settings)`` plays ``settings.games`` games between player
specs ``a`` and ``b`` (see ``selfplay.agents``); each game is played by the
one game runner, ``goagent.engine_game`` (scoring, cleanup, referee engine).
Game ``i`` is fully determined by ``(settings.seed, i)``: its opening, colors
(``a`` is Black in even games; each opening is played twice, once with each
color) and the agents' seeds, so a match is reproducible for deterministic
players whatever the parallelism.  Each checkpoint is loaded once per match
(once per worker process with ``parallel``), not once per game.

Handicap matches (``handicap`` = N stones): the colours are fixed, the
receiver (``handicap_to``, B by default: A is the stronger side, giving the
stones) plays Black in every game, no opening moves follow the stones, and
komi is 0.5 unless given.  With ``sprt`` the match stops as soon as the test
decides.  The self-play loop's gating calls ``run_match`` too.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from goagent import engine_game
from goagent.coords import BLACK, EMPTY, gtp_to_action
from goagent.engine_game import GameSetup
from goagent.fileio import atomic_write, finite
from goagent.game import GameState
from goagent.sgf import record_from_state, write_sgf
from selfplay.agents import Agents, PlayerSpec, load_network
from selfplay.ratings import match_elo, sprt_decision, sprt_llr

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchSettings:
    games: int = 20
    size: int = 9
    komi: float | None = None  # None: 7.5, or 0.5 under handicap (goagent.engine_game.handicap_komi)
    parallel: int = 1
    openings: str = "random-4"  # random-K (K opening moves sampled) or a file of openings
    max_moves: int = 0  # 0: 3 * n * n
    sgf_dir: str = ""
    sprt: tuple[float, float] | None = None  # (elo0, elo1)
    seed: int = 0
    handicap: int = 0  # stones for the receiver, who plays Black in every game
    handicap_to: str = "b"  # "b": B receives them (A gives), "a": A receives them
    free_handicap: bool = False  # the receiver places its stones (GTP place_free_handicap)
    referee: str = ""  # GTP command of the engine that counts disputed games ("": GNU Go if playing)

    def __post_init__(self):
        if self.handicap_to not in ("a", "b"):
            raise ValueError(f"handicap_to is a or b, not {self.handicap_to!r}")
        game_setup(self)  # the handicap, size and komi checks of the game runner


@dataclass
class GameResult:
    index: int
    black: str
    white: str
    winner: int  # BLACK, WHITE or EMPTY (draw)
    result: str  # SGF RE
    moves: int
    adjudicated: bool
    a_is_black: bool
    sgf: str = ""
    scored_by: str = "Tromp-Taylor"  # or "resignation", "referee: COMMAND"
    handicap: int = 0
    komi: float = 7.5

    @property
    def a_score(self) -> float:
        if self.winner == EMPTY:
            return 0.5
        return 1.0 if (self.winner == BLACK) == self.a_is_black else 0.0


@dataclass
class MatchResult:
    a: str
    b: str
    games: list[GameResult] = field(default_factory=list)
    sprt: dict | None = None
    handicap: int = 0
    handicap_to: str = "b"

    def counts(self) -> tuple[int, int, int]:
        wins = sum(g.a_score == 1.0 for g in self.games)
        draws = sum(g.a_score == 0.5 for g in self.games)
        return wins, draws, len(self.games) - wins - draws

    def summary(self) -> dict:
        wins, draws, losses = self.counts()
        elo = match_elo(wins, draws, losses)
        by_color = {}
        for label, is_black in (("a_black", True), ("a_white", False)):
            games = [g for g in self.games if g.a_is_black == is_black]
            by_color[label] = {
                "wins": sum(g.a_score == 1.0 for g in games),
                "draws": sum(g.a_score == 0.5 for g in games),
                "losses": sum(g.a_score == 0.0 for g in games),
            }
        return finite(
            {
                "a": self.a,
                "b": self.b,
                "games": len(self.games),
                "wins": wins,
                "draws": draws,
                "losses": losses,
                "by_color": by_color,
                "score": elo.score,
                "elo": elo.elo,
                "elo_low": elo.low,
                "elo_high": elo.high,
                "sprt": self.sprt,
                "handicap": self.handicap,
                "handicap_to": self.handicap_to,
                "results": [asdict(g) for g in sorted(self.games, key=lambda g: g.index)],
            }
        )


# --- openings --------------------------------------------------------------------


def load_openings(path: str, size: int) -> list[list[int]]:
    """Openings from a text file (one line of GTP moves each) or an SGF file/folder."""
    if path.lower().endswith((".sgf", ".tar.gz", ".tgz", ".zip")) or os.path.isdir(path):
        from goagent.sgf import read_records

        return [[m.action for m in r.moves] for r in read_records([path], []) if r.size == size]
    openings = []
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            words = line.split("#")[0].split()
            if words:
                try:
                    openings.append([gtp_to_action(w, size) for w in words])
                except ValueError as err:
                    raise ValueError(f"{path}:{number}: {err}") from None
    if not openings:
        raise ValueError(f"{path}: no openings found")
    return openings


@functools.lru_cache(maxsize=1)
def _opening_evaluator():
    from goagent.inference import load_evaluator

    return load_evaluator("default", symmetries="none", playouts=1)


def random_opening(size: int, moves: int, seed: int) -> list[int]:
    """``moves`` opening moves sampled from the shipped network's policy (uniform
    over legal moves when no network is installed: the playout evaluator's priors)."""
    rng = np.random.default_rng(seed)
    evaluator = _opening_evaluator()
    state = GameState(size)
    opening = []
    for _ in range(moves):
        legal = state.legal_mask()
        legal[-1] = False  # no passing in the opening
        if not legal.any():
            break
        priors = evaluator.evaluate([state], [legal]).priors[0].astype(np.float64)
        priors = np.where(legal, priors, 0.0)
        priors /= priors.sum()
        action = int(rng.choice(len(priors), p=priors))
        state.play(action)
        opening.append(action)
    return opening


def opening_for(settings: MatchSettings, pair: int, file_openings: list[list[int]] | None) -> list[int]:
    if file_openings is not None:
        return file_openings[pair % len(file_openings)]
    kind, _, count = settings.openings.partition("-")
    if kind != "random" or not count.isdigit():
        raise ValueError(f"--openings must be random-K or a file, not {settings.openings!r}")
    return random_opening(settings.size, int(count), settings.seed * 1_000_003 + pair)


def _jobs(a: PlayerSpec, b: PlayerSpec, settings: MatchSettings, file_openings):
    """``(index, a, b, settings, opening)`` per game; both games of a pair share one opening,
    sampled once."""
    opening: list[int] = []
    for i in range(settings.games):
        if i % 2 == 0 and not settings.handicap:  # no opening moves after handicap stones
            opening = opening_for(settings, i // 2, file_openings)
        yield i, a, b, settings, opening


# --- one game ---------------------------------------------------------------------


def game_setup(settings: MatchSettings) -> GameSetup:
    return GameSetup(
        size=settings.size,
        komi=settings.komi,
        handicap=settings.handicap,
        free_handicap=settings.free_handicap,
        max_moves=settings.max_moves,
        referee=settings.referee,
    )


def a_is_black(settings: MatchSettings, index: int) -> bool:
    """Colours: alternating in even games; under handicap the receiver is always Black."""
    if settings.handicap:
        return settings.handicap_to == "a"
    return index % 2 == 0


def play_game(
    index: int,
    a: PlayerSpec,
    b: PlayerSpec,
    settings: MatchSettings,
    opening: list[int],
    agents: Agents | None = None,
) -> GameResult:
    agents = agents or Agents()
    a_black = a_is_black(settings, index)
    black_spec, white_spec = (a, b) if a_black else (b, a)
    seed = settings.seed * 1_000_003 + index
    black = agents.make(black_spec)
    try:
        white = agents.make(white_spec)
    except BaseException:
        black.close()
        raise
    try:
        outcome = engine_game.play_game(black, white, game_setup(settings), opening, (seed, seed + 1))
    finally:
        black.close()
        white.close()
    state = outcome.state
    result = GameResult(
        index,
        black_spec.name,
        white_spec.name,
        outcome.winner,
        outcome.result,
        state.move_number,
        outcome.adjudicated,
        a_black,
        scored_by=outcome.scored_by,
        handicap=state.handicap,
        komi=state.komi,
    )
    if settings.sgf_dir:
        result.sgf = _save_sgf(state, result, settings)
    return result


def _save_sgf(state: GameState, result: GameResult, settings: MatchSettings) -> str:
    os.makedirs(settings.sgf_dir, exist_ok=True)
    record = record_from_state(
        state, black_player=result.black, white_player=result.white, result=result.result
    )
    record.properties["GN"] = f"match game {result.index}"
    handicap = f", {state.handicap} handicap stones" if state.handicap else ""
    record.comments[0] = (
        f"goagent match, game {result.index}, seed {settings.seed}, komi {state.komi:g}{handicap}, "
        f"area scoring ({result.scored_by})"
        f"{', adjudicated at the move cap' if result.adjudicated else ''}"
    )
    path = os.path.join(settings.sgf_dir, f"game-{result.index:04d}.sgf")
    atomic_write(path, write_sgf(record))
    return path


# --- the match --------------------------------------------------------------------


_WORKER_AGENTS: Agents | None = None  # a pool worker's agents: its evaluators live for the match


def _worker_init(threads: int, loader) -> None:
    global _WORKER_AGENTS
    _WORKER_AGENTS = Agents(loader)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass


def _play_in_worker(job) -> GameResult:
    index, a, b, settings, opening = job
    return play_game(index, a, b, settings, opening, _WORKER_AGENTS)


def run_match(
    a: PlayerSpec, b: PlayerSpec, settings: MatchSettings, progress=sys.stderr, loader=load_network
) -> MatchResult:
    """Play the match; ``loader(text)`` loads a goagent player's evaluator (once per
    checkpoint and process; with ``parallel`` it must be a module-level function)."""
    a.validate()
    b.validate()
    file_openings = None
    if not settings.openings.startswith("random-") and not settings.handicap:
        file_openings = load_openings(settings.openings, settings.size)
    jobs = _jobs(a, b, settings, file_openings)
    match = MatchResult(a.name, b.name, handicap=settings.handicap, handicap_to=settings.handicap_to)
    start = time.time()
    threads = max(1, (os.cpu_count() or 1) // max(1, settings.parallel))
    if settings.parallel > 1:
        context = multiprocessing.get_context("spawn")
        pool = context.Pool(settings.parallel, initializer=_worker_init, initargs=(threads, loader))
        results = pool.imap_unordered(_play_in_worker, jobs)
    else:
        pool = None
        agents = Agents(loader)
        results = (play_game(*job, agents) for job in jobs)
    try:
        for game in results:
            match.games.append(game)
            wins, draws, losses = match.counts()
            elo = match_elo(wins, draws, losses)
            line = f"\rgames {len(match.games)}/{settings.games}  W-L-D {wins}-{losses}-{draws}  {elo}"
            if settings.sprt:
                llr = sprt_llr(wins, draws, losses, *settings.sprt)
                decision = sprt_decision(llr)
                match.sprt = {
                    "elo0": settings.sprt[0],
                    "elo1": settings.sprt[1],
                    "llr": llr,
                    "decision": decision,
                }
                line += f"  LLR {llr:+.2f}"
                if decision:
                    break
            if progress is not None:
                print(line + f"  ({time.time() - start:.0f}s)", end="", file=progress, flush=True)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        if progress is not None:
            print(file=progress)
    return match
