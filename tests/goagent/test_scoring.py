"""Named scoring cases from ASCII diagrams: dame, dead stones, seki, handicap bonus.

Diagrams: ``X`` black, ``O`` white, ``.`` empty, ``x``/``o`` a black/white stone
marked dead; row 0 (GTP's top line) first.  Expected counts are worked out by
hand in the comments.
"""

from __future__ import annotations

import numpy as np
import pytest

from goagent.coords import BLACK, EMPTY, WHITE, gtp_to_action
from goagent.game import GameState
from goagent.rules import PRESETS, parse_rules
from goagent.scoring import (
    dead_from_ownership,
    label_regions,
    score,
    score_state,
    seki_strings,
    status_lists,
    strings,
)

_CHARS = {"X": BLACK, "O": WHITE, ".": EMPTY, "x": BLACK, "o": WHITE}


def board(diagram: str) -> tuple[np.ndarray, np.ndarray, int]:
    """``(colors int8[n*n], dead bool[n*n], n)`` from a diagram."""
    rows = [line.replace(" ", "") for line in diagram.strip().splitlines()]
    n = len(rows)
    assert all(len(row) == n for row in rows)
    text = "".join(rows)
    colors = np.array([_CHARS[ch] for ch in text], np.int8)
    dead = np.array([ch in "xo" for ch in text])
    return colors, dead, n


# Two walls with three dame points between them (never filled, as in KGS games).
DAME = """
X X X . O O O
X . X . O . O
X X X . O O O
X . X X O . O
X X X X O O O
X . X X O . O
X X X X O O O
"""


def test_regions_are_one_flood_fill():
    colors, _, n = board(DAME)
    labels, regions = label_regions(colors, n)
    assert labels.max() + 1 == len(regions)
    dame = [r for r in regions if r.color == EMPTY and r.borders == BLACK | WHITE]
    assert [r.points for r in dame] == [(3, 10, 17)]
    assert len(strings(colors, n)) == 2


def test_dame_count_for_nobody_under_both_scorings():
    colors, dead, n = board(DAME)
    # Area: Black 22 stones + 3 eyes = 25, White 18 + 3 = 21.  Territory: 3 - 3.
    area = score(colors, n, PRESETS["chinese"], komi=0.0)
    territory = score(colors, n, PRESETS["japanese"], komi=0.0)
    assert (area.black, area.white) == (25, 21)
    assert (territory.black, territory.white) == (3, 3)
    assert area.dame.sum() == 3 and (area.owner[area.dame] == EMPTY).all()


# A dead white stone (o) in Black's territory and a dead black stone (x) in White's.
DEAD = """
X X X X O O O
X o . X O . O
X . . X O O O
X X X X O x O
. . . X O . O
X X X X O O O
. . . X O . .
"""


def test_dead_stones_are_prisoners_and_their_points_territory():
    colors, dead, n = board(DEAD)
    # Territory: Black B6 (the dead stone's point), C6, B5, C5 + A3-C3 + A1-C1 = 10;
    # White F6 + F4 (the dead stone's point), F3 + F1, G1 = 5.
    # Prisoners: 2 captured in play by Black, plus one dead stone each.
    japanese = score(colors, n, PRESETS["japanese"], komi=6.5, captures=(2, 0), dead=dead)
    assert (japanese.black, japanese.white) == (10 + 2 + 1, 5 + 0 + 1)
    assert japanese.margin == 13 - 6 - 6.5
    assert japanese.owner[gtp_to_action("B6", n)] == BLACK
    assert japanese.owner[gtp_to_action("F4", n)] == WHITE
    # Area: live stones (Black 18, White 16) + territory; captures do not count.
    area = score(colors, n, PRESETS["chinese"], komi=6.5, captures=(2, 0), dead=dead)
    assert (area.black, area.white) == (28, 21)


# 7x7: a seki on the top edge.  Black's string (A7 C7 A6-D6) and White's (E7 G7 E6-G6)
# each have one eye (B7, F7) and share D7; filling D7 puts the filler in atari.
SEKI = """
X . X . O . O
X X X X O O O
O O O O X X X
. . . O X . .
. . . O X . .
. . . O X . .
. . . O X . .
"""


def test_seki_is_found():
    colors, _, n = board(SEKI)
    seki = seki_strings(colors, n)
    assert set(np.flatnonzero(seki)) == set(np.flatnonzero(colors[: 2 * n] != EMPTY))


