"""The one game runner under matches: handicap games, the referee engine, one
network load per match, strict JSON summaries (fake GTP engine; GNU Go if installed)."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import pytest

from goagent.coords import BLACK, WHITE, gtp_to_action
from goagent.engine_game import GameSetup, GtpAgent, handicap_komi, play_game, referee_command
from goagent.game import fixed_handicap
from goagent.sgf import load_sgf
from selfplay.agents import PlayerSpec
from selfplay.arena import MatchSettings, run_match

FAKE = Path(__file__).with_name("fake_gtp_engine.py")
GNUGO = "/usr/games/gnugo"
needs_gnugo = pytest.mark.skipif(not os.access(GNUGO, os.X_OK), reason="GNU Go not installed")


def fake(*flags: str) -> str:
    return " ".join([sys.executable, str(FAKE), *flags])


def strict_loads(text: str):
    def refuse(name):
        raise ValueError(f"non-finite number {name} in JSON")

    return json.loads(text, parse_constant=refuse)


# --- loading -------------------------------------------------------------------


LOADS_FILE = "GOAGENT_TEST_LOADS"


def counting_loader(text: str):
    """A playout evaluator for any checkpoint path; each load is one line in a file
    (a file, so loads in pool workers are counted too)."""
    from goagent.search.evaluation import PlayoutEvaluator

    with open(os.environ[LOADS_FILE], "a") as handle:
        handle.write(os.path.basename(text) + "\n")
    return PlayoutEvaluator(1, 0)


def loads(tmp_path) -> list[str]:
    path = tmp_path / "loads.txt"
    return path.read_text().split() if path.exists() else []


@pytest.fixture
def checkpoints(tmp_path, monkeypatch):
    monkeypatch.setenv(LOADS_FILE, str(tmp_path / "loads.txt"))
    a, b = tmp_path / "cand.pt", tmp_path / "best.pt"
    a.write_bytes(b"")  # only the counting loader opens them
    b.write_bytes(b"")
    return str(a), str(b)


def test_a_match_loads_each_checkpoint_once(tmp_path, checkpoints):
    a, b = (PlayerSpec(path, visits=8, resign=-1.0) for path in checkpoints)
    settings = MatchSettings(games=4, size=5, komi=0.5, openings="random-1", seed=3)
    match = run_match(a, b, settings, progress=None, loader=counting_loader)
    assert len(match.games) == 4
    assert sorted(loads(tmp_path)) == ["best.pt", "cand.pt"]  # before: 4 each (one per game)


def test_a_parallel_gate_loads_each_checkpoint_once_per_worker(tmp_path, checkpoints):
    a, b = (PlayerSpec(path, visits=4, resign=-1.0) for path in checkpoints)
    settings = MatchSettings(games=6, size=5, komi=0.5, openings="random-1", seed=3, parallel=2)
    match = run_match(a, b, settings, progress=None, loader=counting_loader)
    assert len(match.games) == 6
    seen = loads(tmp_path)
    assert 1 <= seen.count("cand.pt") <= 2 and 1 <= seen.count("best.pt") <= 2  # before: 6 each


def test_reused_evaluators_keep_games_reproducible(tmp_path):
    """Game i depends on (seed, i) only, though the evaluator now lives for the match."""
    a, b = PlayerSpec("playouts", visits=12), PlayerSpec("playouts", visits=12)
    whole = run_match(
        a, b, MatchSettings(games=4, size=5, komi=0.5, seed=5, sgf_dir=str(tmp_path / "1")), None
    )
    alone = run_match(
        a, b, MatchSettings(games=2, size=5, komi=0.5, seed=5, sgf_dir=str(tmp_path / "2")), None
    )
    first = {g.index: Path(g.sgf).read_bytes() for g in whole.games}
    for game in alone.games:
        assert Path(game.sgf).read_bytes() == first[game.index]


# --- strict JSON ----------------------------------------------------------------------


def test_a_clean_sweep_prints_strict_json(tmp_path, capsys):
    from goagent.cli import main

    sgf_dir = tmp_path / "sgf"
    argv = ["match", "playouts", f"gtp:{fake()}", "--size", "5", "--games", "2", "--visits", "20"]
    assert main([*argv, "--komi", "0.5", "--json", "--sgf-dir", str(sgf_dir)]) == 0
    summary = strict_loads(capsys.readouterr().out)
    assert summary["wins"] == 2 and summary["elo"] is None and summary["elo_high"] is None
    assert math.isfinite(summary["elo_low"])
    strict_loads((sgf_dir / "match.json").read_text())
    assert main([*argv, "--komi", "0.5"]) == 0
    assert "Elo of A over B: +inf" in capsys.readouterr().out


# --- handicap -----------------------------------------------------------------------


def test_komi_defaults():
    assert handicap_komi(GameSetup(size=9)) == 7.5
    assert handicap_komi(GameSetup(size=9, handicap=3)) == 0.5
    assert handicap_komi(GameSetup(size=9, handicap=3, komi=6.5)) == 6.5
    with pytest.raises(ValueError, match="2 stones or more"):
        GameSetup(size=9, handicap=1)
    with pytest.raises(ValueError, match="2 to 9"):
        GameSetup(size=19, handicap=10)
    with pytest.raises(ValueError, match="no fixed handicap"):
        GameSetup(size=5, handicap=2)
    GameSetup(size=5, handicap=2, free_handicap=True)  # free placement works on any board


def test_fixed_handicap_match_against_a_gtp_engine(tmp_path):
    log = tmp_path / "fake.log"
    a = PlayerSpec("playouts", visits=16)
    b = PlayerSpec(f"gtp:{fake('--log', str(log))}")
    settings = MatchSettings(games=2, size=9, handicap=2, seed=1, sgf_dir=str(tmp_path / "sgf"))
    match = run_match(a, b, settings, progress=None)
    summary = match.summary()
    assert summary["handicap"] == 2 and summary["handicap_to"] == "b"
    expected = sorted(fixed_handicap(9, 2))
    for game in match.games:
        assert not game.a_is_black  # B receives the stones and is Black in every game
        assert game.handicap == 2 and game.komi == 0.5
        record = load_sgf(game.sgf)
        assert record.handicap == 2 and sorted(record.setup_black) == expected
        assert record.moves[0].color == WHITE  # the stones, then White: no opening moves
        assert record.komi == 0.5
    sent = log.read_text().splitlines()
    assert "komi 0.5" in sent
    told = [sorted(line.split()[1:]) for line in sent if line.startswith("set_free_handicap")]
    assert told == [["C3", "G7"], ["C3", "G7"]]  # GTP 4.1.1's two stones on 9x9, once a game


def test_free_handicap_placed_by_a_gtp_engine(tmp_path):
    b = PlayerSpec(f"gtp:{fake('--stones', 'A1,J9,E5')}")
    settings = MatchSettings(games=1, size=9, handicap=3, free_handicap=True, sgf_dir=str(tmp_path))
    (game,) = run_match(PlayerSpec("playouts", visits=8), b, settings, progress=None).games
    record = load_sgf(game.sgf)
    assert sorted(record.setup_black) == sorted(gtp_to_action(v, 9) for v in ("A1", "J9", "E5"))


def test_free_handicap_placed_by_goagent_for_a_gtp_giver(tmp_path):
    from goagent.handicap import free_placement

    log = tmp_path / "fake.log"
    a = PlayerSpec("playouts", visits=8, resign=-1.0)
    b = PlayerSpec(f"gtp:{fake('--log', str(log))}")
    settings = MatchSettings(
        games=1, size=7, handicap=5, free_handicap=True, handicap_to="a", max_moves=12, sgf_dir=str(tmp_path)
    )
    (game,) = run_match(a, b, settings, progress=None).games
    assert game.a_is_black
    record = load_sgf(game.sgf)
    assert sorted(record.setup_black) == sorted(free_placement(7, 5))
    assert any(line.startswith("set_free_handicap ") for line in log.read_text().splitlines())


def test_disputed_count_goes_to_the_referee_engine():
    """Both engines pass at once: Tromp-Taylor gives Black the board, the engines say
    draw, cleanup changes nothing, so the referee engine's count is the result."""
    black, white = GtpAgent(fake()), GtpAgent(fake())
    setup = GameSetup(size=9, handicap=2, referee=fake("--score", "W+3"))
    try:
        outcome = play_game(black, white, setup)
    finally:
        black.close()
        white.close()
    assert outcome.end == "two passes" and outcome.state.move_number == 4  # two passes, cleanup, two more
    assert outcome.result == "W+3" and outcome.winner == WHITE
    assert outcome.scored_by.startswith("referee: ")
    assert outcome.scores == {"B": "0", "W": "0"}


