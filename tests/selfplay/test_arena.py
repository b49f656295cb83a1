"""Matches: two playout players on 5x5, a scripted GTP engine, GNU Go, reproducibility."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sgfmill import sgf

from goagent.coords import BLACK
from selfplay.agents import PlayerSpec
from selfplay.arena import MatchSettings, load_openings, run_match

FAKE = Path(__file__).with_name("fake_gtp_engine.py")
GNUGO = "/usr/games/gnugo"


def settings(tmp_path, **kw) -> MatchSettings:
    base = dict(games=4, size=5, komi=0.5, sgf_dir=str(tmp_path / "sgf"), seed=11, openings="random-2")
    base.update(kw)
    return MatchSettings(**base)


def test_playout_players_on_5x5_write_sgfs(tmp_path):
    a = PlayerSpec("playouts", visits=40)
    b = PlayerSpec("playouts", visits=10)
    match = run_match(a, b, settings(tmp_path), progress=None)
    summary = match.summary()
    assert summary["games"] == 4
    assert summary["wins"] + summary["losses"] + summary["draws"] == 4
    assert sorted(g.a_is_black for g in match.games) == [False, False, True, True]
    for game in match.games:
        parsed = sgf.Sgf_game.from_bytes(Path(game.sgf).read_bytes())
        assert parsed.get_size() == 5
        assert parsed.get_root().get("RE") == game.result


def test_match_is_reproducible_for_a_seed(tmp_path):
    a = PlayerSpec("playouts", visits=20)
    b = PlayerSpec("playouts", visits=20)
    first = run_match(a, b, settings(tmp_path / "1"), progress=None)
    second = run_match(a, b, settings(tmp_path / "2"), progress=None)
    for g1, g2 in zip(
        sorted(first.games, key=lambda g: g.index), sorted(second.games, key=lambda g: g.index)
    ):
        assert Path(g1.sgf).read_bytes() == Path(g2.sgf).read_bytes()


def test_against_a_scripted_gtp_engine_with_cleanup(tmp_path):
    a = PlayerSpec("playouts", visits=30)
    b = PlayerSpec(f"gtp:{sys.executable} {FAKE}")
    match = run_match(a, b, settings(tmp_path, games=2), progress=None)
    # The engine only passes: goagent fills the board and wins every game.
    assert [g.a_score for g in match.games] == [1.0, 1.0]
    assert all(not g.adjudicated for g in match.games)


def test_openings_file_and_errors(tmp_path):
    path = tmp_path / "openings.txt"
    path.write_text("C3 C4  # a comment\n\nB2\n")
    assert load_openings(str(path), 5) == [[12, 7], [16]]
    path.write_text("Z9\n")
    with pytest.raises(ValueError, match="openings.txt:1"):
        load_openings(str(path), 5)
    with pytest.raises(FileNotFoundError):
        run_match(PlayerSpec("no/such.pt"), PlayerSpec("playouts"), settings(tmp_path), progress=None)


@pytest.mark.skipif(not os.path.exists(GNUGO), reason="GNU Go not installed (apt-get install gnugo)")
def test_match_against_gnugo(tmp_path):
    a = PlayerSpec("playouts", visits=30)
    b = PlayerSpec(f"gtp:{GNUGO} --mode gtp --level 1")
    match = run_match(a, b, settings(tmp_path, games=2, size=9, komi=7.5), progress=None)
    assert len(match.games) == 2
    for game in match.games:
        assert game.result.startswith(("B+", "W+")) or game.result == "0"
        assert game.winner in (BLACK, 2, 0)
