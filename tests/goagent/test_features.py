"""Feature planes on hand-built positions, plus ladders against a slow reference reader."""

import subprocess
import sys

import numpy as np
import pytest

from goagent import features, ladders
from goagent.board import Board
from goagent.coords import BLACK, EMPTY, WHITE, action_to_gtp, gtp_to_action, to_action
from goagent.features import (
    FEATURE_VERSION,
    NUM_PLANES,
    PLANES,
    compact,
    decode,
    decode_batch,
    encode,
    encode_batch,
    plane_index,
)
from goagent.game import GameState
from goagent.symmetry import apply_planes

LADDER_PLANES = ("own_ladder_dead", "own_ladder_threat", "opp_ladder_capturable", "ladder_capture_move")


def position(diagram: str, to_play: int = BLACK, komi: float = 7.5) -> GameState:
    """A GameState from an ASCII diagram (``X`` black, ``O`` white, ``.`` empty, row 0 on top)."""
    rows = [line.split() for line in diagram.strip().splitlines()]
    n = len(rows)
    assert all(len(row) == n for row in rows), "diagram must be square"
    state = GameState(n, komi)
    points = {"X": [], "O": []}
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if ch in points:
                points[ch].append(to_action(r, c, n))
    state.setup(black=points["X"], white=points["O"])
    state.to_play = to_play  # a hand-built position: whoever the test says moves next
    return state


def on(planes: np.ndarray, name: str) -> list[str]:
    """The GTP vertices where plane ``name`` is 1, sorted."""
    plane = planes[plane_index(name)]
    n = plane.shape[-1]
    return sorted(action_to_gtp(int(a), n) for a in np.flatnonzero(plane.reshape(-1)))


def vertices(text: str) -> list[str]:
    return sorted(text.split())


def random_game(size: int, moves: int, seed: int) -> GameState:
    """Uniformly random legal moves, never filling a single-point eye."""
    state = GameState(size)
    rng = np.random.default_rng(seed)
    for _ in range(moves):
        legal = np.flatnonzero(state.legal_mask()[:-1])
        legal = [a for a in legal.tolist() if not state.board.is_eye(a, state.to_play)]
        state.play(int(rng.choice(legal)) if legal else size * size)
    return state


# --------------------------------------------------------------------------
# Plane names and shapes.
# --------------------------------------------------------------------------


def test_planes_are_named_and_indexed():
    assert FEATURE_VERSION == 1
    assert len(set(PLANES)) == len(PLANES) == NUM_PLANES
    for i, name in enumerate(PLANES):
        assert plane_index(name) == i
    assert PLANES[:16] == tuple(f"own_t{i}" for i in range(8)) + tuple(f"opp_t{i}" for i in range(8))
    with pytest.raises(KeyError, match="no feature plane"):
        plane_index("liberties")


@pytest.mark.parametrize("size", [5, 9, 19])
def test_encode_shape_dtype_and_constant_planes(size):
    state = random_game(size, 12, seed=size)
    planes = encode(state)
    assert planes.shape == (NUM_PLANES, size, size) and planes.dtype == np.float32
    assert np.all(planes[plane_index("ones")] == 1)
    binary = np.delete(planes, plane_index("komi"), axis=0)
    assert set(np.unique(binary)) <= {0.0, 1.0}


# --------------------------------------------------------------------------
# Stones, perspective, komi.
# --------------------------------------------------------------------------

STONES = """
X . . . .
. O . . .
. . X . .
. . . . O
. . . . .
"""


def test_stones_are_seen_from_the_side_to_move():
    black = encode(position(STONES, BLACK, komi=7.5))
    assert on(black, "own_t0") == vertices("A5 C3")
    assert on(black, "opp_t0") == vertices("B4 E2")
    assert np.all(black[plane_index("black_to_play")] == 1)
    assert np.allclose(black[plane_index("komi")], -7.5 / 15)

    white = encode(position(STONES, WHITE, komi=7.5))
    assert on(white, "own_t0") == vertices("B4 E2")
    assert on(white, "opp_t0") == vertices("A5 C3")
    assert np.all(white[plane_index("black_to_play")] == 0)
    assert np.allclose(white[plane_index("komi")], 7.5 / 15)
    # Swapping colors and side to move gives the same own/opp planes.
    swapped = STONES.replace("X", "x").replace("O", "X").replace("x", "O")
    assert np.array_equal(encode(position(swapped, WHITE))[:16], black[:16])