def test_without_a_referee_tromp_taylor_stands():
    black, white = GtpAgent(fake()), GtpAgent(fake())
    try:
        outcome = play_game(black, white, GameSetup(size=9, handicap=2))
    finally:
        black.close()
        white.close()
    assert outcome.result == "B+80.5" and outcome.winner == BLACK and outcome.scored_by == "Tromp-Taylor"


# --- GNU Go ---------------------------------------------------------------------------


@needs_gnugo
def test_gnugo_is_the_referee_when_it_plays():
    gnugo = GtpAgent(f"{GNUGO} --mode gtp --level 1")
    try:
        assert gnugo.is_gnugo
        assert referee_command(GameSetup(), {BLACK: gnugo}) == [GNUGO, "--mode", "gtp", "--chinese-rules"]
        assert referee_command(GameSetup(referee="x --y"), {BLACK: gnugo}) == ["x", "--y"]
    finally:
        gnugo.close()


@needs_gnugo
def test_handicap_match_against_gnugo(tmp_path):
    a = PlayerSpec("playouts", visits=8)
    b = PlayerSpec(f"gtp:{GNUGO} --mode gtp --level 1")
    settings = MatchSettings(games=1, size=9, handicap=2, max_moves=16, sgf_dir=str(tmp_path))
    (game,) = run_match(a, b, settings, progress=None).games
    assert game.handicap == 2 and not game.a_is_black and game.moves <= 16
    assert game.result.startswith(("B+", "W+")) or game.result == "0"
    assert game.scored_by in ("resignation", "Tromp-Taylor") or game.scored_by.startswith("referee: ")


