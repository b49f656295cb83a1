"""GTP transcript tests: every command, its answers and its errors (in process)."""

from __future__ import annotations

import time

import pytest
from gtp_testkit import make_engine, one, transcript

from goagent.coords import BLACK, EMPTY, WHITE, gtp_to_action
from goagent.mcts import ChildInfo, SearchResult
from goagent.player import Decision

REQUIRED = [
    "protocol_version", "name", "version", "known_command", "list_commands", "quit", "boardsize",
    "clear_board", "komi", "play", "genmove", "undo", "showboard", "fixed_handicap",
    "place_free_handicap", "set_free_handicap", "loadsgf", "printsgf", "final_score",
    "final_status_list", "time_settings", "time_left", "kgs-time_settings", "kgs-genmove_cleanup",
    "lz-analyze", "kata-analyze", "lz-genmove_analyze", "kata-genmove_analyze", "gogui-analyze_commands",
]  # fmt: skip


@pytest.fixture
def engine():
    return make_engine()


def stone(engine, vertex: str) -> int:
    return int(engine.state.board.color_at(gtp_to_action(vertex, engine.size)))


# -- protocol ------------------------------------------------------------------


def test_handshake_answers(engine):
    replies = transcript(engine, "protocol_version\nname\nversion\nlist_commands")
    assert [r.ok for r in replies] == [True] * 4
    assert replies[0].text == "2" and replies[1].text == "goagent" and replies[2].text == "0.1.0"
    listed = replies[3].text.split("\n")
    assert all(name in listed for name in REQUIRED)
    assert all(name == name.strip() and name for name in listed)


def test_handshake_does_not_load_the_board_engine(engine):
    transcript(engine, "protocol_version\nname\nversion\nlist_commands\nknown_command play")
    assert engine._core is None and engine._brain is None


def test_known_command(engine):
    assert one(engine, "known_command genmove").text == "true"
    assert one(engine, "known_command kata-analyze").text == "true"
    assert one(engine, "known_command fly").text == "false"
    assert one(engine, "known_command").text == "syntax error"


def test_unknown_command_and_ids(engine):
    reply = one(engine, "12 fly_to_the_moon")
    assert (reply.ok, reply.id, reply.text) == (False, 12, "unknown command")
    reply = one(engine, "7 name")
    assert (reply.ok, reply.id, reply.text) == (True, 7, "goagent")
    reply = one(engine, "42")
    assert (reply.ok, reply.id) == (False, 42)


def test_empty_and_comment_lines_get_no_response(engine):
    replies = transcript(engine, "\n   \n# comment\nname # trailing comment\n\t\n")
    assert [r.text for r in replies] == ["goagent"]


def test_quit(engine):
    reply = one(engine, "3 quit")
    assert reply.ok and reply.id == 3 and engine.quitting


def test_internal_error_is_answered_and_survived(engine, monkeypatch):
    monkeypatch.setattr(type(engine), "cmd_showboard", lambda self, args: 1 / 0)
    reply = one(engine, "showboard")
    assert not reply.ok and reply.text.startswith("internal error")
    assert one(engine, "name").text == "goagent"


# -- board set-up --------------------------------------------------------------


def test_boardsize_and_its_errors(engine):
    assert one(engine, "boardsize 9").ok and engine.state.size == 9
    assert one(engine, "boardsize 1").text == "unacceptable size"
    assert one(engine, "boardsize 26").text == "unacceptable size"
    assert one(engine, "boardsize nine").text == "syntax error"
    assert one(engine, "boardsize").text == "syntax error"
    assert engine.state.size == 9


def test_komi_survives_boardsize_and_clear_board(engine):
    transcript(engine, "komi 6.5\nboardsize 13\nplay b d4\nclear_board")
    assert engine.state.komi == 6.5 and engine.state.size == 13 and not engine.state.moves
    assert one(engine, "komi -3").ok and engine.state.komi == -3
    for bad in ("komi x", "komi nan", "komi inf", "komi"):
        assert one(engine, bad).text == "syntax error"


