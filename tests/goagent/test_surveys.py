"""The GUI-like measurements: `goagent bench analyze` (a long kata-analyze through GTP)
and `python -m goagent.endgame_survey` (does genmove pass once a game is over)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from goagent import bench_analyze, endgame_survey

KGS = Path(__file__).resolve().parents[3] / "shared" / "data" / "kgs-6d"
needs_kgs = pytest.mark.skipif(not any(KGS.glob("*.tar.gz")), reason=f"no KGS archives in {KGS}")


def test_root_visits_of_a_kata_analyze_update():
    line = (
        "info move D4 visits 12 utility 0.1 winrate 0.5 order 0 pv D4 Q16"
        " info move pass visits 3 order 1 pv pass"
    )
    assert bench_analyze.root_visits(line) == 15


def test_final_score_answers_are_read_as_black_s_margin():
    assert endgame_survey._score("B+3.5") == 3.5
    assert endgame_survey._score("W+12") == -12.0
    assert endgame_survey._score("0") == 0.0


@needs_kgs
def test_bench_analyze_streams_and_is_stopped_by_the_next_command():
    args = argparse.Namespace(
        minutes=0.1, interval=0.5, engine_args="--model playouts", kgs=str(KGS), seed=0, plot="", json=True
    )
    result = bench_analyze.run(args)
    assert result["updates"] >= 3 and result["visits_never_fell"] and result["visits_last"] > 0
    assert result["stopped_by_next_command"] and result["rss_peak_mb"] > 0


@needs_kgs
def test_endgame_survey_asks_both_questions(capsys):
    engine = f"{sys.executable} -m goagent.cli gtp --model playouts --visits 8"
    assert endgame_survey.main(["--data", str(KGS), "--games", "1", "--engine", engine]) == 0
    out = capsys.readouterr().out
    assert "pass first: passed in" in out and "pass back: passed in" in out and "of 1 games" in out
