"""Named rule cases for the board engine and GameState, built from ASCII diagrams.

Diagrams: ``X`` black, ``O`` white, ``.`` empty, row 0 (GTP's top line) first;
spaces between points are ignored.  Moves and points in the assertions are
GTP vertices (``"C4"``), converted by ``goagent.coords``.
"""

from __future__ import annotations

import numpy as np
import pytest

from goagent.board import Board, new_rng
from goagent.coords import BLACK, EMPTY, WHITE, action_to_gtp, gtp_to_action
from goagent.game import GameState, IllegalMoveError, fixed_handicap

_CHARS = {"X": BLACK, "O": WHITE, ".": EMPTY}


def grid(diagram: str) -> np.ndarray:
    """``int8[n, n]`` from a diagram."""
    rows = [line.replace(" ", "") for line in diagram.strip().splitlines()]
    assert rows and all(len(row) == len(rows) for row in rows), "diagram must be square"
    return np.array([[_CHARS[ch] for ch in row] for row in rows], np.int8)


def position(diagram: str, to_play: int = BLACK, komi: float = 0.0) -> GameState:
    """A GameState holding the diagram's stones (via ``setup``), ``to_play`` to move."""
    colors = grid(diagram).reshape(-1)
    state = GameState(int(round(len(colors) ** 0.5)), komi=komi)
    state.setup(
        black=np.flatnonzero(colors == BLACK).tolist(), white=np.flatnonzero(colors == WHITE).tolist()
    )
    state.to_play = to_play
    return state


def at(state: GameState | Board, vertex: str) -> int:
    return gtp_to_action(vertex, state.size)


def play(state: GameState, *vertices: str) -> list[int]:
    """Play GTP vertices in turn; returns the captures of each move."""
    return [state.play(at(state, v)) for v in vertices]


def assert_board(state: GameState, diagram: str) -> None:
    assert state.board.to_array().tolist() == grid(diagram).tolist()


def snapshot(state: GameState) -> tuple:
    return (
        state.board.to_array().tolist(),
        state.board.hash,
        state.to_play,
        state.passes,
        state.move_number,
        state.legal_mask().tolist(),
        state.board.captures(BLACK),
        state.board.captures(WHITE),
        state.board.ko,
    )


# --- ko ----------------------------------------------------------------------

KO = """
. X O . .
X O . O .
. X O . .
. . . . .
. . . . .
"""


def test_simple_ko_forbids_immediate_retake() -> None:
    state = position(KO)
    assert play(state, "C4") == [1]
    assert_board(
        state,
        """
        . X O . .
        X . X O .
        . X O . .
        . . . . .
        . . . . .
        """,
    )
    assert action_to_gtp(state.board.ko, 5) == "B4" and state.board.ko_color == WHITE
    assert state.illegal_reason(at(state, "B4")) == "ko"
    assert not state.board.is_legal(at(state, "B4"), WHITE)
    assert not state.legal_mask()[at(state, "B4")]
    before = snapshot(state)
    with pytest.raises(IllegalMoveError) as err:
        state.play(at(state, "B4"))
    assert err.value.reason == "ko"
    assert snapshot(state) == before  # an illegal move changes nothing


def test_ko_retake_allowed_after_a_threat_exchange() -> None:
    state = position(KO)
    play(state, "C4")
    play(state, "E1", "A1")  # white threatens elsewhere, black answers
    assert state.illegal_reason(at(state, "B4")) is None
    assert play(state, "B4") == [1]  # white retakes, capturing C4
    assert state.board.color_at(at(state, "C4")) == EMPTY
    # Now black is the one who must find a threat.
    assert state.illegal_reason(at(state, "C4")) == "ko"
    assert action_to_gtp(state.board.ko, 5) == "C4" and state.board.ko_color == BLACK


def test_pass_clears_the_basic_ko_point() -> None:
    state = position(KO)
    play(state, "C4")
    state.pass_move()
    assert state.board.ko is None
    assert state.to_play == BLACK