def test_play_honours_the_colour_and_rejects_bad_moves(engine):
    transcript(engine, "boardsize 9\nplay w e5\nplay w d4\nplay b pass")
    assert stone(engine, "E5") == WHITE and stone(engine, "D4") == WHITE
    assert one(engine, "play b e5").text == "illegal move"
    assert one(engine, "play red e5").text == "invalid color"
    assert one(engine, "play b z99").text == "invalid coordinate"
    assert one(engine, "play b i5").text == "invalid coordinate"
    assert one(engine, "play b").text == "syntax error"
    assert one(engine, "play b c3 c4").text == "syntax error"
    assert len(engine.state.moves) == 3


def test_play_rejects_suicide_and_ko(engine):
    transcript(engine, "boardsize 5\nplay w a2\nplay w b1")
    assert one(engine, "play b a1").text == "illegal move"  # suicide
    engine = make_engine()
    # White B2 in atari between A2 B3 B1; Black takes it at C2, inside C3 C1 D2: a ko.
    setup = "boardsize 5\nplay b a2\nplay b b3\nplay b b1\nplay w b2\nplay w c3\nplay w c1\nplay w d2"
    transcript(engine, setup + "\nplay b c2")
    assert stone(engine, "B2") == EMPTY
    assert one(engine, "play w b2").text == "illegal move"
    assert one(engine, "play w e5").ok and one(engine, "play b e4").ok
    assert one(engine, "play w b2").ok  # after a ko threat the retake is legal


def test_undo_many_levels(engine):
    transcript(engine, "boardsize 9\nplay b e5\nplay w c3\nplay b g7")
    replies = transcript(engine, "undo\nundo\nundo\nundo")
    assert [r.ok for r in replies] == [True, True, True, False]
    assert replies[3].text == "cannot undo"
    assert not engine.state.board.to_array().any()


def test_showboard(engine):
    transcript(engine, "boardsize 5\nplay b c3")
    reply = one(engine, "showboard")
    assert reply.lines[0] == "="
    rows = [line for line in reply.lines if line[:1].isdigit()]
    assert len(rows) == 5 and "(X)" in rows[2]


# -- handicap ------------------------------------------------------------------


def test_fixed_handicap(engine):
    reply = one(engine, "fixed_handicap 4")
    assert reply.ok and sorted(reply.text.split()) == ["D16", "D4", "Q16", "Q4"]
    assert engine.state.handicap == 4 and engine.state.to_play == WHITE
    assert one(engine, "fixed_handicap 2").text == "board not empty"
    engine = make_engine()
    assert one(engine, "fixed_handicap 10").text == "invalid number of stones"
    assert one(engine, "fixed_handicap 1").text == "invalid number of stones"
    assert one(engine, "fixed_handicap x").text == "syntax error"
    transcript(engine, "boardsize 5")
    assert one(engine, "fixed_handicap 2").text == "invalid number of stones"


def test_place_free_handicap(engine):
    transcript(engine, "boardsize 9")
    reply = one(engine, "place_free_handicap 5")
    vertices = reply.text.split()
    assert len(set(vertices)) == 5 and engine.state.handicap == 5
    assert all(stone(engine, v) == BLACK for v in vertices)
    engine = make_engine()
    transcript(engine, "boardsize 5")
    assert one(engine, "place_free_handicap 1").text == "invalid number of stones"
    assert one(engine, "place_free_handicap 25").text == "invalid number of stones"
    assert len(one(engine, "place_free_handicap 24").text.split()) == 24  # all but one point


