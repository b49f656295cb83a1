"""Elo, confidence intervals, SPRT and Bradley-Terry against known values."""

from __future__ import annotations

import math

import pytest

from selfplay.ratings import (
    bounded_elo,
    bradley_terry,
    elo_from_score,
    expected_score,
    match_elo,
    sprt_bounds,
    sprt_decision,
    sprt_llr,
)


def test_elo_of_known_scores():
    assert elo_from_score(0.5) == 0
    assert elo_from_score(0.75) == pytest.approx(190.85, abs=0.01)  # 400*log10(3)
    assert elo_from_score(0.6) == pytest.approx(70.44, abs=0.01)
    assert elo_from_score(1.0) == math.inf and elo_from_score(0.0) == -math.inf
    for elo in (-300, -50, 0, 120, 400):
        assert elo_from_score(expected_score(elo)) == pytest.approx(elo)


def test_bounded_elo_is_finite_for_sweeps_and_exact_otherwise():
    assert bounded_elo(1.0, 20) == pytest.approx(elo_from_score(19.5 / 20))  # about +636
    assert bounded_elo(0.0, 20) == pytest.approx(-bounded_elo(1.0, 20))
    assert bounded_elo(0.7, 20) == elo_from_score(0.7)


def test_match_interval_uses_trinomial_variance():
    est = match_elo(60, 0, 40)
    # score 0.6, sd per game 0.49, stderr 0.049: 0.6 +- 0.096 -> 0.504 .. 0.696
    assert est.elo == pytest.approx(70.44, abs=0.01)
    assert est.low == pytest.approx(elo_from_score(0.6 - 1.959964 * math.sqrt(0.24 / 100)), abs=0.01)
    assert est.high == pytest.approx(elo_from_score(0.6 + 1.959964 * math.sqrt(0.24 / 100)), abs=0.01)
    # Draws shrink the variance: same score, narrower interval.
    drawn = match_elo(20, 80, 0)
    assert drawn.score == pytest.approx(0.6) and drawn.high - drawn.low < est.high - est.low


def test_a_sweep_gets_an_exact_one_sided_interval():
    sweep = match_elo(40, 0, 0)
    assert sweep.elo == math.inf and sweep.high == math.inf
    assert sweep.low == pytest.approx(elo_from_score(0.025 ** (1 / 40)))  # about +406
    assert 400 < sweep.low < 410
    lost = match_elo(0, 0, 20)
    assert (
        lost.elo == -math.inf
        and lost.low == -math.inf
        and lost.high == pytest.approx(-match_elo(20, 0, 0).low)
    )


def test_sprt_bounds_and_decisions():
    low, high = sprt_bounds(0.05, 0.05)
    assert low == pytest.approx(-2.944, abs=1e-3) and high == pytest.approx(2.944, abs=1e-3)
    # LLR by hand: s0=0.5, s1=expected(50)=0.5715; 60 wins, 40 losses.
    s1 = expected_score(50)
    expected = 60 * math.log(s1 / 0.5) + 40 * math.log((1 - s1) / 0.5)
    assert sprt_llr(60, 0, 40, 0, 50) == pytest.approx(expected)
    assert sprt_llr(60, 20, 40, 0, 50) == pytest.approx(expected + 10 * math.log(s1 * (1 - s1) / 0.25))
    assert sprt_decision(sprt_llr(300, 0, 100, 0, 50)) == "H1"
    assert sprt_decision(sprt_llr(100, 0, 300, 0, 50)) == "H0"
    assert sprt_decision(sprt_llr(5, 0, 5, 0, 50)) is None
    # A handful of identical results decides nothing (the old normal approximation
    # divided by their zero variance: one win gave LLR 22 for SPRT(-30, 0)).
    assert sprt_decision(sprt_llr(1, 0, 0, -30, 0)) is None
    assert sprt_decision(sprt_llr(10, 0, 0, -30, 0)) is None


def test_bradley_terry_two_players_matches_the_match_formula():
    games = [("A", "B", 1.0)] * 60 + [("A", "B", 0.0)] * 40
    ratings = {r.player: r for r in bradley_terry(games, anchor="B", prior_games=0)}
    assert ratings["A"].elo == pytest.approx(70.44, abs=0.1)
    # stderr of the difference: 400/ln10 / sqrt(n p (1-p)) = 173.7 / sqrt(24)
    assert ratings["A"].stderr == pytest.approx(173.72 / math.sqrt(24), rel=0.01)


def test_bradley_terry_orders_a_chain_and_handles_perfect_records():
    games = [("A", "B", 1.0)] * 8 + [("B", "A", 1.0)] * 2 + [("B", "C", 1.0)] * 8 + [("C", "B", 1.0)] * 2
    games += [("A", "C", 1.0)] * 5  # A never lost to C: the prior keeps it finite
    ratings = bradley_terry(games)
    assert [r.player for r in ratings] == ["A", "B", "C"]
    assert all(math.isfinite(r.elo) and r.stderr > 0 for r in ratings)
    assert sum(r.elo for r in ratings) == pytest.approx(0, abs=1e-6)
