"""goagent plot: SL and self-play metrics become a PNG; nothing to plot is a clear error."""

from __future__ import annotations

import json

import pytest

from goagent.plot import plot_run, read_metrics


def write_metrics(folder, records, torn_tail=False):
    folder.mkdir()
    text = "".join(json.dumps(r) + "\n" for r in records)
    (folder / "metrics.jsonl").write_text(text + ('{"step": 9' if torn_tail else ""))


def test_supervised_and_selfplay_runs_are_drawn(tmp_path):
    write_metrics(
        tmp_path / "sl", [{"step": s, "policy_loss": 3 - s / 10, "val_top1": s / 20} for s in (1, 2)], True
    )
    assert len(read_metrics(str(tmp_path / "sl"))) == 2  # the torn line of a crash is skipped
    loop = [
        {"generation": g, "games_per_hour": 300.0, "elo": 500.0 * g, "train_policy_loss": 3.0} for g in (1, 2)
    ]
    write_metrics(tmp_path / "loop", loop)
    for run in ("sl", "loop"):
        out = plot_run(str(tmp_path / run))
        with open(out, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_nothing_to_plot_says_so(tmp_path):
    write_metrics(tmp_path / "empty", [{"generation": 1}])
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_run(str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="no metrics"):
        plot_run(str(tmp_path / "missing"))


def test_several_runs_are_drawn_together(tmp_path):
    from goagent.cli import main

    for name, slope in (("fp32", 10), ("bf16", 11)):
        write_metrics(tmp_path / name, [{"step": s, "policy_loss": 3 - s / slope} for s in (1, 2, 3)])
    out = tmp_path / "both.png"
    assert main(["plot", str(tmp_path / "fp32"), str(tmp_path / "bf16"), "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
