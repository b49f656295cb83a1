"""Elo arithmetic: match scores, confidence intervals, SPRT, and ratings for many players.

- ``elo_from_score(p)``: the Elo difference whose expected score is ``p``
  (logistic model, 400-point scale).
- ``match_elo(wins, draws, losses)``: Elo difference and its 95% confidence
  interval from the trinomial variance of the per-game score (the normal
  approximation chess testers use).
- ``sprt_llr``: the log-likelihood ratio of H1 (elo1) against H0 (elo0), each
  game a Bernoulli trial with the hypothesis's expected score (draws half and
  half), and ``sprt_decision`` against Wald's bounds for given alpha and beta.
- ``bradley_terry``: maximum-likelihood ratings for many players from pairwise
  results (draws as half a win each, Hunter's MM algorithm), with standard
  errors from the observed Fisher information, the mean rating fixed at 0
  unless an anchor is named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054


def expected_score(elo: float) -> float:
    return 1.0 / (1.0 + 10.0 ** (-elo / 400.0))


def elo_from_score(score: float) -> float:
    """Elo difference for an expected score in (0, 1); +-inf at the ends."""
    if score <= 0.0:
        return -math.inf
    if score >= 1.0:
        return math.inf
    return -400.0 * math.log10(1.0 / score - 1.0)


def bounded_elo(score: float, games: int) -> float:
    """Elo for a match score, finite for a clean sweep: the score is kept half a game
    away from 0 and 1 (a 20-0 gate counts as 19.5-0.5, about +636 Elo)."""
    margin = 0.5 / max(games, 1)
    return elo_from_score(min(max(score, margin), 1.0 - margin))


@dataclass(frozen=True)
class EloEstimate:
    elo: float
    low: float  # 95% interval
    high: float
    score: float
    games: int

    def __str__(self) -> str:
        if self.games == 0:
            return "no games"
        return (
            f"{self.elo:+.0f} Elo (95% CI {self.low:+.0f} .. {self.high:+.0f}), score {100 * self.score:.1f}%"
        )


def match_elo(wins: int, draws: int, losses: int) -> EloEstimate:
    """Elo of the first player over the second from a W/D/L record."""
    n = wins + draws + losses
    if n == 0:
        return EloEstimate(0.0, -math.inf, math.inf, 0.5, 0)
    score = (wins + 0.5 * draws) / n
    if wins == n or losses == n:
        # A sweep has no spread to estimate a variance from: use the exact (Clopper-Pearson)
        # 95% bound instead, the lowest score for which a sweep is still 2.5% likely.
        edge = elo_from_score(0.025 ** (1.0 / n))
        return EloEstimate(
            elo_from_score(score), edge if wins else -math.inf, math.inf if wins else -edge, score, n
        )
    variance = (wins * (1 - score) ** 2 + draws * (0.5 - score) ** 2 + losses * score**2) / n
    half = Z95 * math.sqrt(variance / n)
    return EloEstimate(
        elo_from_score(score), elo_from_score(score - half), elo_from_score(score + half), score, n
    )


def sprt_llr(wins: int, draws: int, losses: int, elo0: float, elo1: float) -> float:
    """Log-likelihood ratio of elo1 against elo0: each game a win with the hypothesis's
    expected score, a draw half a win and half a loss.  Exact for decisive games (Go
    almost never draws).  The normal approximation it replaces divides by the results'
    own variance, which is 0 after a few identical results: one win ended an
    SPRT(-30, 0) with LLR 22."""
    s0, s1 = expected_score(elo0), expected_score(elo1)
    won, lost = wins + 0.5 * draws, losses + 0.5 * draws
    return won * math.log(s1 / s0) + lost * math.log((1 - s1) / (1 - s0))


def sprt_bounds(alpha: float = 0.05, beta: float = 0.05) -> tuple[float, float]:
    return math.log(beta / (1 - alpha)), math.log((1 - beta) / alpha)


def sprt_decision(llr: float, alpha: float = 0.05, beta: float = 0.05) -> str | None:
    """``'H1'`` (stronger by elo1), ``'H0'`` (not stronger than elo0), or None (go on)."""
    low, high = sprt_bounds(alpha, beta)
    if llr >= high:
        return "H1"
    if llr <= low:
        return "H0"
    return None


@dataclass(frozen=True)
class Rating:
    player: str
    elo: float
    stderr: float
    games: int
    score: float  # share of points won

    @property
    def low(self) -> float:
        return self.elo - Z95 * self.stderr

    @property
    def high(self) -> float:
        return self.elo + Z95 * self.stderr


def bradley_terry(
    results: list[tuple[str, str, float]],
    anchor: str | None = None,
    iterations: int = 10_000,
    prior_games: float = 1.0,
) -> list[Rating]:
    """Ratings from ``(player_a, player_b, score_of_a)`` games, score 1 / 0.5 / 0.

    ``prior_games`` adds that many virtual draws of every player against a
    virtual average opponent, so a player who won or lost everything still
    gets a finite rating (as BayesElo's prior does).  Ratings are in Elo,
    anchored at ``anchor`` = 0 if given, else mean 0.
    """
    players = sorted({p for a, b, _ in results for p in (a, b)})
    index = {p: i for i, p in enumerate(players)}
    k = len(players)
    wins = np.zeros((k, k))  # wins[i, j]: points i scored against j
    for a, b, s in results:
        wins[index[a], index[b]] += s
        wins[index[b], index[a]] += 1.0 - s
    games = wins + wins.T
    # Virtual opponent with strength 1 (index k) for the prior.
    gamma = np.ones(k)
    total_points = wins.sum(axis=1) + 0.5 * prior_games
    for _ in range(iterations):
        denom = (games / (gamma[:, None] + gamma[None, :])).sum(axis=1) + prior_games / (gamma + 1.0)
        new = total_points / denom
        if prior_games == 0:
            new /= math.exp(np.log(new).mean())  # no virtual opponent pins the scale: fix the mean
        if np.max(np.abs(np.log(new) - np.log(gamma))) < 1e-10:
            gamma = new
            break
        gamma = new
    r = np.log(gamma)  # natural-log strengths
    # Observed information (Hessian of the log-likelihood) for standard errors.
    p = 1.0 / (1.0 + np.exp(r[None, :] - r[:, None]))  # p[i, j]: i beats j
    info = -(games * p * (1 - p))
    np.fill_diagonal(info, 0.0)
    prior_p = 1.0 / (1.0 + np.exp(-r))
    diag = (games * p * (1 - p)).sum(axis=1) + prior_games * prior_p * (1 - prior_p)
    info[np.diag_indices(k)] = diag
    # Ratings are only defined up to a shift: take the covariance relative to the
    # anchor (its row and column removed) or under the mean-zero constraint (pseudo-inverse).
    stderr = np.zeros(k)
    if anchor is not None and anchor in index and k > 1:
        keep = [i for i in range(k) if i != index[anchor]]
        cov = np.linalg.pinv(info[np.ix_(keep, keep)])
        stderr[keep] = np.sqrt(np.clip(np.diag(cov), 0, None))
    else:
        cov = np.linalg.pinv(info + np.ones((k, k)) / k)  # (L + J/k)^-1 = L^+ + J/k
        stderr = np.sqrt(np.clip(np.diag(cov) - 1.0 / k, 0, None))
    scale = 400.0 / math.log(10.0)
    elo = r * scale
    if anchor is not None:
        if anchor not in index:
            raise ValueError(f"anchor {anchor!r} played no game")
        elo = elo - elo[index[anchor]]
    else:
        elo = elo - elo.mean()
    played = games.sum(axis=1)
    score = np.divide(wins.sum(axis=1), played, out=np.full(k, 0.5), where=played > 0)
    ratings = [
        Rating(players[i], float(elo[i]), float(stderr[i] * scale), int(round(played[i])), float(score[i]))
        for i in range(k)
    ]
    return sorted(ratings, key=lambda x: -x.elo)
