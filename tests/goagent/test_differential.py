"""Differential tests: ``GameState`` / ``Board`` against the pure-Python reference.

Thousands of random games are played move for move on the engine and on
``tests/reference_board.py``.  After EVERY move the stones, the Zobrist hash
(the reference recomputes it from scratch), side to move, passes and capture
counts must agree; on 5x5 and 9x9 the full legal mask (superko included), the
basic legal mask with the hash each move leads to, the illegal reasons and the
liberties are compared before every move as well.  On 19x19 those full checks
run every ``FULL_CHECK_EVERY_19`` moves and the move chosen in between is
checked alone.  Games sometimes start from random setup stones or a handicap,
sometimes undo a few moves, sometimes end by resignation; the final area,
score, winner and result string are compared.

Every game is seeded (``random.Random(seed)``); a failure names the size, the
seed and the move, and prints both boards.  Re-run one game with
``play_game(size, seed)``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest

from goagent.board import Board, new_rng
from goagent.coords import BLACK, EMPTY, WHITE
from goagent.game import GameState, fixed_handicap

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference_board import RefBoard, RefGame  # noqa: E402

# (size, first seed, games): chunks so pytest reports progress.  2,000 games in all.
GAME_CHUNKS = [(5, 1_000_000 + 500 * i, 500) for i in range(3)]
GAME_CHUNKS += [(9, 2_000_000 + 200 * i, 200) for i in range(2)]
GAME_CHUNKS += [(19, 3_000_000, 100)]
FULL_CHECK_EVERY_19 = 10
KOMIS = (0.0, 0.5, 2.0, 5.5, 7.5, -3.0)
PASS_PROBABILITIES = (0.01, 0.05, 0.15)
UNDO_PROBABILITY = 0.03


class Mismatch(AssertionError):
    pass


def _board_text(rows) -> str:
    return str(RefBoard.from_rows(rows))


def _fail(state: GameState, ref: RefGame, ctx: dict, what: str) -> None:
    raise Mismatch(
        f"{what}\nsize {ctx['size']}, seed {ctx['seed']}, move {state.move_number} "
        f"(step {ctx['step']}, to play {state.to_play}/{ref.to_play})\n"
        f"engine:\n{_board_text(state.board.to_array())}\nreference:\n{ref.board}"
    )


def _check_position(state: GameState, ref: RefGame, ctx: dict) -> None:
    """What must agree after every move: stones, hash, turn, passes, captures."""
    n = state.size
    if not np.array_equal(state.board.to_array(), np.array(ref.board.to_rows(), np.int8).reshape(n, n)):
        _fail(state, ref, ctx, "boards differ")
    if state.board.hash != ref.board.hash():
        _fail(state, ref, ctx, f"hash {state.board.hash} != reference {ref.board.hash()}")
    if (state.to_play, state.passes, state.is_over) != (ref.to_play, ref.passes, ref.is_over):
        _fail(state, ref, ctx, "to_play/passes/is_over differ")
    if state.move_number != len(ref.history):
        _fail(state, ref, ctx, "move numbers differ")
    for color in (BLACK, WHITE):
        if state.board.captures(color) != ref.captures[color]:
            _fail(state, ref, ctx, f"captures by {color} differ")


def _check_moves(state: GameState, ref: RefGame, ctx: dict) -> list[bool]:
    """Full legality comparison for the side to move; returns the legal mask."""
    n = state.size
    table = ref.outcomes()
    ref_basic = [reason is None for reason, _ in table]
    ref_mask = [reason is None and (a == n * n or h not in ref.seen) for a, (reason, h) in enumerate(table)]
    mask = state.legal_mask()
    if mask.tolist() != ref_mask:
        diff = [a for a in range(n * n + 1) if bool(mask[a]) != ref_mask[a]]
        _fail(state, ref, ctx, f"legal masks differ at actions {diff} (engine says {mask[diff].tolist()})")
    basic, hashes = state.board.legal_moves(state.to_play)
    if basic.tolist() != ref_basic:
        diff = [a for a in range(n * n + 1) if bool(basic[a]) != ref_basic[a]]
        _fail(state, ref, ctx, f"basic legal masks differ at actions {diff}")
    for a in range(n * n + 1):
        if ref_basic[a] and int(hashes[a]) != table[a][1]:
            _fail(state, ref, ctx, f"hash after action {a} differs")
        if not ref_mask[a] and (table[a][0] != "occupied" or a == ctx["step"] % (n * n)):
            expected = table[a][0] or "superko"
            if state.illegal_reason(a) != expected:
                _fail(state, ref, ctx, f"illegal reason at {a}: {state.illegal_reason(a)} != {expected}")
    if state.board.liberties().tolist() != ref.board.liberty_counts():
        _fail(state, ref, ctx, "liberties differ")
    return ref_mask


def _start(size: int, rng: random.Random, ctx: dict) -> tuple[GameState, RefGame]:
    """A fresh game: empty, with random setup stones, or with a handicap."""
    komi = rng.choice(KOMIS)
    state = GameState(size, komi=komi)
    ref = RefGame(size, komi=komi)
    roll = rng.random()
    if roll < 0.15:
        points = rng.sample(range(size * size), rng.randint(1, size * size // 3))
        black, white = points[::2], points[1::2]
        board = RefBoard(
            size, {divmod(a, size): BLACK for a in black} | {divmod(a, size): WHITE for a in white}
        )
        try:
            state.setup(black=black, white=white)
        except ValueError:
            if board.dead_group() is None:
                _fail(state, ref, ctx, "setup refused a position where every group has a liberty")
            return state, ref  # a refused setup must leave the game as it was: checked from here on
        if board.dead_group() is not None:
            _fail(state, ref, ctx, "setup accepted a group without liberties")
        ref = RefGame(size, komi=komi, board=board)
    elif roll < 0.25 and size >= 9:
        stones = rng.randint(2, 9)
        state = GameState(size, komi=komi, handicap=stones)
        board = RefBoard(size, {divmod(a, size): BLACK for a in fixed_handicap(size, stones)})
        ref = RefGame(size, komi=komi, board=board, to_play=WHITE)
    return state, ref


def _undo(state: GameState, ref: RefGame, rng: random.Random, ctx: dict) -> None:
    for _ in range(rng.randint(1, min(3, state.move_number))):
        state.undo()
        ref.undo()
        _check_position(state, ref, ctx)


def _finish(state: GameState, ref: RefGame, rng: random.Random, ctx: dict) -> None:
    black, white, owner = state.board.area()
    ref_black, ref_white, ref_owner = ref.board.area()
    if (black, white, owner.tolist()) != (ref_black, ref_white, ref_owner):
        _fail(state, ref, ctx, f"area differs: {(black, white)} != {(ref_black, ref_white)}")
    if state.score() != ref.score() or state.result() != ref.result():
        _fail(state, ref, ctx, f"result {state.result()} != reference {ref.result()}")
    expected_winner = BLACK if ref.score() > 0 else WHITE if ref.score() < 0 else EMPTY
    if state.winner() != expected_winner:
        _fail(state, ref, ctx, "winner differs")
    if rng.random() < 0.1:
        loser = rng.choice((BLACK, WHITE))
        state.resign(loser)
        ref.resigned = loser
        if not state.is_over or state.result() != ref.result() or state.winner() != 3 - loser:
            _fail(state, ref, ctx, f"resignation result {state.result()} != {ref.result()}")
        state.undo()
        ref.resigned = EMPTY
        if state.result() != ref.result():
            _fail(state, ref, ctx, "undoing the resignation did not restore the result")


def play_game(size: int, seed: int) -> int:
    """Play one random game on both implementations; returns the moves played."""
    rng = random.Random(seed)
    ctx = {"size": size, "seed": seed, "step": 0}
    state, ref = _start(size, rng, ctx)
    pass_probability = rng.choice(PASS_PROBABILITIES)
    n = size
    cap = 3 * n * n
    _check_position(state, ref, ctx)
    while not state.is_over and state.move_number < cap:
        ctx["step"] += 1
        full = size < 19 or ctx["step"] % FULL_CHECK_EVERY_19 == 0
        mask = _check_moves(state, ref, ctx) if full else state.legal_mask().tolist()
        legal = [a for a in range(n * n) if mask[a]]
        action = n * n if not legal or rng.random() < pass_probability else rng.choice(legal)
        try:  # the reference checks legality: on 19x19 most moves come from the engine's mask
            ref_captured = ref.play(action)
        except ValueError as err:
            _fail(state, ref, ctx, f"the engine allowed a move the reference forbids: {err}")
        if state.play(action) != ref_captured:
            _fail(state, ref, ctx, f"captures by action {action} differ")
        _check_position(state, ref, ctx)
        if state.move_number and rng.random() < UNDO_PROBABILITY:
            _undo(state, ref, rng, ctx)
    _finish(state, ref, rng, ctx)
    return state.move_number


@pytest.mark.parametrize(("size", "first_seed", "games"), GAME_CHUNKS)
def test_random_games_match_reference(size: int, first_seed: int, games: int) -> None:
    total = sum(play_game(size, seed) for seed in range(first_seed, first_seed + games))
    assert total > games * size  # the games are real games, not immediate double passes


def test_reference_fast_legality_matches_simple_simulation() -> None:
    """The reference's one-pass ``outcomes`` agrees with its move-by-move ``after``."""
    checked = 0
    for seed in range(20):
        rng = random.Random(seed)
        size = (5, 7, 9)[seed % 3]
        game = RefGame(size)
        for _ in range(2 * size * size):
            table = game.outcomes()
            seen = set(game.seen)
            slow_mask = [game.illegal_reason(a) is None for a in range(size * size + 1)]
            fast_mask = game.board.legal_moves(game.to_play, seen, game.ko_position(game.to_play))
            assert fast_mask == slow_mask, (seed, game.board)
            for a, (reason, h) in enumerate(table[:-1]):
                if reason is None:
                    assert h == game.board.after(a, game.to_play)[0].hash()
                    checked += 1
            legal = [a for a in range(size * size) if slow_mask[a]]
            game.play(rng.choice(legal) if legal and rng.random() > 0.1 else size * size)
    assert checked > 1000