def test_set_free_handicap(engine):
    transcript(engine, "boardsize 9")
    for bad in ("d4 d4", "d4", "pass d4", "d4 z9", "", "d4 i5"):
        assert one(engine, f"set_free_handicap {bad}").text == "bad vertex list", bad
    reply = one(engine, "set_free_handicap c3 g7 e5")
    assert reply.ok and reply.text == ""
    assert engine.state.handicap == 3 and engine.state.to_play == WHITE
    assert one(engine, "set_free_handicap a1 b2").text == "board not empty"


def test_white_does_not_resign_at_once_in_a_handicap_game():
    engine = make_engine(resign=0.6)  # would resign at once in an even game this lopsided
    transcript(engine, "boardsize 9\nset_free_handicap c3 c5 c7 e3 e5 e7 g3 g5 g7")
    for _ in range(3):
        reply = one(engine, "genmove w")
        assert reply.ok and reply.text != "resign"
        transcript(engine, "genmove b")


# -- thinking ------------------------------------------------------------------


def test_genmove_honours_the_colour(engine):
    transcript(engine, "boardsize 9")
    first = one(engine, "12 genmove w")
    assert first.ok and first.id == 12
    second = one(engine, "genmove w")
    assert stone(engine, first.text) == WHITE and stone(engine, second.text) == WHITE
    assert [m.color for m in engine.state.moves] == [WHITE, WHITE]
    assert one(engine, "genmove").text == "syntax error"
    assert one(engine, "genmove x").text == "invalid color"


def test_genmove_does_not_pass_early(engine):
    transcript(engine, "boardsize 9\nplay b e5\nplay w pass\nplay b pass")
    reply = one(engine, "genmove w")
    assert reply.text not in ("pass", "resign")


def fake_decision(action: int, resign: bool) -> Decision:
    child = ChildInfo(action, 10, -0.99, 1.0, -1.0, [action])
    return Decision(action, resign, -0.99, SearchResult(10, -0.99, [child]))


def test_genmove_answers_resign(engine, monkeypatch):
    transcript(engine, "boardsize 9")
    monkeypatch.setattr(engine.brain, "genmove", lambda *args, **kw: fake_decision(40, True))
    assert one(engine, "genmove b").text == "resign"
    assert not engine.state.moves  # a resignation changes nothing on the board
    reply = one(engine, "lz-genmove_analyze b 1")
    assert reply.lines[-1] == "play resign"


def test_kgs_genmove_cleanup(engine):
    transcript(engine, "boardsize 5")
    reply = one(engine, "kgs-genmove_cleanup b")
    assert reply.ok and reply.text != "resign"
    assert one(engine, "kgs-genmove_cleanup").text == "syntax error"


def test_time_settings(engine):
    assert one(engine, "time_settings 300 30 5").ok
    control = engine.brain.time_control
    assert (control.main_time, control.byo_yomi_time, control.byo_yomi_stones) == (300, 30, 5)
    assert one(engine, "time_left b 120 0").ok and control.left[BLACK] == (120, 0)
    assert one(engine, "time_left white 20 3").ok and control.left[WHITE] == (20, 3)
    assert one(engine, "time_left x 1 1").text == "invalid color"
    assert one(engine, "time_left b x 1").text == "syntax error"
    assert one(engine, "time_settings 1 2").text == "syntax error"
    assert one(engine, "time_settings -1 0 0").text == "syntax error"
    assert one(engine, "time_settings 1 2 2.5").text == "syntax error"


def test_kgs_time_settings(engine):
    assert one(engine, "kgs-time_settings byoyomi 60 10 3").ok
    assert engine.brain.time_control.periods == 3
    assert one(engine, "kgs-time_settings canadian 60 30 10").ok
    assert engine.brain.time_control.byo_yomi_stones == 10
    assert one(engine, "kgs-time_settings absolute 90").ok
    assert engine.brain.time_control.main_time == 90
    assert one(engine, "kgs-time_settings none").ok and not engine.brain.time_control.active
    for bad in ("", "canadian 60 30", "absolute", "fischer 1 2 3", "none 5"):
        assert one(engine, f"kgs-time_settings {bad}").text == "syntax error", bad