def test_seki_eyes_count_under_chinese_not_under_japanese():
    colors, _, n = board(SEKI)
    # Area: Black 6 + 7 stones, 8 territory, 1 seki eye = 22; White 5 + 8 stones, 12 + 1 = 26.
    chinese = score(colors, n, PRESETS["chinese"], komi=0.0)
    assert (chinese.black, chinese.white) == (22, 26)
    # Territory (tax seki): the eyes B7 and F7 count for nobody: 8 and 12.
    japanese = score(colors, n, PRESETS["japanese"], komi=0.0)
    assert (japanese.black, japanese.white) == (8, 12)
    assert japanese.owner[gtp_to_action("B7", n)] == EMPTY
    # Territory without the seki tax counts them.
    untaxed = score(colors, n, parse_rules({"scoring": "TERRITORY", "tax": "NONE"}), komi=0.0)
    assert (untaxed.black, untaxed.white) == (9, 13)


def test_two_walls_sharing_a_dame_point_are_not_seki():
    colors, _, n = board(DAME)
    assert not seki_strings(colors, n).any()


# The white stone on C1 has one liberty, B1: Black could capture it there, so White
# must connect; B1 is no territory under territory scoring (KGS counts it so).
MUST_FILL = """
. . O X . . .
. . O X . . .
. . O X . . .
. . O X . . .
. . O X . . .
O O X X . . .
O . O X . . .
"""


def test_a_point_that_must_be_filled_is_no_territory():
    colors, _, n = board(MUST_FILL)
    japanese = score(colors, n, PRESETS["japanese"], komi=0.0)
    assert japanese.owner[gtp_to_action("B1", n)] == EMPTY
    assert (japanese.black, japanese.white) == (21, 10)
    chinese = score(colors, n, PRESETS["chinese"], komi=0.0)
    assert chinese.owner[gtp_to_action("B1", n)] == WHITE  # area: White's either way


def test_strings_next_to_a_dame_point_keep_their_eyes():
    # White's strings touch the dame E5 and have eye points besides it: nothing to fill.
    colors, _, n = board(
        """
        X X X X O . O
        X . . X O O O
        X X X X . O O
        X . X X O . O
        X X X X O O O
        X . X X O . O
        X X X X O O O
        """
    )
    japanese = score(colors, n, PRESETS["japanese"], komi=0.0)
    assert (japanese.black, japanese.white) == (4, 3)


@pytest.mark.parametrize(
    ("rules", "bonus"),
    [("japanese", 0), ("korean", 0), ("tromp-taylor", 0), ("new-zealand", 0), ("chinese", 4), ("aga", 3)],
)
def test_handicap_bonus_per_ruleset(rules, bonus):
    colors, _, n = board(DAME)
    plain = score(colors, n, PRESETS[rules], komi=0.5, handicap=0)
    handicap = score(colors, n, PRESETS[rules], komi=0.5, handicap=4)
    assert handicap.komi == 0.5 + bonus
    assert plain.margin - handicap.margin == bonus


def test_a_single_stone_handicap_gets_no_bonus():
    assert PRESETS["chinese"].handicap_bonus(1) == 0 and PRESETS["aga"].handicap_bonus(1) == 0


def test_dead_from_ownership_uses_the_mean_of_each_string():
    colors, _, n = board(DEAD)
    ownership = np.where(colors == WHITE, -1.0, 1.0)
    ownership[gtp_to_action("B6", n)] = 0.9  # the white stone is Black's
    ownership[gtp_to_action("F4", n)] = -0.2  # the black stone leans White's by 0.2
    dead = dead_from_ownership(colors, n, ownership)
    assert set(np.flatnonzero(dead)) == {gtp_to_action("B6", n), gtp_to_action("F4", n)}
    dead = dead_from_ownership(colors, n, ownership, threshold=0.5)
    assert set(np.flatnonzero(dead)) == {gtp_to_action("B6", n)}


def test_score_state_and_status_lists_read_the_game():
    state = GameState(7, komi=0.5, rules=PRESETS["japanese"])
    colors, _, n = board(SEKI)
    state.setup(
        black=np.flatnonzero(colors == BLACK).tolist(), white=np.flatnonzero(colors == WHITE).tolist()
    )
    counted = score_state(state)
    assert counted.margin == 8 - 12 - 0.5
    lists = status_lists(state, np.zeros(n * n, bool))
    assert len(lists["seki"]) == 2 and lists["dead"] == [] and len(lists["alive"]) == 2
    assert score_state(state, rules=PRESETS["chinese"]).margin == 22 - 26 - 0.5


def test_tromp_taylor_score_matches_game_state_score():
    state = GameState(7, komi=7.5)
    for vertex in ("D4", "E5", "C3", "E3", "pass", "pass"):
        state.play(state.size**2 if vertex == "pass" else gtp_to_action(vertex, 7))
    assert score_state(state).margin == state.score()
