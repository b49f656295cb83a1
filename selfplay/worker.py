"""Self-play games: many concurrent games per process sharing network batches.

``play_games(model_path, cfg, game_ids, out_dir, seed)`` keeps up to
``cfg.concurrent_games`` games going; each round is one
``goagent.search.driver.step_many`` over every game's search: each gathers
its leaves (one kernel call), all of them go to one network call, and each
backs its share up (one kernel call).  The search code is the one every
other caller uses.  When a game's search reaches its budget
the move is chosen (sampled by visits for the first ``temperature_moves``,
else the most visited), and the position is recorded.

Playout cap randomization (KataGo): a move gets a full search (``visits``,
with Dirichlet noise at the root) with probability ``full_search_fraction``,
else a fast one (``fast_visits``, no noise); only full searches become policy
targets.  Resignation is off in ``no_resign_fraction`` of games, which
measures how often resigning would have been wrong.

Each finished game is written atomically as ``game-NNNNNN.npz`` (training
examples) and ``game-NNNNNN.sgf`` (with per-move win rates in comments);
the ``.npz`` appearing is what makes a game count as done, so a killed
worker never leaves half a game and a restarted one replays only the missing
ids.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field

import numpy as np

from goagent import features
from goagent.coords import BLACK, EMPTY, WHITE
from goagent.game import GameState
from goagent.mcts import Search, SearchConfig
from goagent.search.driver import step_many
from goagent.sgf import record_from_state, write_sgf
from goagent.winrate import black_winrate
from selfplay.config import SelfPlayConfig

EXAMPLE_FORMAT_VERSION = 1
GAME_MEMORY_BUDGET = 256_000_000  # bytes per game's search tree (a move's search needs far less)
GAME_CACHE_SIZE = 2048  # evaluation cache entries per game


@dataclass
class _Game:
    game_id: int
    state: GameState
    search: Search
    rng: np.random.Generator
    resign_allowed: bool
    visits_target: int = 0
    full: bool = False
    low_streak: dict = field(default_factory=lambda: {BLACK: 0, WHITE: 0})
    would_resign: int = EMPTY  # the first color whose value said "resign" (no-resign games)
    compacts: list = field(default_factory=list)
    policies: list = field(default_factory=list)
    fulls: list = field(default_factory=list)
    winrates: list = field(default_factory=list)  # black's win rate after each move


def _search_config(cfg: SelfPlayConfig, full: bool) -> SearchConfig:
    return SearchConfig(
        batch_size=cfg.batch_size,
        noise_fraction=cfg.noise_fraction if full else 0.0,
        dirichlet_alpha=cfg.dirichlet_alpha,
        memory_budget=GAME_MEMORY_BUDGET,
        cache_size=GAME_CACHE_SIZE,
    )


def _start_move(game: _Game, cfg: SelfPlayConfig) -> None:
    game.full = bool(game.rng.random() < cfg.full_search_fraction)
    game.search.config = _search_config(cfg, game.full)
    game.search.advance(game.state)
    game.search.noise_root()  # a reused root is already expanded: noise it now
    game.visits_target = cfg.visits if game.full else cfg.fast_visits


def _new_game(game_id: int, cfg: SelfPlayConfig, evaluator, seed: int) -> _Game:
    rng = np.random.default_rng([seed, game_id])
    state = GameState(cfg.board_size, cfg.komi)
    search = Search(state, evaluator, _search_config(cfg, True), seed=int(rng.integers(2**31)))
    game = _Game(game_id, state, search, rng, resign_allowed=bool(rng.random() >= cfg.no_resign_fraction))
    _start_move(game, cfg)
    return game


def _choose(game: _Game, cfg: SelfPlayConfig) -> int:
    dist = game.search.visit_distribution()
    if game.state.move_number < cfg.temperature_moves and dist.sum() > 0:
        return int(game.rng.choice(len(dist), p=dist / dist.sum()))
    return int(np.argmax(dist))


def _check_resign(game: _Game, cfg: SelfPlayConfig, value: float) -> bool:
    color = game.state.to_play
    game.low_streak[color] = game.low_streak[color] + 1 if value < cfg.resign_threshold else 0
    if game.low_streak[color] < cfg.resign_consecutive or game.state.move_number < game.state.size**2 // 4:
        return False
    if game.would_resign == EMPTY:
        game.would_resign = color
    return game.resign_allowed


def _record_move(game: _Game) -> None:
    legal = game.search.root.legal if game.search.root.expanded else game.state.legal_mask()
    game.compacts.append(features.compact(game.state, legal))
    game.policies.append(game.search.visit_distribution())
    game.fulls.append(game.full)


def _finish_move(game: _Game, cfg: SelfPlayConfig) -> bool:
    """Choose and play the move of a finished search; returns True when the game ended."""
    result = game.search.result()
    _record_move(game)
    if _check_resign(game, cfg, result.value):
        game.state.resign(game.state.to_play)
        return True
    action = _choose(game, cfg)
    mover = game.state.to_play
    game.state.play(action)
    game.winrates.append(black_winrate(result.value, mover))
    max_moves = cfg.max_moves or 2 * cfg.board_size**2
    if game.state.is_over or game.state.move_number >= max_moves:
        return True
    _start_move(game, cfg)
    return False


def _write_game(game: _Game, out_dir: str) -> dict:
    state = game.state
    n = state.size
    winner = state.winner()
    counted = not state.resigned
    to_play = np.array([c.to_play for c in game.compacts], np.int8)
    value = np.where(winner == EMPTY, 0.0, np.where(to_play == winner, 1.0, -1.0)).astype(np.float32)
    false_resign = game.would_resign != EMPTY and not game.resign_allowed and game.would_resign == winner
    arrays = {
        "format_version": np.array(EXAMPLE_FORMAT_VERSION),
        "resign_checked": np.array(not game.resign_allowed),
        "false_resign": np.array(bool(false_resign)),
        "feature_version": np.array(features.FEATURE_VERSION),
        "size": np.array(n),
        "komi": np.array(state.komi, np.float32),
        "stones": np.stack([c.stones for c in game.compacts]),  # (T, 8, n, n)
        "to_play": to_play,
        "ko": np.array([c.ko for c in game.compacts], np.int16),
        "legal": np.stack([c.legal for c in game.compacts]),  # (T, n*n)
        "policy": np.stack(game.policies).astype(np.float32),  # (T, n*n+1)
        "full": np.array(game.fulls, np.bool_),
        "value": value,
        "ownership": state.ownership() if counted else np.zeros(n * n, np.int8),
        "score": np.array(state.score() if counted else np.nan, np.float32),
        "counted": np.array(counted),
    }
    base = os.path.join(out_dir, f"game-{game.game_id:06d}")
    comments = {i + 1: f"black win rate {100 * w:.1f}%" for i, w in enumerate(game.winrates)}
    record = record_from_state(state, black_player="goagent", white_player="goagent", result=state.result())
    record.comments.update(comments)
    _atomic_write(base + ".sgf", write_sgf(record))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    _atomic_write(base + ".npz", buffer.getvalue())  # last: the game now counts as done
    return {
        "game_id": game.game_id,
        "moves": state.move_number,
        "positions": len(game.compacts),
        "result": state.result(),
        "resign_checked": not game.resign_allowed,
        "would_resign": game.would_resign != EMPTY,
        "false_resign": bool(false_resign),
    }


def _atomic_write(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def play_games(
    evaluator, cfg: SelfPlayConfig, game_ids: list[int], out_dir: str, seed: int, on_game=None
) -> list[dict]:
    """Play the given game ids to the end with ``evaluator``; returns one summary per game."""
    os.makedirs(out_dir, exist_ok=True)
    queue = list(game_ids)
    active: list[_Game] = []
    summaries = []
    while queue or active:
        while queue and len(active) < cfg.concurrent_games:
            active.append(_new_game(queue.pop(0), cfg, evaluator, seed))
        wants = [max(1, min(cfg.batch_size, game.visits_target - game.search.root.visits)) for game in active]
        step_many([game.search for game in active], wants)
        still = []
        for game in active:
            if game.search.root.visits >= game.visits_target or game.search.root.terminal_value is not None:
                if _finish_move(game, cfg):
                    summary = _write_game(game, out_dir)
                    summaries.append(summary)
                    if on_game is not None:
                        on_game(summary)
                    continue
            still.append(game)
        active = still
    return summaries


def done_game_ids(out_dir: str) -> set[int]:
    """Ids of the games whose examples are on disk (complete games)."""
    if not os.path.isdir(out_dir):
        return set()
    return {int(f[5:11]) for f in os.listdir(out_dir) if f.startswith("game-") and f.endswith(".npz")}


def worker_main(
    model_path: str, cfg: SelfPlayConfig, game_ids: list[int], out_dir: str, seed: int, threads: int = 1
) -> list[dict]:
    """Entry point of a self-play process: load the network, play, return summaries."""
    import torch

    from goagent.checkpoint import load_checkpoint
    from goagent.inference import NetworkEvaluator

    torch.set_num_threads(threads)
    model = load_checkpoint(model_path, expected_feature_version=features.FEATURE_VERSION).model
    evaluator = NetworkEvaluator(model, symmetries="random", seed=seed)
    return play_games(evaluator, cfg, game_ids, out_dir, seed)
