"""Reading game results for `goagent ratings`, and showing ratings as a table or plot.

Results come from SGF records (PB/PW names, RE winner; games without a
winner are skipped) or from ``match.json`` files written by `goagent match`.
For a training run, players named like ``gen-0007`` are plotted against
their generation number; others as a bar chart.
"""

from __future__ import annotations

import json
import re

from selfplay.ratings import Rating

_GENERATION = re.compile(r"(?:gen|generation)[-_]?(\d+)", re.IGNORECASE)


def read_results(sources: list[str]) -> list[tuple[str, str, float]]:
    """``(black, white, black's score)`` for every decided game in ``sources``."""
    from goagent.coords import BLACK, WHITE
    from goagent.sgf import read_records

    games: list[tuple[str, str, float]] = []
    sgf_sources = []
    for source in sources:
        if source.endswith(".json"):
            with open(source) as handle:
                data = json.load(handle)
            for g in data.get("results", []):
                score = {BLACK: 1.0, WHITE: 0.0}.get(g["winner"], 0.5)
                games.append((g["black"], g["white"], score))
        else:  # SGF files, folders (match.json beside SGFs is not read twice) and archives
            sgf_sources.append(source)
    for record in read_records(sgf_sources, []):
        if record.winner is None and record.result.strip() not in ("0", "Draw", "Jigo"):
            continue
        black = record.black_player or "black?"
        white = record.white_player or "white?"
        score = 1.0 if record.winner == BLACK else 0.0 if record.winner == WHITE else 0.5
        games.append((black, white, score))
    return games


def ratings_table(ratings: list[Rating]) -> str:
    width = max(6, *(len(r.player) for r in ratings))
    lines = [f"{'player':<{width}}  {'Elo':>7}  {'95% interval':>17}  {'games':>6}  {'score':>6}"]
    for r in ratings:
        interval = f"{r.low:+8.0f}..{r.high:+7.0f}"
        lines.append(f"{r.player:<{width}}  {r.elo:+7.0f}  {interval}  {r.games:6d}  {100 * r.score:5.1f}%")
    return "\n".join(lines)


def plot_ratings(ratings: list[Rating], path: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    generations = {r.player: _GENERATION.search(r.player) for r in ratings}
    fig, ax = plt.subplots(figsize=(8, 4))
    if all(generations.values()):
        points = sorted((int(generations[r.player].group(1)), r) for r in ratings)
        xs = [g for g, _ in points]
        ax.errorbar(
            xs, [r.elo for _, r in points], yerr=[1.96 * r.stderr for _, r in points], marker="o", capsize=3
        )
        ax.set_xlabel("generation")
    else:
        ordered = sorted(ratings, key=lambda r: r.elo)
        ax.barh(
            [r.player for r in ordered],
            [r.elo for r in ordered],
            xerr=[1.96 * r.stderr for r in ordered],
            capsize=3,
        )
        ax.set_xlabel("Elo")
    ax.set_ylabel("Elo" if all(generations.values()) else "")
    ax.set_title("Ratings (95% intervals)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