# --- superko -----------------------------------------------------------------

SEND_TWO_RETURN_ONE = """
. X . X .
O O X . .
. . . . .
. . . . .
. . . . .
"""


def test_superko_forbids_returning_one_after_sending_two() -> None:
    """Black sends two stones (A5), White takes them (C5), and Black's
    capture of the single stone at B5 would recreate the starting position:
    basic rules allow it (it is not a one-for-one ko), positional superko does not."""
    state = position(SEND_TWO_RETURN_ONE)
    start_hash = state.board.hash
    assert play(state, "A5") == [0]
    assert play(state, "C5") == [2]
    b5 = at(state, "B5")
    assert state.board.ko is None  # a two-stone capture sets no ko point
    assert state.board.is_legal(b5, BLACK)  # basic rules: fine, and it would capture C5
    assert state.board.hash_after(b5, BLACK) == start_hash
    assert state.illegal_reason(b5) == "superko"
    assert not state.legal_mask()[b5]
    assert state.legal_mask()[at(state, "E1")]
    before = snapshot(state)
    with pytest.raises(IllegalMoveError) as err:
        state.play(b5)
    assert err.value.reason == "superko"
    assert snapshot(state) == before
    # The bare board has no history and lets it happen: the stones come back.
    board = state.board.copy()
    assert board.play(b5, BLACK) == 1
    assert board == Board.from_array(grid(SEND_TWO_RETURN_ONE)) and board.hash == start_hash


def test_superko_history_survives_undo_of_later_moves() -> None:
    state = position(SEND_TWO_RETURN_ONE)
    play(state, "A5", "C5")
    state.undo()
    state.undo()
    play(state, "A5", "C5")  # same moves again: still legal, and B5 still repeats the start
    assert state.illegal_reason(at(state, "B5")) == "superko"


# --- captures and suicide ----------------------------------------------------


def test_snapback() -> None:
    state = position(
        """
        . . X . .
        O O X . .
        X X . . .
        . . . . .
        . . . . .
        """
    )
    assert play(state, "A5") == [0]  # black throws in: self-atari, and white is in atari too
    libs = state.board.liberties()
    assert libs[at(state, "A5")] == 1 and libs[at(state, "A4")] == 1
    assert play(state, "B5") == [1]  # white captures the single stone...
    assert state.board.ko is None  # ...with a 3-stone group: no ko
    assert state.board.liberties()[at(state, "B5")] == 1
    assert play(state, "A5") == [3]  # ...and black snaps back, taking three
    assert_board(
        state,
        """
        X . X . .
        . . X . .
        X X . . .
        . . . . .
        . . . . .
        """,
    )
    assert state.board.captures(BLACK) == 3 and state.board.captures(WHITE) == 1


@pytest.mark.parametrize(
    ("diagram", "vertex", "color"),
    [
        (". O . . .\nO . . . .\n. . . . .\n. . . . .\n. . . . .", "A5", BLACK),  # corner, one stone
        (". O . . .\nO . O . .\n. O . . .\n. . . . .\n. . . . .", "B4", BLACK),  # inside white's eye
        ("X X . . .\nX . X . .\n. X . . .\n. . . . .\n. . . . .", "B4", WHITE),  # inside black's eye
    ],
)
def test_single_stone_suicide_is_illegal(diagram: str, vertex: str, color: int) -> None:
    state = position(diagram, to_play=color)
    a = at(state, vertex)
    assert state.illegal_reason(a) == "suicide"
    assert not state.board.is_legal(a, color)
    assert not state.legal_mask()[a]
    with pytest.raises(IllegalMoveError) as err:
        state.play(a)
    assert err.value.reason == "suicide"
    with pytest.raises(ValueError):
        state.board.play(a, color)
    assert state.illegal_reason(a, 3 - color) is None  # the owner may fill it


