"""Self-play games: many concurrent games per process sharing network batches.

``play_games(model_path, cfg, game_ids, out_dir, seed)`` keeps up to
``cfg.concurrent_games`` games going; each round is one
``goagent.search.driver.step_many`` over every game's search: each gathers
its leaves (one kernel call), all of them go to one network call, and each
backs its share up (one kernel call).  The search code is the one every
other caller uses.  When a game's search reaches its budget
the player chooses the move and the position is recorded.

Each game has its own ``goagent.player.Player``, configured by
``SelfPlayConfig.player_config()``: the same move choice and resign rule as
GTP and matches, with self-play's exploration as settings (root noise on
full searches, the temperature schedule, playout cap randomization: only
full searches become policy targets).  Resignation is off (``MoveFlags``) in
``no_resign_fraction`` of games, which measures how often resigning would
have been wrong.

Each finished game is written atomically as ``game-NNNNNN.npz`` (its
training examples in ``goagent.data``'s one format, with the visit
distributions as policy targets) and ``game-NNNNNN.sgf`` (with per-move win
rates in comments);
the ``.npz`` appearing is what makes a game count as done, so a killed
worker never leaves half a game and a restarted one replays only the missing
ids.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from goagent import features
from goagent.coords import EMPTY
from goagent.data import game_examples, position_before, replay_positions, write_examples
from goagent.fileio import atomic_write
from goagent.game import GameState
from goagent.player import MoveFlags, Player
from goagent.precision import EXACT, NumericPath
from goagent.search.driver import step_many
from goagent.sgf import record_from_state, write_sgf
from goagent.winrate import black_winrate
from selfplay.config import SelfPlayConfig


@dataclass
class _Game:
    game_id: int
    state: GameState
    player: Player
    flags: MoveFlags  # no_resign in the games played out to measure false resignations
    would_resign: int = EMPTY  # the first color whose value said "resign" (no-resign games)
    positions: list = field(default_factory=list)  # goagent.data.position_before rows
    visits: list = field(default_factory=list)
    fulls: list = field(default_factory=list)
    winrates: list = field(default_factory=list)  # black's win rate after each move

    @property
    def searched(self) -> bool:
        """Whether this move's search has its visits (or the position is decided)."""
        search = self.player.search
        return search.root.visits >= self.player.move_visits or search.root.terminal_value is not None


def _new_game(game_id: int, cfg: SelfPlayConfig, evaluator, seed: int) -> _Game:
    rng = np.random.default_rng([seed, game_id])
    state = GameState(cfg.board_size, cfg.komi)
    player = Player(evaluator, cfg.player_config(), seed=int(rng.integers(2**31)))
    flags = MoveFlags(no_resign=bool(rng.random() < cfg.no_resign_fraction))
    game = _Game(game_id, state, player, flags)
    player.start_move(state)
    return game


def _finish_move(game: _Game, cfg: SelfPlayConfig) -> bool:
    """Choose and play the move of a finished search; returns True when the game ended."""
    decision = game.player.finish_move(game.state, game.flags)
    mover = game.state.to_play
    game.positions.append(position_before(game.state, decision.action, mover))
    game.visits.append(game.player.search.visit_distribution())
    game.fulls.append(decision.full)
    if decision.resign_wanted and game.would_resign == EMPTY:
        game.would_resign = mover
    if decision.resign:
        game.state.resign(mover)
        return True
    game.state.play(decision.action)
    game.winrates.append(black_winrate(decision.value, mover))
    max_moves = cfg.max_moves or 2 * cfg.board_size**2
    if game.state.is_over or game.state.move_number >= max_moves:
        return True
    game.player.start_move(game.state)
    return False


def _write_game(game: _Game, out_dir: str) -> dict:
    state = game.state
    winner = state.winner()
    counted = not state.resigned
    checked = game.flags.no_resign  # played out: did the side that wanted to resign win?
    false_resign = checked and game.would_resign != EMPTY and game.would_resign == winner
    base = os.path.join(out_dir, f"game-{game.game_id:06d}")
    examples = game_examples(
        game.positions, state, os.path.basename(base), counted, winner, state.score(), game.visits, game.fulls
    )
    comments = {i + 1: f"black win rate {100 * w:.1f}%" for i, w in enumerate(game.winrates)}
    record = record_from_state(state, black_player="goagent", white_player="goagent", result=state.result())
    record.comments.update(comments)
    atomic_write(base + ".sgf", write_sgf(record))
    notes = {"resign_checked": [checked], "false_resign": [bool(false_resign)]}
    write_examples(base + ".npz", [examples], state.size, notes)  # last: the game now counts as done
    return {
        "game_id": game.game_id,
        "moves": state.move_number,
        "positions": len(game.positions),
        "result": state.result(),
        "resign_checked": checked,
        "would_resign": game.would_resign != EMPTY,
        "false_resign": bool(false_resign),
    }


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
        batch = cfg.search.batch_size
        wants = [max(1, min(batch, g.player.move_visits - g.player.search.root.visits)) for g in active]
        step_many([game.player.search for game in active], wants)
        still = []
        for game in active:
            if game.searched:
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
    model_path: str,
    cfg: SelfPlayConfig,
    game_ids: list[int],
    out_dir: str,
    seed: int,
    threads: int = 1,
    numerics: NumericPath = EXACT,
) -> list[dict]:
    """Entry point of a self-play process: load the network (computing as ``numerics``
    says), play, return summaries."""
    import torch

    from goagent.checkpoint import load_checkpoint
    from goagent.inference import NetworkEvaluator

    torch.set_num_threads(threads)
    model = load_checkpoint(model_path, expected_feature_version=features.FEATURE_VERSION).model
    evaluator = NetworkEvaluator(
        model, symmetries="random", seed=seed, precision=numerics.precision, device=numerics.device
    )
    return play_games(evaluator, cfg, game_ids, out_dir, seed)


def convert_old_games(folder: str) -> int:
    """Rewrite the ``game-*.npz`` files of ``folder`` that are in the first self-play
    layout (format 1: history stacks and legal masks, no moves) in ``goagent.data``'s
    one format, from their ``.sgf`` files and stored search targets; returns how many."""
    from goagent.sgf import read_sgf

    converted = 0
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not (name.startswith("game-") and name.endswith(".npz")):
            continue
        with np.load(path, allow_pickle=False) as data:
            old = {key: data[key] for key in data.files}
        if "stones" not in old:
            continue  # already in the one format
        sgf_path = path[: -len(".npz")] + ".sgf"
        with open(sgf_path, "rb") as handle:
            positions, state = replay_positions(read_sgf(handle.read(), sgf_path))
        policy = old["policy"]
        if len(policy) == len(positions) + 1:  # the last search was followed by a resignation
            color = int(old["to_play"][-1])
            positions.append(position_before(state, int(np.argmax(policy[-1])), color))
            state.resign(color)
        if len(policy) != len(positions):
            raise ValueError(f"{path}: {len(policy)} searches but {len(positions)} moves in {sgf_path}")
        counted = bool(old["counted"])
        source, score = name[: -len(".npz")], float(old["score"])
        visits, full = list(policy), list(old["full"])
        examples = game_examples(positions, state, source, counted, state.winner(), score, visits, full)
        notes = {"resign_checked": [bool(old["resign_checked"])], "false_resign": [bool(old["false_resign"])]}
        write_examples(path, [examples], state.size, notes)
        converted += 1
    return converted