def test_history_planes_follow_the_moves_including_a_capture():
    state = GameState(9)
    for color, vertex in [
        (BLACK, "E5"),
        (WHITE, "E6"),
        (BLACK, "D6"),
        (WHITE, "A1"),
        (BLACK, "F6"),
        (WHITE, "A2"),
        (BLACK, "E7"),  # captures E6
    ]:
        state.play(gtp_to_action(vertex, 9), color)
    assert state.to_play == WHITE
    planes = encode(state)
    # "Own" is White, the side to move now, at every step of the history.
    assert on(planes, "own_t0") == vertices("A1 A2")
    assert on(planes, "opp_t0") == vertices("D6 E5 E7 F6")
    assert on(planes, "own_t1") == vertices("A1 A2 E6")  # before the capture
    assert on(planes, "opp_t1") == vertices("D6 E5 F6")
    assert on(planes, "own_t2") == vertices("A1 E6")
    assert on(planes, "opp_t6") == vertices("E5")
    assert on(planes, "own_t6") == []
    assert on(planes, "own_t7") == [] and on(planes, "opp_t7") == []  # the empty start
    boards = state.recent_boards(8)
    for t, board in enumerate(boards):
        assert np.array_equal(planes[plane_index(f"own_t{t}")], board == WHITE)
        assert np.array_equal(planes[plane_index(f"opp_t{t}")], board == BLACK)


def test_missing_history_is_zero():
    state = GameState(9)
    state.play(gtp_to_action("C3", 9))
    state.play(gtp_to_action("G7", 9))
    planes = encode(state)
    assert on(planes, "own_t0") == ["C3"] and on(planes, "opp_t0") == ["G7"]
    assert on(planes, "own_t1") == ["C3"] and on(planes, "opp_t1") == []
    for t in range(2, 8):
        assert not planes[plane_index(f"own_t{t}")].any()
        assert not planes[plane_index(f"opp_t{t}")].any()


# --------------------------------------------------------------------------
# Liberties, ko, legal moves.
# --------------------------------------------------------------------------

LIBERTIES = """
X O . X O
. O . . .
. . . . .
. . . X X
. . . X .
"""


def test_liberty_planes():
    planes = encode(position(LIBERTIES, BLACK))
    assert on(planes, "own_libs_1") == ["A5"]
    assert on(planes, "own_libs_2") == ["D5"]
    assert on(planes, "own_libs_3p") == vertices("D1 D2 E2")
    assert on(planes, "opp_libs_1") == ["E5"]
    assert on(planes, "opp_libs_2") == []
    assert on(planes, "opp_libs_3p") == vertices("B4 B5")
    white = encode(position(LIBERTIES, WHITE))
    assert on(white, "own_libs_1") == ["E5"] and on(white, "opp_libs_2") == ["D5"]


@pytest.mark.parametrize("seed", range(4))
def test_liberty_planes_agree_with_the_board(seed):
    state = random_game(9, 45, seed)
    planes = encode(state)
    libs = state.board.liberties().reshape(9, 9)
    colors = state.board.to_array()
    me, opp = state.to_play, 3 - state.to_play
    for side, color in (("own", me), ("opp", opp)):
        mine = colors == color
        assert np.array_equal(planes[plane_index(f"{side}_libs_1")], mine & (libs == 1))
        assert np.array_equal(planes[plane_index(f"{side}_libs_2")], mine & (libs == 2))
        assert np.array_equal(planes[plane_index(f"{side}_libs_3p")], mine & (libs >= 3))