def test_multi_stone_suicide_is_illegal() -> None:
    state = position(
        """
        X X . O .
        O O O . .
        . . . . .
        . . . . .
        . . . . .
        """
    )
    # C5 would join A5-B5 and leave the three stones without a liberty; nothing is captured.
    assert state.illegal_reason(at(state, "C5")) == "suicide"
    state = position(
        """
        X . O . .
        O O . . .
        . . . . .
        . . . . .
        . . . . .
        """
    )
    assert state.illegal_reason(at(state, "B5")) == "suicide"  # two stones
    assert state.illegal_reason(at(state, "C4")) is None


def test_move_without_liberties_that_captures_is_legal() -> None:
    state = position(
        """
        . O X . .
        O X . . .
        . . . . .
        . . . . .
        . . . . .
        """
    )
    a5 = at(state, "A5")
    assert state.illegal_reason(a5) is None
    assert state.play(a5) == 1  # takes B5; A5 now breathes through B5
    assert state.board.color_at(at(state, "B5")) == EMPTY
    assert state.board.liberties()[a5] == 1
    assert action_to_gtp(state.board.ko, 5) == "B5" and state.board.ko_color == WHITE


def test_single_capture_that_leaves_two_liberties_is_not_ko() -> None:
    state = position(
        """
        . O X . .
        . X . . .
        . . . . .
        . . . . .
        . . . . .
        """
    )
    assert play(state, "A5") == [1]
    assert state.board.ko is None  # A5 keeps two liberties, B5 and A4
    assert state.illegal_reason(at(state, "B5")) == "suicide"  # B5 would not retake: suicide, not ko


def test_one_move_captures_four_separate_groups() -> None:
    state = position(
        """
        . . X . .
        . X O X .
        X O . O X
        . X O X .
        . . X . .
        """
    )
    assert play(state, "C3") == [4]
    assert state.board.captures(BLACK) == 4
    assert state.board.liberties()[at(state, "C3")] == 4
    assert (state.board.to_array() == WHITE).sum() == 0


def test_one_move_captures_groups_of_different_sizes() -> None:
    state = position(
        """
        O O . O X
        X X X X .
        . . . . .
        . . . . .
        . . . . .
        """
    )
    c5 = at(state, "C5")
    assert state.board.liberties()[at(state, "A5")] == 1 and state.board.liberties()[at(state, "D5")] == 1
    assert state.play(c5) == 3  # the A5-B5 pair and the D5 stone
    assert state.board.ko is None
    assert_board(
        state,
        """
        . . X . X
        X X X X .
        . . . . .
        . . . . .
        . . . . .
        """,
    )


# --- scoring -----------------------------------------------------------------

SEKI = """
X X . O O
X X X O O
X X X O O
X X X O O
X X . O O
"""


def test_seki_points_are_dame_under_tromp_taylor() -> None:
    """Black and White share the liberties C5 and C1 and have no eyes: whoever
    fills one puts their own group in atari (seki).  The shared points touch
    both colors, so they count for nobody."""
    state = position(SEKI)
    black, white, owner = state.board.area()
    assert (black, white) == (13, 10)
    assert owner[at(state, "C5")] == EMPTY and owner[at(state, "C1")] == EMPTY
    assert state.score() == 3 and state.result() == "B+3"
    # Why it is seki: approaching is self-atari, and the other side then captures everything.
    play(state, "C5")
    assert state.board.liberties()[at(state, "A1")] == 1
    assert state.play(at(state, "C1")) == 14


def test_area_ownership_of_empty_regions() -> None:
    state = position(
        """
        . X O . .
        . X O . .
        X X O O O
        . . O . .
        . . O . .
        """
    )
    black, white, owner = state.board.area()
    expected = grid(
        """
        X X O O O
        X X O O O
        X X O O O
        . . O O O
        . . O O O
        """
    )
    assert owner.reshape(5, 5).tolist() == expected.tolist()
    assert (black, white) == (6, 15)
    assert state.result() == "W+9"
    assert state.ownership().tolist() == owner.tolist()


def test_empty_board_is_all_dame() -> None:
    state = GameState(9, komi=7.5)
    assert state.board.area()[:2] == (0, 0)
    assert state.result() == "W+7.5"


