"""Coordinate conversions: action <-> (row, col) <-> GTP vertex <-> SGF point <-> sgfmill.

Round trips over every point of every size from 2 to 25, known anchors, the
error cases, and cross-checks against sgfmill's own GTP and SGF converters.
"""

from __future__ import annotations

import pytest
from sgfmill import common, sgf_properties

from goagent.coords import (
    BLACK,
    EMPTY,
    GTP_COLUMNS,
    MAX_SIZE,
    MIN_SIZE,
    WHITE,
    action_to_gtp,
    action_to_sgf,
    action_to_sgfmill,
    check_size,
    color_name,
    gtp_to_action,
    is_pass,
    opponent,
    parse_color,
    pass_action,
    sgf_to_action,
    sgfmill_to_action,
    to_action,
    to_rowcol,
)

SIZES = range(MIN_SIZE, MAX_SIZE + 1)


@pytest.mark.parametrize("size", SIZES)
def test_round_trips_over_every_point(size: int) -> None:
    vertices, points = set(), set()
    for action in range(size * size + 1):
        rc = to_rowcol(action, size)
        if action == size * size:
            assert rc is None and is_pass(action, size) and action == pass_action(size)
        else:
            assert rc == divmod(action, size) and to_action(*rc, size) == action
        vertex = action_to_gtp(action, size)
        assert gtp_to_action(vertex, size) == action
        assert gtp_to_action(vertex.lower(), size) == action
        assert gtp_to_action(f"  {vertex} ", size) == action
        assert "I" not in vertex.upper() or vertex == "pass"
        point = action_to_sgf(action, size)
        assert sgf_to_action(point, size) == action
        assert sgfmill_to_action(action_to_sgfmill(action, size), size) == action
        vertices.add(vertex)
        points.add(point)
    assert len(vertices) == len(points) == size * size + 1  # all distinct


@pytest.mark.parametrize("size", SIZES)
def test_agrees_with_sgfmill(size: int) -> None:
    """sgfmill's own converters (row 0 at the bottom) are an independent oracle."""
    for action in range(size * size + 1):
        move = action_to_sgfmill(action, size)
        assert common.format_vertex(move) == action_to_gtp(action, size)
        assert common.move_from_vertex(action_to_gtp(action, size), size) == move
        if move is not None:
            assert sgf_properties.serialise_go_point(move, size).decode() == action_to_sgf(action, size)
            assert sgf_properties.interpret_go_point(action_to_sgf(action, size).encode(), size) == move


def test_anchor_points_19x19() -> None:
    n = 19
    assert action_to_gtp(0, n) == "A19"  # row 0 is the top line
    assert action_to_gtp(n * n - 1, n) == "T1"
    assert action_to_gtp(18, n) == "T19" and action_to_gtp(n * (n - 1), n) == "A1"
    assert gtp_to_action("D4", n) == to_action(15, 3, n)
    assert gtp_to_action("J10", n) == to_action(9, 8, n)  # J is the 9th column: I is skipped
    assert gtp_to_action("H10", n) == to_action(9, 7, n)
    assert action_to_sgf(0, n) == "aa" and action_to_sgf(to_action(15, 3, n), n) == "dp"
    assert action_to_sgfmill(0, n) == (18, 0) and action_to_sgfmill(n * (n - 1), n) == (0, 0)
    assert sgfmill_to_action((0, 0), n) == gtp_to_action("A1", n)


def test_gtp_columns() -> None:
    assert GTP_COLUMNS == "ABCDEFGHJKLMNOPQRSTUVWXYZ"
    assert action_to_gtp(to_action(0, 24, 25), 25) == "Z25"
    assert action_to_gtp(to_action(24, 8, 25), 25) == "J1"


@pytest.mark.parametrize("text", ["pass", "PASS", "Pass", " pass\n"])
def test_gtp_pass(text: str) -> None:
    assert gtp_to_action(text, 9) == 81
    assert action_to_gtp(81, 9) == "pass"


@pytest.mark.parametrize(
    ("vertex", "size"),
    [
        ("I5", 19),  # there is no column I
        ("i5", 19),
        ("U1", 19),  # column off the board
        ("K1", 9),
        ("A0", 19),  # row off the board
        ("A20", 19),
        ("A10", 9),
        ("", 19),
        ("A", 19),
        ("4D", 19),
        ("DD", 19),
        ("D-4", 19),
        ("D4.5", 19),
        ("passe", 19),
        ("resign", 19),
        ("AA1", 25),
    ],
)
def test_gtp_errors(vertex: str, size: int) -> None:
    with pytest.raises(ValueError):
        gtp_to_action(vertex, size)


@pytest.mark.parametrize("size", [2, 9, 13, 19])
def test_sgf_pass_spellings_up_to_19(size: int) -> None:
    assert sgf_to_action("", size) == size * size
    assert sgf_to_action("tt", size) == size * size
    assert action_to_sgf(size * size, size) == ""
    assert sgf_properties.interpret_go_point(b"tt", size) is None  # sgfmill agrees


@pytest.mark.parametrize("size", [20, 21, 25])
def test_sgf_tt_is_a_point_above_19(size: int) -> None:
    assert sgf_to_action("tt", size) == to_action(19, 19, size)
    assert sgf_to_action("", size) == size * size


@pytest.mark.parametrize(
    ("point", "size"),
    [("a", 19), ("abc", 19), ("j", 9), ("ja", 9), ("aj", 9), ("zz", 25), ("AA", 19), ("a1", 19), ("ta", 19)],
)
def test_sgf_errors(point: str, size: int) -> None:
    with pytest.raises(ValueError):
        sgf_to_action(point, size)


@pytest.mark.parametrize("size", [5, 19])
def test_rowcol_and_sgfmill_errors(size: int) -> None:
    for row, col in [(-1, 0), (0, -1), (size, 0), (0, size)]:
        with pytest.raises(ValueError):
            to_action(row, col, size)
        with pytest.raises(ValueError):
            sgfmill_to_action((row, col), size)
    for action in (-1, size * size + 1):
        with pytest.raises(ValueError):
            to_rowcol(action, size)
        with pytest.raises(ValueError):
            action_to_gtp(action, size)
    assert sgfmill_to_action(None, size) == size * size
    assert action_to_sgfmill(size * size, size) is None


def test_colors() -> None:
    assert (EMPTY, BLACK, WHITE) == (0, 1, 2)
    assert opponent(BLACK) == WHITE and opponent(WHITE) == BLACK
    for text, color in [("b", BLACK), ("B", BLACK), ("black", BLACK), (" White ", WHITE), ("w", WHITE)]:
        assert parse_color(text) == color
    assert color_name(BLACK) == "black" and color_name(WHITE) == "white"
    with pytest.raises(ValueError):
        parse_color("red")
    with pytest.raises(ValueError):
        color_name(EMPTY)


@pytest.mark.parametrize("size", [0, 1, 26, 2.0, "19"])
def test_check_size_rejects_unsupported_sizes(size) -> None:
    with pytest.raises(ValueError):
        check_size(size)
    assert check_size(19) == 19
