"""`goagent plot RUN [RUN ...]`: training curves from ``RUN/metrics.jsonl`` as a PNG.

Draws whatever the metrics hold: losses against step, validation accuracy,
throughput, and for self-play runs the Elo of each generation.  Several runs
are drawn over each other, one colour per run (e.g. the same training at fp32
and bf16).  Uses matplotlib's non-interactive backend, so it works without a
display.
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
    """Draw one run's curves into ``out`` (default RUN/curves.png); returns the path."""
    return plot_runs([run], out or os.path.join(run, "curves.png"))


def plot_runs(runs: list[str], out: str) -> str:
    """Draw the curves of ``runs`` over each other (a line style per metric, a colour
    per run) into ``out``; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    all_records = {run: read_metrics(run) for run in runs}
    every = [r for records in all_records.values() for r in records]
    x_key = "step" if any("step" in r for r in every) else "generation"
    panels = [(title, [k for k in keys if any(k in r for r in every)]) for title, keys in PANELS]
    panels = [(title, keys) for title, keys in panels if keys]
    if not panels:
        raise ValueError(f"{', '.join(f'{run}/metrics.jsonl' for run in runs)}: nothing to plot yet")
    names = [os.path.basename(os.path.abspath(run)) for run in runs]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    styles = ("-", "--", ":", "-.")
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.8 * len(panels)), squeeze=False)
    for ax, (title, keys) in zip(axes[:, 0], panels):
        for r_index, (name, records) in enumerate(zip(names, all_records.values())):
            for k_index, key in enumerate(keys):
                points = [(r[x_key], r[key]) for r in records if key in r and x_key in r]
                if key == "elo" and x_key == "generation":
                    points.insert(0, (0, 0.0))  # the starting network is the reference
                if not points:
                    continue
                xs, ys = zip(*points)
                many = len(runs) > 1
                ax.plot(
                    xs,
                    ys,
                    label=f"{name}: {key}" if many else key,
                    color=colors[(r_index if many else k_index) % len(colors)],
                    linestyle=styles[k_index % len(styles)] if many else "-",
                    marker="." if len(points) < 30 else None,
                    linewidth=1.2,
                )
        ax.set_title(title)
        ax.set_xlabel(x_key)
        if x_key == "generation":
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(" vs ".join(names))
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