HALF_BOARD = """
. . X O .
. . X O .
. . X O .
. . X O .
. . X O .
"""


@pytest.mark.parametrize(
    ("komi", "result", "winner"),
    [(1.5, "B+3.5", BLACK), (5.0, "0", EMPTY), (7.5, "W+2.5", WHITE), (0.0, "B+5", BLACK)],
)
def test_komi_and_result_strings(komi: float, result: str, winner: int) -> None:
    state = position(HALF_BOARD, komi=komi)
    assert state.board.area()[:2] == (15, 10)
    assert state.score() == 15 - 10 - komi
    assert state.result() == result
    assert state.winner() == winner


def test_resignation_result_and_undo() -> None:
    state = position(HALF_BOARD, komi=1.5)
    state.resign()  # black, to move, resigns although ahead
    assert state.is_over and state.result() == "W+R" and state.winner() == WHITE
    state.undo()
    assert not state.is_over and state.result() == "B+3.5"
    state.resign(WHITE)
    assert state.result() == "B+R" and state.winner() == BLACK


def test_two_passes_end_the_game() -> None:
    state = GameState(5)
    state.pass_move()
    assert not state.is_over and state.to_play == WHITE
    play(state, "C3")
    state.pass_move()
    assert not state.is_over  # a move in between resets the count
    state.pass_move()
    assert state.is_over and state.passes == 2
    state.undo()
    assert not state.is_over and state.passes == 1 and state.to_play == WHITE


# --- undo --------------------------------------------------------------------


def test_undo_restores_everything() -> None:
    state = position(KO)
    history = []
    for vertex in ["C4", "E1", "A1", "B4", "pass", "D2", "C4"]:
        a = at(state, vertex)
        if not state.is_legal(a):
            continue
        history.append(snapshot(state))
        state.play(a)
    assert len(history) >= 6
    while history:
        state.undo()
        assert snapshot(state) == history.pop()
    with pytest.raises(ValueError):
        state.undo()
    assert_board(state, KO)


def test_undo_forgets_the_undone_positions() -> None:
    state = GameState(5)
    before = snapshot(state)
    play(state, "C3")
    state.undo()
    assert snapshot(state) == before
    # Were the position after C3 still remembered, replaying C3 would be superko.
    assert state.illegal_reason(at(state, "C3")) is None
    play(state, "C3")
    assert state.board.color_at(at(state, "C3")) == BLACK


# --- handicap ----------------------------------------------------------------

GTP_HANDICAP_19 = {
    2: "D4 Q16",
    3: "D4 Q16 D16",
    4: "D4 Q16 D16 Q4",
    5: "D4 Q16 D16 Q4 K10",
    6: "D4 Q16 D16 Q4 D10 Q10",
    7: "D4 Q16 D16 Q4 D10 Q10 K10",
    8: "D4 Q16 D16 Q4 D10 Q10 K4 K16",
    9: "D4 Q16 D16 Q4 D10 Q10 K4 K16 K10",
}


@pytest.mark.parametrize("stones", range(2, 10))
def test_handicap_19x19_follows_the_gtp_spec(stones: int) -> None:
    assert [action_to_gtp(a, 19) for a in fixed_handicap(19, stones)] == GTP_HANDICAP_19[stones].split()


def test_handicap_13x13_on_the_fourth_line() -> None:
    assert [action_to_gtp(a, 13) for a in fixed_handicap(13, 9)] == "D4 K10 D10 K4 D7 K7 G4 G10 G7".split()
    assert [action_to_gtp(a, 13) for a in fixed_handicap(13, 5)] == "D4 K10 D10 K4 G7".split()


def test_handicap_9x9_on_the_third_line() -> None:
    assert [action_to_gtp(a, 9) for a in fixed_handicap(9, 9)] == "C3 G7 C7 G3 C5 G5 E3 E7 E5".split()
    assert [action_to_gtp(a, 9) for a in fixed_handicap(9, 3)] == "C3 G7 C7".split()


