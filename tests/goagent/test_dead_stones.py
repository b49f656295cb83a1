"""The dead-stone finder (goagent.dead_stones) on hand-built finished positions and on
real KGS records.

Diagrams as in test_scoring: ``X`` black, ``O`` white, ``.`` empty, ``x``/``o`` a
stone that is dead; row 0 (GTP's top line) first.  In every position Black's
outer wall has single-point eyes along rows 2 and 8, so it is pass-alive and
only White's group is in question.  GNU Go referees the same positions in
tests/gtp/test_rules_handlers.py.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from test_scoring import DEAD, SEKI, board

from goagent.coords import BLACK, WHITE
from goagent.dead_stones import dead_stones, groups, ownership, pass_alive
from goagent.game import GameState
from goagent.rules import PRESETS

# White lives with two true eyes (C5 and E5) inside Black's area.
TWO_EYES = """
X X X X X X X X X
X . X . X . X . X
X X X X X X X X X
X X O O O O O X X
X X O . O . O X X
X X O O O O O X X
X X X X X X X X X
X . X . X . X . X
X X X X X X X X X
"""

# A big white group (13 stones) with one eye (D5); its other liberty H5 is Black's to fill.
ONE_EYE = """
X X X X X X X X X
X . X . X . X . X
X X X X X X X X X
X X o o o o X X X
X o o . o o o . X
X X o o o o X X X
X X X X X X X X X
X . X . X . X . X
X X X X X X X X X
"""

# One true eye (D5) and one false eye (G5: Black holds all four diagonals), so the
# stones around G5 are separate strings and Black captures them there: all dead.
FALSE_EYE = """
X X X X X X X X X
X . X . X . X . X
X X X X X X X X X
X X o o o X o X X
X o o . o o . o X
X X o o o X o X X
X X X X X X X X X
X . X . X . X . X
X X X X X X X X X
"""

CASES = {"dead": DEAD, "two eyes": TWO_EYES, "one eye": ONE_EYE, "false eye": FALSE_EYE, "seki": SEKI}


def state_of(diagram: str, to_play: int = BLACK) -> tuple[GameState, np.ndarray]:
    colors, dead, n = board(diagram)
    state = GameState(n, komi=0.5, rules=PRESETS["japanese"])
    state.setup(
        black=np.flatnonzero(colors == BLACK).tolist(), white=np.flatnonzero(colors == WHITE).tolist()
    )
    state.set_to_play(to_play)
    return state, dead


@pytest.mark.parametrize(("name", "to_play"), list(itertools.product(CASES, (BLACK, WHITE))))
def test_dead_stones_of_hand_built_positions(name, to_play):
    state, dead = state_of(CASES[name], to_play)
    found = dead_stones(state)
    assert set(np.flatnonzero(found)) == set(np.flatnonzero(dead))


def test_the_judgement_does_not_depend_on_the_seed():
    state, dead = state_of(ONE_EYE)
    for seed in range(5):
        assert (dead_stones(state, seed=seed) == dead).all()


def test_ownership_is_settled_where_the_status_is_clear():
    state, _ = state_of(TWO_EYES)
    own = ownership(state)
    colors = state.board.to_array().reshape(-1)
    assert (own[colors == WHITE] == -1.0).all() and (own[colors == BLACK] == 1.0).all()
    state, _ = state_of(ONE_EYE)
    assert (ownership(state) > 0.9).all()  # White's stones captured, every point Black's


def test_pass_alive_finds_two_eyed_groups_only():
    colors, _, n = board(TWO_EYES)
    assert (pass_alive(colors, n, WHITE) == (colors == WHITE)).all()
    assert (pass_alive(colors, n, BLACK) == (colors == BLACK)).all()
    for diagram in (ONE_EYE, FALSE_EYE, SEKI):
        colors, _, n = board(diagram)
        assert not pass_alive(colors, n, WHITE).any()
    # The seki strings have one eye each and share a liberty: not pass-alive.
    colors, _, n = board(SEKI)
    assert not pass_alive(colors, n, BLACK)[: 2 * n].any()


def test_strings_around_a_one_point_region_are_one_group():
    colors, _, n = board(FALSE_EYE)
    white = [g for g in groups(colors, n) if colors[g[0]] == WHITE]
    # The main string and the three stones around G5 join there.
    assert len(white) == 1 and sorted(white[0]) == np.flatnonzero(colors == WHITE).tolist()
    colors, _, n = board(DEAD)
    # The lone dead stones are groups of their own; each wall is one group.
    assert sorted(len(g) for g in groups(colors, n)) == [1, 1, 16, 18]  # White 16, Black 18


def test_the_state_is_left_as_it_was():
    state, _ = state_of(FALSE_EYE)
    before = state.board.copy()
    dead_stones(state)
    assert state.board == before


KGS = Path(__file__).resolve().parents[3] / "shared" / "data" / "kgs-6d"


@pytest.mark.skipif(not (KGS / "KGS-2017_01-19-733-.tar.gz").exists(), reason=f"no KGS archives in {KGS}")
def test_final_score_of_real_kgs_records():
    """The first 40 counted games of the 2017_01 archive, scored as GTP final_score does
    (the record's rules and komi, no TB/TW markup), against their recorded results.
    On all 7,399 counted games the figures are in docs/BENCHMARKS.md."""
    from goagent.rules_survey import counted_games
    from goagent.scoring import score_state

    games = winners = exact = 0
    for name, _, state, _, margin in counted_games(KGS):
        if "2017_01" not in name:
            continue
        counted = score_state(state, dead_stones(state))
        games += 1
        winners += (counted.margin > 0) == (margin > 0)
        exact += counted.margin == margin
        if games == 40:
            break
    assert games == 40
    assert winners >= 39 and exact >= 36, (winners, exact)


def test_a_network_s_ownership_is_averaged_in():
    """``network`` (Black positive) is averaged with the playouts' ownership at
    ``NETWORK_WEIGHT``: a network sure that White's one-eyed group lives moves its lean
    from -1 a third of the way to +1, not enough to outvote playouts that all capture it."""
    from goagent.dead_stones import NETWORK_WEIGHT, judged_groups

    state, dead = state_of(ONE_EYE)
    alone = dict((tuple(s), lean) for s, lean in judged_groups(state))
    white_lives = np.where(state.board.to_array().reshape(-1) == WHITE, -1.0, 1.0)
    both = dict((tuple(s), lean) for s, lean in judged_groups(state, network=white_lives))
    for stones, lean in alone.items():
        # the network's +-1 is +1 in the owner's view
        assert both[stones] == pytest.approx((1 - NETWORK_WEIGHT) * lean + NETWORK_WEIGHT)
    assert list(alone.values()) == [pytest.approx(-1.0)]
    assert (dead_stones(state, network=white_lives) == dead).all()
    assert (dead_stones(state, network=-white_lives) == dead).all()


def test_misses_report_says_where_gnu_go_contradicts_the_record_too():
    from goagent.rules_survey import report_misses

    wrong = [
        {"game": "a", "rules": "japanese", "recorded": 9.5, "goagent": -9.5, "gnugo": -9.5},  # sign error
        {"game": "b", "rules": "japanese", "recorded": -2.5, "goagent": 8.5, "gnugo": 7.5},
        {"game": "c", "rules": "japanese", "recorded": -27.5, "goagent": 54.5, "gnugo": -27.5},
        {"game": "d", "rules": "chinese", "recorded": 3.5, "goagent": -1.5, "gnugo": None},
    ]
    line = report_misses(wrong)
    assert "4 games with the winner wrong" in line
    assert "GNU Go counted 3 of them" in line and "in 2, and in 1 both counts" in line


@pytest.mark.skipif(not any(KGS.glob("*.tar.gz")), reason=f"no KGS archives in {KGS}")
def test_misses_are_listed_as_json(tmp_path, capsys):
    import json

    from goagent.rules_survey import main

    out = tmp_path / "misses.json"
    args = ["--data", str(KGS), "--no-survey", "--final-score", "3", "--model", "playouts"]
    assert main(args + ["--misses", str(out)]) == 0
    listed = json.loads(out.read_text())
    assert f"{len(listed)} games with the winner wrong" in capsys.readouterr().out
    for miss in listed:
        assert (miss["goagent"] > 0) != (miss["recorded"] > 0)