KO = """
. X O . . . . . .
X O . O . . . . .
. X O . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""


def test_ko_plane_after_a_ko_capture():
    state = position(KO, BLACK)
    assert on(encode(state), "ko") == []
    assert state.play(gtp_to_action("C8", 9)) == 1  # takes the ko: B8 is captured
    planes = encode(state)  # White to move may not retake at B8
    assert on(planes, "ko") == ["B8"]
    assert planes[plane_index("legal")][1, 1] == 0
    assert planes[plane_index("legal")][8, 8] == 1
    state.play(gtp_to_action("J1", 9))  # a ko threat elsewhere
    assert on(encode(state), "ko") == []  # Black is not banned from anything
    state.play(gtp_to_action("J2", 9))  # Black answers elsewhere: the ko is open again
    planes = encode(state)
    assert on(planes, "ko") == []
    assert planes[plane_index("legal")][1, 1] == 1


@pytest.mark.parametrize("seed", range(3))
def test_legal_plane_is_the_legal_mask(seed):
    state = random_game(7, 30 + 5 * seed, seed)
    mask = state.legal_mask()
    planes = encode(state)
    assert np.array_equal(planes[plane_index("legal")].reshape(-1), mask[:-1])
    # A mask the caller already has is used as given.
    custom = np.zeros(7 * 7 + 1, bool)
    custom[[3, 10]] = True
    given = encode(state, legal=custom)
    assert np.flatnonzero(given[plane_index("legal")].reshape(-1)).tolist() == [3, 10]


def test_legal_plane_excludes_superko():
    state = position(KO, BLACK)
    for vertex in ("C8", "J1", "J2", "B8", "pass", "pass"):  # take, threats, retake, passes
        state.play(gtp_to_action(vertex, 9))
    # Simple ko no longer binds Black (the passes cleared it), but retaking at
    # C8 would recreate the position after Black's first capture.
    assert state.illegal_reason(gtp_to_action("C8", 9)) == "superko"
    planes = encode(state)
    assert on(planes, "ko") == []
    assert planes[plane_index("legal")][1, 2] == 0
    assert planes[plane_index("legal")][0, 8] == 1


# --------------------------------------------------------------------------
# Compact storage and batches.
# --------------------------------------------------------------------------


def test_compact_rebuilds_the_same_planes():
    states = [random_game(9, m, seed=m) for m in (0, 3, 20, 41)]
    for state in states:
        c = compact(state)
        assert c.stones.dtype == np.int8 and c.stones.shape == (8, 9, 9)
        assert c.legal.shape == (81,)
        assert np.array_equal(decode(c), encode(state))
    packed = [compact(s) for s in states]
    batch = decode_batch(
        np.stack([c.stones for c in packed]),
        np.array([c.to_play for c in packed]),
        np.array([c.komi for c in packed]),
        np.array([c.ko for c in packed]),
        np.stack([c.legal for c in packed]),
    )
    assert np.array_equal(batch, np.stack([encode(s) for s in states]))
    assert np.array_equal(encode_batch(states), batch)


def test_encode_batch_rejects_mixed_sizes():
    with pytest.raises(ValueError, match="one board size"):
        encode_batch([GameState(9), GameState(13)])


def test_planes_follow_the_board_symmetries():
    for seed in range(3):
        played = random_game(9, 40, seed)
        colors = played.board.to_array()
        base = position_from_array(colors, played.to_play)
        planes = encode(base)
        for k in range(8):
            moved = position_from_array(apply_planes(colors, k), played.to_play)
            assert np.array_equal(encode(moved), apply_planes(planes, k)), (seed, k)


def position_from_array(colors: np.ndarray, to_play: int) -> GameState:
    state = GameState(colors.shape[0])
    flat = colors.reshape(-1)
    state.setup(black=np.flatnonzero(flat == BLACK).tolist(), white=np.flatnonzero(flat == WHITE).tolist())
    state.to_play = to_play
    return state


# --------------------------------------------------------------------------
# Ladders.
# --------------------------------------------------------------------------

LADDER = """
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . X . . . .
. . . X O . . . .
. . . . . X . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""
# White stone on G7 breaks the ladder that runs up and right.
LADDER_BREAKER = LADDER.replace(". . . . . . . . .\n. . . . X", ". . . . . . O . .\n. . . . X", 1)


