"""GUI compatibility: q5Go's and Lizzie's transcripts, KataGo's extra commands, pondering,
analysis requested while the model loads, printsgf after loadsgf."""

from __future__ import annotations

import time

import pytest

from goagent import __version__
from goagent.mcts import PlayoutEvaluator
from gtp import brain as brain_module
from tests.gtp.gtp_testkit import ScoreEvaluator, make_engine, one, transcript, use_evaluator


def test_q5go_no_time_limit_is_no_limit():
    engine = make_engine()
    # q5Go's "no time limit": 1 s main time, 1 s byo-yomi, 0 stones: GTP says no limit
    assert one(engine, "time_settings 1 1 0").ok
    assert not engine.brain.time_control.active
    assert one(engine, "genmove b").ok
    assert one(engine, "time_settings 300 30 5").ok and engine.brain.time_control.active
    assert one(engine, "time_settings 0 0 0").ok and not engine.brain.time_control.active


def lizzie_handshake(engine) -> list[str]:
    """What Lizzie 0.7 sends at start, numbered, and how it reads the answers."""
    replies = transcript(engine, "1 name\n2 version\n3 boardsize 19\n4 komi 7.5")
    assert [r.id for r in replies] == [1, 2, 3, 4] and all(r.ok for r in replies)
    return [r.lines[0].split(" ", 1)[1] if " " in r.lines[0] else "" for r in replies]


def test_lizzie_flag_switches_lizzie_to_its_katago_mode():
    name, version, *_ = lizzie_handshake(make_engine(lizzie=True))
    # Lizzie: params[1].startsWith("KataGo") -> KataGo mode, and the version is not checked
    assert name.split(" ")[0].startswith("KataGo")
    assert version == __version__  # goagent's own version: nothing else pretends
    plain_name, plain_version, *_ = lizzie_handshake(make_engine())
    assert plain_name == "goagent" and plain_version == __version__


def test_lizzie_katago_mode_analysis_has_score_and_ownership():
    engine = make_engine(analyze_seconds=0.3, lizzie=True)
    use_evaluator(engine, ScoreEvaluator(scores=True, ownership=True))
    transcript(engine, "boardsize 9\nplay b e5")
    reply = one(engine, "5 kata-analyze 10 ownership true")
    infos = [line for line in reply.lines[1:] if line.startswith("info ")]
    assert infos
    head, own = infos[-1].split(" ownership ")
    assert len(own.split()) == 81
    # Lizzie's fromInfoKatago reads key/value pairs up to pv: every key before pv has one value
    for segment in head.split("info ")[1:]:
        words = segment.split()
        keys = words[: words.index("pv")][::2]
        assert {"move", "visits", "winrate", "scoreMean", "scoreStdev", "prior", "lcb", "order"} <= set(keys)


def test_katago_extra_commands():
    engine = make_engine()
    assert one(engine, "komi 6.5").ok and one(engine, "get_komi").text == "6.5"
    assert one(engine, "clear_cache").ok
    assert float(one(engine, "cputime").text) >= 0
    assert one(engine, "kata-get-param maxVisits").text == "16"
    assert one(engine, "kata-set-param maxVisits 40").ok
    assert one(engine, "kata-get-param maxVisits").text == "40"
    assert engine.brain.ready().config.visits == 40
    assert (
        one(engine, "kata-set-param maxTime 2.5").ok and one(engine, "kata-get-param maxTime").text == "2.5"
    )
    assert engine.brain.player.config.seconds == 2.5
    assert one(engine, "kata-get-param ponderingEnabled").text == "false"
    assert one(engine, "kata-set-param ponderingEnabled true").ok and engine.options.ponder
    for bad in (
        "kata-set-param maxVisits -3",
        "kata-set-param maxVisits x",
        "kata-set-param ponderingEnabled 2",
    ):
        assert one(engine, bad).text == "syntax error", bad
    refused = one(engine, "kata-set-param playoutDoublingAdvantage 1.0")
    assert not refused.ok and "maxVisits" in refused.text
    assert not one(engine, "kata-get-param nonsense").ok
    assert one(engine, "clear_cache").ok and engine.brain.player.search is None


def test_printsgf_keeps_the_loaded_records_properties(tmp_path):
    path = tmp_path / "game.sgf"
    path.write_text("(;GM[1]FF[4]SZ[9]KM[6.5]RU[Japanese]PB[Alice]PW[Bob]BR[3d]RE[W+3.5];B[ee];W[cc])")
    engine = make_engine()
    assert one(engine, f"loadsgf {path}").ok
    text = one(engine, "printsgf").text
    for prop in ("PB[Alice]", "PW[Bob]", "BR[3d]", "RU[Japanese]", "RE[W+3.5]", "KM[6.5]"):
        assert prop in text, (prop, text)
    assert one(engine, "play b g7").ok  # the game goes on: the recorded result no longer holds
    text = one(engine, "printsgf").text
    assert "PB[Alice]" in text and "RE[" not in text
    assert one(engine, "clear_board").ok and "PB[" not in one(engine, "printsgf").text
    zero = one(engine, f"loadsgf {path} 0")
    assert not zero.ok and "cannot load file" in zero.text
    assert one(engine, f"loadsgf {path} 2").ok


@pytest.fixture
def slow_model(monkeypatch):
    """A model that takes 2 s to load."""

    def make(self):
        time.sleep(2.0)
        return PlayoutEvaluator(1, 0)

    monkeypatch.setattr(brain_module.Brain, "_make_evaluator", make)


def test_analysis_asked_while_the_model_loads_answers_and_stops(slow_model):
    engine = make_engine(analyze_seconds=0.2)
    transcript(engine, "boardsize 9")
    start = time.monotonic()
    replies = transcript(engine, "7 kata-analyze b 10\n8 name")
    assert time.monotonic() - start < 1.5  # answered and stopped long before the model is there
    assert replies[0].ok and replies[0].id == 7 and replies[1].text == "goagent"
    assert engine.brain.wait_loaded(30)
    engine.reader.after = 0.3
    infos = [line for line in one(engine, "kata-analyze b 10").lines if line.startswith("info ")]
    assert infos  # once loaded, the same command analyses


def test_ponder_after_genmove_until_the_next_line():
    engine = make_engine(analyze_seconds=0.4, ponder=True)
    transcript(engine, "boardsize 9")
    assert one(engine, "genmove b").ok
    engine.reader.after = 1.5  # the opponent thinks 1.5 s (plenty, even on a busy machine)
    engine.reader.arm()
    engine.ponder()  # as the server does between commands
    search = engine.brain.player.search
    assert search.root.visits > 16  # beyond genmove's 16 visits: the opponent's time was used
    assert len(search.state.moves) == 1  # the tree is rooted at the position the opponent faces
    engine.reader.arm()
    engine.ponder()  # once only: no genmove since
    assert one(engine, "play w e5").ok and one(engine, "genmove b").ok
