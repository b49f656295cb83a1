"""Replay every shared KGS 6d+ game on GameState and compare with sgfmill.

Every recorded move must be legal under the record's rules (simple ko for
Japanese-rules games, which is what KGS enforced), and the final position must
equal the one sgfmill's own Board reaches.  Skipped when ../shared/data is
absent; runs the archives in parallel on all cores.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from sgfmill import sgf, sgf_moves

from goagent.coords import BLACK, WHITE
from goagent.sgf import SGFError, iter_sources, read_sgf

DATA = Path(os.environ.get("GOAGENT_KGS_DIR", Path(__file__).resolve().parents[3] / "shared/data/kgs-6d"))
ARCHIVES = sorted(DATA.glob("*.tar.gz"))
EXPECTED_GAMES = 28_559


def sgfmill_final_position(data: bytes) -> np.ndarray:
    game = sgf.Sgf_game.from_bytes(data)
    board, plays = sgf_moves.get_setup_and_moves(game)
    for colour, move in plays:
        if move is not None:
            board.play(move[0], move[1], colour)
    size = board.side
    position = np.zeros((size, size), np.int8)
    for colour, (row, col) in board.list_occupied_points():
        position[size - 1 - row, col] = BLACK if colour == "b" else WHITE
    return position


def replay_archive(path: str) -> dict:
    games, disagreements, unreadable = 0, [], []
    for name, data in iter_sources([path]):
        games += 1
        try:
            record = read_sgf(data, name)
            state = record.to_state()
        except SGFError as err:
            disagreements.append(f"{name}: {err}")
            continue
        try:
            reference = sgfmill_final_position(data)
        except ValueError as err:
            unreadable.append(f"{name}: sgfmill: {err}")
            continue
        if not np.array_equal(reference, state.board.to_array()):
            disagreements.append(f"{name}: final position differs from sgfmill")
    return {
        "games": games,
        "disagreements": disagreements,
        "unreadable": unreadable,
    }


@pytest.mark.skipif(not ARCHIVES, reason=f"KGS archives not found in {DATA}")
def test_every_kgs_game_replays_like_sgfmill():
    workers = min(len(ARCHIVES), os.cpu_count() or 1)
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(replay_archive, map(str, ARCHIVES)))
    games = sum(r["games"] for r in results)
    disagreements = [d for r in results for d in r["disagreements"]]
    unreadable = [u for r in results for u in r["unreadable"]]
    print(
        f"replayed {games} games: {len(disagreements)} disagreements, {len(unreadable)} unreadable by sgfmill"
    )
    assert games == EXPECTED_GAMES
    assert disagreements == []
    assert unreadable == []