def test_ladder_capture_on_an_open_board():
    planes = encode(position(LADDER, BLACK))
    assert on(planes, "opp_ladder_capturable") == ["E5"]
    assert on(planes, "ladder_capture_move") == vertices("E4 F5")  # both directions reach the edge
    assert on(planes, "own_ladder_dead") == [] and on(planes, "own_ladder_threat") == []
    white = encode(position(LADDER, WHITE))
    assert on(white, "own_ladder_threat") == ["E5"]
    assert on(white, "opp_ladder_capturable") == [] and on(white, "ladder_capture_move") == []


def test_ladder_breaker_leaves_one_working_direction():
    planes = encode(position(LADDER_BREAKER, BLACK))
    assert on(planes, "opp_ladder_capturable") == ["E5"]
    assert on(planes, "ladder_capture_move") == ["F5"]  # E4 chases White into G7


def test_stone_in_atari_dead_in_a_ladder_unless_broken():
    atari = LADDER.replace(". . . . . X . . .", ". . . . X X . . .", 1)  # Black E4 added
    assert on(encode(position(atari, WHITE)), "own_ladder_dead") == ["E5"]
    broken = LADDER_BREAKER.replace(". . . . . X . . .", ". . . . X X . . .", 1)
    assert on(encode(position(broken, WHITE)), "own_ladder_dead") == []


ESCAPE_BY_CAPTURE = """
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . X X . . .
. . . X O . X . .
. . . O X . . . .
. . . . O . . . .
. . . . . . . . .
. . . . . . . . .
"""


def test_ladder_escape_by_capturing_a_chasing_stone():
    # Extending at F5 dies, but White can take E4 (in atari at F4) and live.
    assert on(encode(position(ESCAPE_BY_CAPTURE, WHITE)), "own_ladder_dead") == []
    no_capture = ESCAPE_BY_CAPTURE.replace(". . . . O . . . .", ". . . . . . . . .", 1)  # E4 has 2 libs
    assert on(encode(position(no_capture, WHITE)), "own_ladder_dead") == ["E5"]


def test_ladders_can_be_left_out():
    planes = encode(position(LADDER, BLACK), ladders=False)
    for name in LADDER_PLANES:
        assert not planes[plane_index(name)].any()
    assert on(planes, "opp_libs_2") == ["E5"]


def _group(colors: np.ndarray, a: int, n: int) -> tuple[set[int], set[int]]:
    color = colors[a]
    stones, libs, todo = {a}, set(), [a]
    while todo:
        p = todo.pop()
        r, c = divmod(p, n)
        for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= rr < n and 0 <= cc < n:
                q = rr * n + cc
                if colors[q] == EMPTY:
                    libs.add(q)
                elif colors[q] == color and q not in stones:
                    stones.add(q)
                    todo.append(q)
    return stones, libs


def _ref_captured(board: Board, target: int, attacker_turn: bool, nodes: list[int]) -> bool:
    """Slow, plain reading of the same ladder rules on the real board engine."""
    nodes[0] += 1
    n = board.size
    colors = board.to_array().reshape(-1)
    defender = int(colors[target])
    attacker = 3 - defender
    stones, libs = _group(colors, target, n)
    if attacker_turn:
        if len(libs) == 1:
            return board.is_legal(next(iter(libs)), attacker)
        if len(libs) != 2:
            return False
        for move in sorted(libs):
            if board.is_legal(move, attacker):
                after = board.copy()
                after.play(move, attacker)
                if _ref_captured(after, target, False, nodes):
                    return True
        return False
    if len(libs) != 1:
        return False
    moves = set(libs)
    for s in stones:
        r, c = divmod(s, n)
        for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            q = rr * n + cc
            if 0 <= rr < n and 0 <= cc < n and colors[q] == attacker:
                attacker_libs = _group(colors, q, n)[1]
                if len(attacker_libs) == 1:
                    moves |= attacker_libs
    for move in sorted(moves):
        if board.is_legal(move, defender):
            after = board.copy()
            after.play(move, defender)
            if not _ref_captured(after, target, True, nodes):
                return False
    return True