@pytest.mark.parametrize("size", [5, 9, 19])
def test_playout_leaves_a_consistent_board(size: int) -> None:
    """After Board.playout the incremental state (groups, hash, empty list) is
    still right: compare with a reference rebuilt from the stones, then keep
    playing random moves on both, and run a second playout."""
    for seed in range(30):
        rng = random.Random(seed)
        board = Board(size)
        for _ in range(2):
            plies = board.playout(rng.choice((BLACK, WHITE)), 3 * size * size, new_rng(seed))
            assert 0 < plies <= 3 * size * size
            ref = RefBoard.from_rows(board.to_array())
            assert ref.dead_group() is None
            assert board.hash == ref.hash()
            assert board.liberties().tolist() == ref.liberty_counts()
            assert Board.from_array(board.to_array()).hash == board.hash
            color = BLACK
            for _ in range(size):
                table = ref.outcomes(color)
                # A pass clears the engine's simple-ko point, which the bare reference board lacks.
                board.play(size * size, color)
                mask, hashes = board.legal_moves(color)
                assert mask.tolist() == [reason is None for reason, _ in table]
                assert [int(h) for h, (r, _) in zip(hashes, table) if r is None] == [
                    h for r, h in table if r is None
                ]
                legal = [a for a in range(size * size) if mask[a]]
                if not legal:
                    break
                action = rng.choice(legal)
                assert board.play(action, color) == ref.after(action, color)[1]
                ref = ref.after(action, color)[0]
                assert np.array_equal(board.to_array(), np.array(ref.to_rows(), np.int8))
                assert board.hash == ref.hash()
                color = 3 - color
