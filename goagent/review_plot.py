"""The picture of a game review: Black's win rate and score lead against the move number.

``plot_review(review, mistakes, path)`` draws two panels sharing the move axis
(win rate in percent on top, score lead in points below, Black's side; a
position the engine did not search is a gap) and marks each mistake with its
move number.  Uses matplotlib's non-interactive backend: no display needed.
"""

from __future__ import annotations

import math


def _series(values) -> list[float]:
    return [math.nan if v is None else v for v in values]


def plot_review(review, mistakes, path: str) -> str:
    """Write the graph of ``review`` (a ``goagent.review.Review``) to ``path`` as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    record = review.record
    x = [p.moves for p in review.positions]
    winrate = _series(None if p.winrate is None else 100 * p.winrate for p in review.positions)
    score = _series(p.score for p in review.positions)
    has_score = any(not math.isnan(s) for s in score)
    fig, axes = plt.subplots(2 if has_score else 1, 1, figsize=(10, 6 if has_score else 3.5), sharex=True)
    axes = list(axes) if has_score else [axes]
    top = axes[0]
    top.plot(x, winrate, color="black", linewidth=1.2)
    top.fill_between(x, 50, winrate, color="0.6", alpha=0.4)
    top.axhline(50, color="0.5", linestyle="--", linewidth=0.8)
    top.set_ylim(0, 100)
    top.set_ylabel("Black's win rate (%)")
    if has_score:
        bottom = axes[1]
        bottom.plot(x, score, color="tab:blue", linewidth=1.2)
        bottom.axhline(0, color="0.5", linestyle="--", linewidth=0.8)
        bottom.set_ylabel("Black's score lead (points)")
    for m in mistakes:
        color = "tab:red" if m.color == 1 else "tab:orange"
        for ax, series in zip(axes, (winrate, score)):
            value = series[m.number]
            if math.isnan(value):
                continue
            ax.plot([m.number], [value], "o", color=color, markersize=5)
            ax.annotate(
                str(m.number), (m.number, value), textcoords="offset points", xytext=(3, 4), fontsize=7
            )
    axes[-1].set_xlabel("move (red: Black's mistakes, orange: White's)")
    names = f"{record.black_player or 'Black'} (B) vs {record.white_player or 'White'} (W)"
    result = f", {record.result}" if record.result else ""
    top.set_title(f"{names}{result}: goagent, {review.visits} visits a position, komi {record.komi:g}")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.set_xlim(0, max(1, len(x) - 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