def _ref_ladder_planes(state: GameState, max_nodes: int) -> dict[str, np.ndarray] | None:
    """The four ladder planes by the reference reader; None if a search ran long."""
    n, me = state.size, state.to_play
    board = state.board
    colors = board.to_array().reshape(-1)
    out = {name: np.zeros(n * n, bool) for name in LADDER_PLANES}
    done: set[int] = set()
    nodes = [0]
    for a in range(n * n):
        if colors[a] == EMPTY or a in done:
            continue
        stones, libs = _group(colors, a, n)
        done |= stones
        group = sorted(stones)
        nodes[0] = 0
        if colors[a] == me and len(libs) == 1:
            out["own_ladder_dead"][group] = _ref_captured(board, a, False, nodes)
        elif colors[a] == me and len(libs) == 2:
            out["own_ladder_threat"][group] = _ref_captured(board, a, True, nodes)
        elif colors[a] != me and len(libs) == 2:
            for move in sorted(libs):
                if board.is_legal(move, me):
                    after = board.copy()
                    after.play(move, me)
                    if _ref_captured(after, a, False, nodes):
                        out["opp_ladder_capturable"][group] = True
                        out["ladder_capture_move"][move] = True
        if nodes[0] > max_nodes:
            return None
    return out


def test_ladder_planes_match_a_reference_reader_on_random_positions():
    compared = marked = 0
    for seed in range(40):
        size = 7 if seed % 4 == 0 else 9
        state = random_game(size, 15 + seed % 50, seed)
        expected = _ref_ladder_planes(state, max_nodes=200)
        if expected is None:
            continue
        planes = encode(state)
        for name in LADDER_PLANES:
            got = planes[plane_index(name)].reshape(-1).astype(bool)
            assert np.array_equal(got, expected[name]), (seed, name)
            marked += int(got.sum())
        compared += 1
    assert compared >= 35
    assert marked >= 30  # the positions did contain ladders to compare


@pytest.mark.parametrize("size, games, stride", [(9, 6, 7), (13, 3, 17), (19, 2, 41)])
def test_ladder_reader_matches_the_reference_through_whole_random_games(size, games, stride):
    # Whole games (filled-up boards included, where targets are big and the
    # reader's shortcuts for extensions and ataris matter most), read afresh
    # by features.encode and, position after position, through one ladder
    # cache as the env reads them; every stride-th position also by the
    # reference reader.
    context = ladders.context_views(ladders.new_context(size), size)
    out = np.empty((NUM_PLANES, size, size), np.float32)
    compared = marked = 0
    for seed in range(games):
        state = GameState(size)
        rng = np.random.default_rng(100 + seed)
        for ply in range(size * size * 3 // 2):
            legal = np.flatnonzero(state.legal_mask()[:-1])
            legal = [a for a in legal.tolist() if not state.board.is_eye(a, state.to_play)]
            if not legal:
                break
            state.play(int(rng.choice(legal)))
            planes = encode(state)
            c = compact(state)
            features.fill_planes(c.stones, c.to_play, c.komi, c.ko, c.legal, out, True, context)
            assert np.array_equal(out, planes), (seed, ply)
            if ply % stride:
                continue
            expected = _ref_ladder_planes(state, max_nodes=200)
            if expected is None:
                continue
            for name in LADDER_PLANES:
                got = planes[plane_index(name)].reshape(-1).astype(bool)
                assert np.array_equal(got, expected[name]), (seed, ply, name)
                marked += int(got.sum())
            compared += 1
    assert compared >= 10 and marked >= 20


def test_feature_modules_do_not_import_torch():
    code = "import sys, goagent.features, goagent.symmetry; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
    features.warmup()  # and the warm-up entry point runs