@needs_gnugo
def test_gnugo_places_free_handicap_in_the_referee(tmp_path):
    from goagent.gtp_client import GtpProcess
    from gtp.referee import play_game as referee_game

    black = GtpProcess([GNUGO, "--mode", "gtp", "--level", "1"])
    white = GtpProcess([GNUGO, "--mode", "gtp", "--level", "1"])
    try:
        report = referee_game(black, white, size=9, komi=None, max_moves=10, handicap=3, free_handicap=True)
    finally:
        black.quit(), white.quit()
    assert report.errors == [] and report.end == "move limit" and report.komi == 0.5
    assert report.state.handicap == 3 and report.moves[0][0] == "W"
    assert report.result.startswith(("B+", "W+")) or report.result == "0"


@needs_gnugo
def test_the_gnugo_referee_adds_no_handicap_compensation():
    """Four stones on an empty 9x9, komi 0.5: Black owns all 81 points, B+80.5 by area.
    GNU Go's Chinese rules would give White 4 points for set_free_handicap stones
    (B+76.5); the referee is shown them as moves, so it counts the game's own rules."""
    black, white = GtpAgent(fake()), GtpAgent(fake())
    setup = GameSetup(size=9, handicap=4, referee=f"{GNUGO} --mode gtp --chinese-rules")
    try:
        outcome = play_game(black, white, setup)
    finally:
        black.close()
        white.close()
    assert outcome.scored_by.startswith("referee: ") and outcome.result == "B+80.5"
