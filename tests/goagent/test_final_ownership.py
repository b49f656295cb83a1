"""The SL ownership target of a counted record (goagent.final_ownership): dead stones
off, found from the markup, the finder, or the finder corrected to the recorded margin."""

from __future__ import annotations

import numpy as np
from test_dead_stones import DEAD, ONE_EYE, TWO_EYES, state_of

import goagent.dead_stones as dead_stones_module
from goagent.coords import BLACK, WHITE
from goagent.data import replay_game
from goagent.final_ownership import final_dead, final_ownership, markup
from goagent.scoring import score_state
from goagent.sgf import GameRecord


def _margin(state, dead) -> float:
    return score_state(state, dead).margin


def test_the_finder_s_dead_set_when_it_reproduces_the_margin():
    state, dead = state_of(ONE_EYE)
    owner, how = final_ownership(state, _margin(state, dead))
    assert how == "finder"
    assert (owner == BLACK).all()  # the dead White group's points are Black's territory
    assert (state.ownership()[dead] == WHITE).all()  # what the board as recorded says


def test_markup_is_trusted_first():
    state, dead = state_of(DEAD)
    colors = state.board.to_array().reshape(-1)
    tb = np.zeros(colors.size, bool)
    tb[np.flatnonzero(dead & (colors == WHITE))] = True
    tw = np.zeros(colors.size, bool)
    tw[np.flatnonzero(dead & (colors == BLACK))] = True
    found, how = final_dead(state, 1000.0, (tb, tw))  # the margin is not checked against markup
    assert how == "markup" and (found == dead).all()


def test_a_wrong_judgement_is_flipped_to_match_the_recorded_margin(monkeypatch):
    state, dead = state_of(ONE_EYE)
    real = dead_stones_module.judged_groups

    def mistaken(state, *args, **kwargs):  # the dead group judged barely alive
        return [
            (stones, 0.05 if dead[stones].all() else lean) for stones, lean in real(state, *args, **kwargs)
        ]

    monkeypatch.setattr(dead_stones_module, "judged_groups", mistaken)
    found, how = final_dead(state, _margin(state, dead))
    assert how == "flipped" and (found == dead).all()


def test_a_margin_no_dead_set_gives_keeps_the_finder_s_judgement():
    state, dead = state_of(TWO_EYES)
    found, how = final_dead(state, 1000.0)
    assert how == "unmatched" and not found.any()


def test_a_counted_record_s_target_has_its_dead_stones_off():
    state, dead = state_of(ONE_EYE)
    colors = state.board.to_array().reshape(-1)
    margin = _margin(state, dead)
    record = GameRecord(
        size=9,
        komi=0.5,
        setup_black=np.flatnonzero(colors == BLACK).tolist(),
        setup_white=np.flatnonzero(colors == WHITE).tolist(),
        result=f"B+{margin}",
        rules="Japanese",
    )
    game = replay_game(record)
    assert game["ownership_label"] == "finder" and (game["ownership"] == BLACK).all()
    resigned = replay_game(GameRecord(size=9, setup_black=[0], result="B+R"))
    assert "ownership_label" not in resigned and not resigned["ownership"].any()  # no target


def test_markup_reads_the_last_marked_node():
    sgf = b"(;SZ[3];B[aa];W[cc]TB[ab];B[bb]TB[ba][ca]TW[cb])"
    tb, tw = markup(sgf, 3)
    assert sorted(np.flatnonzero(tb)) == [1, 2] and np.flatnonzero(tw).tolist() == [5]
    assert markup(b"(;SZ[3];B[aa])", 3) is None