@pytest.mark.parametrize("size", [7, 8, 10, 12, 14, 18, 20])
def test_handicap_limited_to_four_on_even_boards_and_7x7(size: int) -> None:
    assert len(fixed_handicap(size, 4)) == 4
    with pytest.raises(ValueError):
        fixed_handicap(size, 5)
    assert [action_to_gtp(a, 7) for a in fixed_handicap(7, 4)] == "C3 E5 C5 E3".split()


@pytest.mark.parametrize("size", [2, 3, 4, 5, 6])
def test_no_fixed_handicap_below_7x7(size: int) -> None:
    with pytest.raises(ValueError):
        fixed_handicap(size, 2)
    with pytest.raises(ValueError):
        GameState(size, handicap=2)


@pytest.mark.parametrize("stones", [0, 1, 10])
def test_handicap_stone_count_out_of_range(stones: int) -> None:
    with pytest.raises(ValueError):
        fixed_handicap(19, stones)


def test_white_moves_first_after_handicap() -> None:
    state = GameState(19, komi=0.5, handicap=4)
    assert state.to_play == WHITE and state.handicap == 4
    stones = np.flatnonzero(state.board.to_array().reshape(-1) == BLACK).tolist()
    assert sorted(action_to_gtp(a, 19) for a in stones) == sorted("D4 Q16 D16 Q4".split())
    assert state.move_number == 0 and state.legal_mask().sum() == 361 - 4 + 1
    play(state, "K10")
    assert state.board.color_at(at(state, "K10")) == WHITE
    with pytest.raises(ValueError):
        state.place_handicap(fixed_handicap(19, 2))  # only before the first move


# --- Board queries -----------------------------------------------------------


def test_liberties_count_each_empty_point_once() -> None:
    board = Board.from_array(
        grid(
            """
            X X O . .
            X O . . .
            . . . X X
            . . . . X
            . . . . .
            """
        )
    )
    libs = board.liberties().reshape(5, 5)
    expected = [
        [1, 1, 2, 0, 0],
        [1, 2, 0, 0, 0],
        [0, 0, 0, 5, 5],  # D3-E3-E2 touch C3 D4 E4 D2 E1; D2 touches two of them
        [0, 0, 0, 0, 5],
        [0, 0, 0, 0, 0],
    ]
    assert libs.tolist() == expected


@pytest.mark.parametrize(
    ("diagram", "vertex", "color", "expected"),
    [
        (". X . . .\nX . X . .\n. X . . .\n. . . . .\n. . . . .", "B4", BLACK, True),
        (". X . . .\nX . X . .\n. X O . .\n. . . . .\n. . . . .", "B4", BLACK, True),  # one bad diagonal
        (". X . . .\nX . X . .\nO X O . .\n. . . . .\n. . . . .", "B4", BLACK, False),  # two: false eye
        (". X . . .\nX . X . .\n. X . . .\n. . . . .\n. . . . .", "B4", WHITE, False),  # not white's
        (". X . . .\nX X X . .\n. X . . .\n. . . . .\n. . . . .", "B4", BLACK, False),  # occupied
        (". X . . .\nX . . . .\n. . . . .\n. . . . .\n. . . . .", "A5", BLACK, True),  # corner
        (". X . . .\nX O . . .\n. . . . .\n. . . . .\n. . . . .", "A5", BLACK, False),  # corner, false
        ("X . . . .\n. X . . .\nX . . . .\n. . . . .\n. . . . .", "A4", BLACK, True),  # edge
        ("X . . . .\n. X . . .\nX O . . .\n. . . . .\n. . . . .", "A4", BLACK, False),  # edge, false
        (". X . . .\nX . O . .\n. X . . .\n. . . . .\n. . . . .", "B4", BLACK, False),  # open side
    ],
)
def test_is_eye(diagram: str, vertex: str, color: int, expected: bool) -> None:
    board = Board.from_array(grid(diagram))
    assert board.is_eye(at(board, vertex), color) is expected


