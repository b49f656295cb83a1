"""Matches between two players: games in parallel, SGFs, Elo with intervals, SPRT.

``run_match(a, b, settings)`` plays ``settings.games`` games between player
specs ``a`` and ``b`` (see ``selfplay.agents``).  Game ``i`` is fully
determined by ``(settings.seed, i)``: its opening, colors (``a`` is Black in
even games; each opening is played twice, once with each color) and the
agents' seeds, so a match is reproducible for deterministic players whatever
the parallelism.  Games end by resignation, two passes (then Tromp-Taylor
scoring, after GTP engines agree with it or a cleanup phase has been
played), or the move cap (adjudicated by Tromp-Taylor score).  With ``sprt``
the match stops as soon as the test decides.  The self-play loop's gating
calls ``run_match`` too.
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

from goagent.coords import BLACK, EMPTY, WHITE, gtp_to_action, opponent
from goagent.game import GameState
from goagent.sgf import record_from_state, write_sgf
from selfplay.agents import PlayerSpec, make_agent
from selfplay.ratings import match_elo, sprt_decision, sprt_llr

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchSettings:
    games: int = 20
    size: int = 9
    komi: float = 7.5
    parallel: int = 1
    openings: str = "random-4"  # random-K (K opening moves sampled) or a file of openings
    max_moves: int = 0  # 0: 3 * n * n
    sgf_dir: str = ""
    sprt: tuple[float, float] | None = None  # (elo0, elo1)
    seed: int = 0


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
        return {
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
            "results": [asdict(g) for g in sorted(self.games, key=lambda g: g.index)],
        }


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
        if i % 2 == 0:
            opening = opening_for(settings, i // 2, file_openings)
        yield i, a, b, settings, opening


# --- one game ---------------------------------------------------------------------


def play_game(
    index: int, a: PlayerSpec, b: PlayerSpec, settings: MatchSettings, opening: list[int]
) -> GameResult:
    a_is_black = index % 2 == 0
    black_spec, white_spec = (a, b) if a_is_black else (b, a)
    seed = settings.seed * 1_000_003 + index
    agents = {BLACK: make_agent(black_spec, seed), WHITE: make_agent(white_spec, seed + 1)}
    state = GameState(settings.size, settings.komi)
    try:
        for action in opening:
            state.play(action)
        for agent in agents.values():
            agent.new_game(state)
        max_moves = settings.max_moves or 3 * settings.size**2
        adjudicated = _play_out(state, agents, max_moves)
    finally:
        for agent in agents.values():
            agent.close()
    result = GameResult(
        index,
        black_spec.name,
        white_spec.name,
        state.winner(),
        state.result(),
        state.move_number,
        adjudicated,
        a_is_black,
    )
    if settings.sgf_dir:
        result.sgf = _save_sgf(state, result, settings)
    return result


def _play_out(state: GameState, agents: dict, max_moves: int) -> bool:
    """Play until resignation or the end; returns True if adjudicated by the move cap."""
    cleanup = False
    while state.move_number < max_moves:
        color = state.to_play
        action = agents[color].genmove(state, cleanup)
        if action is None:
            state.resign(color)
            return False
        state.play(action, color)
        agents[opponent(color)].observe(state, color, action)
        if state.is_over:
            if cleanup or _scores_agree(state, agents):
                return False
            cleanup = True  # a GTP engine counts differently: play on until both pass again
    return True


def _scores_agree(state: GameState, agents: dict) -> bool:
    """Does every GTP engine's own count name the same winner as Tromp-Taylor?"""
    ours = state.result()[:1]
    for agent in agents.values():
        theirs = agent.final_score()
        if theirs is not None and theirs.strip()[:1].upper() != ours.upper():
            return False
    return True


def _save_sgf(state: GameState, result: GameResult, settings: MatchSettings) -> str:
    os.makedirs(settings.sgf_dir, exist_ok=True)
    record = record_from_state(
        state, black_player=result.black, white_player=result.white, result=state.result()
    )
    record.properties["GN"] = f"match game {result.index}"
    record.comments[0] = (
        f"goagent match, game {result.index}, seed {settings.seed}, komi {settings.komi:g}, "
        f"Tromp-Taylor area scoring{', adjudicated at the move cap' if result.adjudicated else ''}"
    )
    path = os.path.join(settings.sgf_dir, f"game-{result.index:04d}.sgf")
    tmp = path + ".tmp"
    with open(tmp, "wb") as handle:
        handle.write(write_sgf(record))
    os.replace(tmp, path)
    return path


# --- the match --------------------------------------------------------------------


def _worker_init(threads: int) -> None:
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass


def _play_indexed(job) -> GameResult:
    index, a, b, settings, opening = job
    return play_game(index, a, b, settings, opening)


def run_match(a: PlayerSpec, b: PlayerSpec, settings: MatchSettings, progress=sys.stderr) -> MatchResult:
    a.validate()
    b.validate()
    file_openings = None
    if not settings.openings.startswith("random-"):
        file_openings = load_openings(settings.openings, settings.size)
    jobs = _jobs(a, b, settings, file_openings)
    match = MatchResult(a.name, b.name)
    start = time.time()
    threads = max(1, (os.cpu_count() or 1) // max(1, settings.parallel))
    if settings.parallel > 1:
        context = multiprocessing.get_context("spawn")
        pool = context.Pool(settings.parallel, initializer=_worker_init, initargs=(threads,))
        results = pool.imap_unordered(_play_indexed, jobs)
    else:
        pool = None
        results = map(_play_indexed, jobs)
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
