"""Every ``--resign`` is a win rate: ``goagent play``, ``goagent match`` and ``goagent gtp``."""

import argparse

import pytest

from goagent.cli import build_parser
from goagent.play import player_config
from goagent.winrate import black_winrate, resign_value, value_of, winrate, winrate_arg
from gtp.options import EngineOptions
from selfplay.commands import player_specs


def test_play_resign_is_a_win_rate():
    args = build_parser().parse_args(["play", "--resign", "0.05"])
    assert player_config(args).resign_threshold == pytest.approx(-0.9)


def test_match_resign_is_a_win_rate():
    args = build_parser().parse_args(["match", "default", "playouts", "--resign", "0.05"])
    a, b = player_specs(args)
    assert a.resign == pytest.approx(-0.9) and b.resign == pytest.approx(-0.9)


def test_gtp_resign_is_a_win_rate():
    args = build_parser().parse_args(["gtp", "--resign", "0.05"])
    assert EngineOptions(resign=args.resign).resign_value == pytest.approx(-0.9)


@pytest.mark.parametrize("argv", [["play"], ["match", "a", "b"], ["gtp"]])
def test_zero_never_resigns(argv):
    args = build_parser().parse_args([*argv, "--resign", "0"])
    assert resign_value(args.resign) == -1.0  # no value falls below -1


@pytest.mark.parametrize("text", ["-0.9", "1", "1.5", "five"])
def test_a_value_is_refused_with_a_hint(text):
    with pytest.raises(argparse.ArgumentTypeError, match="win rate"):
        winrate_arg(text)


def test_conversions_round_trip():
    assert winrate(value_of(0.3)) == pytest.approx(0.3)
    assert winrate(1.5) == 1.0 and winrate(-2.0) == 0.0
    assert black_winrate(0.5, 1) == pytest.approx(0.75)
    assert black_winrate(0.5, 2) == pytest.approx(0.25)