def test_board_from_array_rejects_dead_groups() -> None:
    with pytest.raises(ValueError):
        Board.from_array(grid("X O .\nO . .\n. . ."))
    with pytest.raises(ValueError):
        GameState(3).setup(black=[0], white=[1, 3])


def test_refused_setup_changes_nothing() -> None:
    """A setup that would leave a group without liberties raises and leaves the
    game, its superko history included, as it was."""
    state = position(SEND_TWO_RETURN_ONE)
    before = snapshot(state)
    with pytest.raises(ValueError):
        state.setup(white=[at(state, "E5")], black=[at(state, "E4"), at(state, "D5")])
    assert snapshot(state) == before
    play(state, "A5", "C5")
    assert state.illegal_reason(at(state, "B5")) == "superko"  # the start is still remembered
    state = GameState(5)
    with pytest.raises(ValueError):
        state.setup(black=[0], white=[1, 5])
    state.setup(black=[12])  # a later setup still works
    assert state.board.color_at(12) == BLACK


# --- playouts ----------------------------------------------------------------


def _last_passer(start: int, plies: int) -> int:
    return start if (plies - 1) % 2 == 0 else 3 - start


@pytest.mark.parametrize("seed", range(8))
def test_playout_ends_with_only_eyes_or_unplayable_points(seed: int) -> None:
    board = Board(9)
    start = BLACK if seed % 2 == 0 else WHITE
    plies = board.playout(start, 10_000, new_rng(seed))
    assert plies < 10_000  # ended by two passes, not by the cap
    empty = np.flatnonzero(board.to_array().reshape(-1) == EMPTY)
    assert len(empty) < 40
    # The side that passed last had no other move: each empty point is its own
    # eye or illegal for it.  (The other side passed one ply earlier, when a
    # simple-ko point may still have bound it.)
    color = _last_passer(start, plies)
    for a in empty:
        assert board.is_eye(int(a), color) or not board.is_legal(int(a), color)
    playable = [a for a in empty if not board.is_eye(int(a), 3 - color) and board.is_legal(int(a), 3 - color)]
    assert len(playable) <= 1


def test_playout_never_fills_its_own_true_eyes() -> None:
    """A black group with two true eyes (A9, C9) lives whatever happens around it."""
    diagram = """
    . X . X . . . . .
    X X X X . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    """
    start = Board.from_array(grid(diagram))
    assert start.is_eye(at(start, "A9"), BLACK) and start.is_eye(at(start, "C9"), BLACK)
    group = [at(start, v) for v in ("B9", "D9", "A8", "B8", "C8", "D8")]
    for seed in range(20):
        board = start.copy()
        board.playout(BLACK if seed % 2 else WHITE, 10_000, new_rng(seed))
        assert board.color_at(at(board, "A9")) == EMPTY and board.color_at(at(board, "C9")) == EMPTY
        assert all(board.color_at(a) == BLACK for a in group)


def test_playout_with_nothing_to_do_is_two_passes() -> None:
    full = """
    . X X X X
    X X X X X
    X X . X X
    X X X X X
    X X X X X
    """
    board = Board.from_array(grid(full))
    for color in (BLACK, WHITE):
        copy = board.copy()
        assert copy.playout(color, 100, new_rng(1)) == 2
        assert copy == board


def test_playout_stops_at_the_cap() -> None:
    board = Board(9)
    assert board.playout(BLACK, 10, new_rng(3)) == 10
    assert 0 < (board.to_array() != EMPTY).sum() <= 10


def test_playout_is_deterministic_for_a_seed() -> None:
    def run(seed: int) -> tuple[int, list]:
        board = Board(9)
        plies = board.playout(BLACK, 500, new_rng(seed))
        return plies, board.to_array().tolist()

    assert run(11) == run(11)
    assert any(run(11) != run(seed) for seed in (12, 13, 14))
    rng = new_rng(5)
    Board(9).playout(BLACK, 500, rng)
    assert rng[0] != new_rng(5)[0]  # the state advances in place