def test_genmove_keeps_to_the_clock():
    engine = make_engine(visits=None, seconds=None)  # default limits: 800 visits, 10 s
    transcript(engine, "boardsize 9\ntime_settings 2 0 0\ntime_left b 2 0")
    engine.brain.ready()
    start = time.monotonic()
    assert one(engine, "genmove b").ok
    assert time.monotonic() - start < 1.5


# -- scoring -------------------------------------------------------------------

# 7x7: Black everywhere but two eyes (A1, C1), a white stone on E5 and its two liberties.
_EMPTY_OR_WHITE = {"A1", "C1", "D5", "E5", "F5"}


def black_wall_with_dead_white_stone(engine):
    letters = "ABCDEFG"
    black = [f"{c}{r}" for c in letters for r in range(1, 8) if f"{c}{r}" not in _EMPTY_OR_WHITE]
    transcript(engine, f"boardsize 7\nkomi 0.5\nset_free_handicap {' '.join(black)}\nplay w e5")


def test_final_score_and_status_lists(engine):
    black_wall_with_dead_white_stone(engine)
    assert one(engine, "final_status_list dead").text == "E5"
    alive = one(engine, "final_status_list alive").text.split()
    assert len(alive) == 49 - 5 and "E5" not in alive
    assert one(engine, "final_status_list seki").text == ""
    assert one(engine, "final_status_list undecided").text == "syntax error"
    assert one(engine, "final_score").text == "B+48.5"


def test_final_score_on_an_empty_board(engine):
    transcript(engine, "boardsize 5\nkomi 7.5")
    assert one(engine, "final_score").text == "W+7.5"


# -- game records --------------------------------------------------------------


def test_loadsgf(engine, tmp_path):
    path = tmp_path / "game.sgf"
    path.write_bytes(b"(;SZ[9]KM[5.5];B[ee];W[cc];B[gg])")
    assert one(engine, f"loadsgf {path}").ok
    assert engine.size == 9 and engine.state.komi == 5.5 and len(engine.state.moves) == 3
    assert one(engine, f"loadsgf {path} 2").ok  # the position before move 2
    assert [stone(engine, v) for v in ("E5", "C7")] == [BLACK, EMPTY]
    assert one(engine, "boardsize 9").ok and one(engine, "clear_board").ok
    assert engine.state.komi == 5.5  # komi from the file stays
    assert one(engine, f"loadsgf {tmp_path / 'missing.sgf'}").text == "cannot load file"
    (tmp_path / "bad.sgf").write_bytes(b"not an sgf")
    assert one(engine, f"loadsgf {tmp_path / 'bad.sgf'}").text == "cannot load file"
    assert one(engine, "loadsgf").text == "syntax error"


def test_printsgf(engine, tmp_path):
    transcript(engine, "boardsize 9\nkomi 6.5\nset_free_handicap c3 g7\nplay w e5")
    reply = one(engine, "printsgf")
    assert reply.ok and "SZ[9]" in reply.text and "KM[6.5]" in reply.text and "W[ee]" in reply.text
    assert "HA[2]" in reply.text and "AB[" in reply.text
    target = tmp_path / "out.sgf"
    assert one(engine, f"printsgf {target}").text == ""
    assert "W[ee]" in target.read_text()
    # the written record loads back to the same position
    other = make_engine()
    assert one(other, f"loadsgf {target}").ok
    assert (other.state.board.to_array() == engine.state.board.to_array()).all()


def test_play_accepts_a_superko_repetition_from_the_controller(engine, monkeypatch):
    transcript(engine, "boardsize 9")
    state = engine.state
    monkeypatch.setattr(state, "illegal_reason", lambda a, c=None: "superko" if state.superko else None)
    assert one(engine, "play b e5").ok
    assert state.superko and stone(engine, "E5") == BLACK
