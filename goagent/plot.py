"""`goagent plot RUN`: training curves from ``RUN/metrics.jsonl`` as a PNG.

Draws whatever the metrics hold: losses against step, validation accuracy,
throughput, and for self-play runs the Elo of each generation.  Uses
matplotlib's non-interactive backend, so it works without a display.
"""

from __future__ import annotations

import json
import os

PANELS = (
    ("losses", ("policy_loss", "val_policy_loss", "value_loss", "val_value_loss", "ownership_loss")),
    # The score loss is in points (about 10, against 1-2 for the rest): its own axis.
    ("score loss (Huber, points)", ("score_loss",)),
    ("move prediction (validation)", ("val_top1", "val_top5")),
    ("throughput (samples/s)", ("samples_per_s",)),
    # self-play runs: one record per generation
    ("training losses of each candidate", ("train_policy_loss", "train_value_loss", "train_ownership_loss")),
    ("self-play games per hour", ("games_per_hour",)),
    ("self-play positions per second", ("positions_per_s",)),
    ("Elo of the best network (generation 0 = 0, summed gate results)", ("elo",)),
)


def read_metrics(run: str) -> list[dict]:
    """Every JSON line of RUN/metrics.jsonl (a torn last line from a crash is ignored)."""
    path = os.path.join(run, "metrics.jsonl")
    if not os.path.exists(path):
        raise FileNotFoundError(f"no metrics in {run!r}: expected {path}")
    records = []
    with open(path) as handle:
        for line in handle:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def plot_run(run: str, out: str | None = None) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = read_metrics(run)
    x_key = "step" if any("step" in r for r in records) else "generation"
    panels = [(title, [k for k in keys if any(k in r for r in records)]) for title, keys in PANELS]
    panels = [(title, keys) for title, keys in panels if keys]
    if not panels:
        raise ValueError(f"{run}/metrics.jsonl holds nothing to plot yet")
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.8 * len(panels)), squeeze=False)
    for ax, (title, keys) in zip(axes[:, 0], panels):
        for key in keys:
            points = [(r[x_key], r[key]) for r in records if key in r and x_key in r]
            if key == "elo" and x_key == "generation":
                points.insert(0, (0, 0.0))  # the starting network is the reference
            if points:
                xs, ys = zip(*points)
                ax.plot(xs, ys, label=key, marker="." if len(points) < 30 else None)
        ax.set_title(title)
        ax.set_xlabel(x_key)
        if x_key == "generation":
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(os.path.basename(os.path.abspath(run)))
    fig.tight_layout()
    out = out or os.path.join(run, "curves.png")
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
