"""Supervised pipeline end to end: prepare a few games, train, evaluate, resume."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from goagent.checkpoint import load_checkpoint
from goagent.config import TrainConfig
from goagent.data import PositionTable, PrepareFilter, is_validation, prepare, rank_value, split_key
from goagent.train import StepBatches, _batches, evaluate_games, losses, train

GAMES = [
    b"(;SZ[9]KM[7]RE[B+R]BR[6d]WR[6d];B[ee];W[cc];B[gc];W[cg];B[gg];W[ec];B[dd];W[dc];B[ce];W[be]"
    b";B[bd];W[cf];B[de];W[gd];B[hd];W[fd];B[ge];W[hc];B[ic];W[hb];B[fe];W[ed])",
    b"(;SZ[9]KM[7]RE[W+2]BR[5d]WR[7d];B[dd];W[ff];B[fd];W[df];B[ee];W[ef];B[fe];W[ge];B[gd];W[he]"
    b";B[cf];W[cg];B[bg];W[ch];B[dg];W[eg];B[bh];W[ci];B[cc];W[hd])",
    b"(;SZ[9]KM[7]RE[B+4]BR[6d]WR[6d];B[ef];W[de];B[ce];W[cd];B[df];W[ee];B[fe];W[ed];B[fd];W[fc]"
    b";B[gc];W[fb];B[gb];W[ga];B[ha];W[fa])",
    b"(;SZ[13]KM[7];B[gg];W[dd])",  # another size: skipped by the filter
    b"(;SZ[9];B[aa];W[ba];B[ca];W[da];B[ea];W[fa];B[ga];W[ha];B[ia];W[ab];B[bb];W[bb])",  # illegal: occupied
]


NO_VAL = PrepareFilter(board_size=9, min_moves=10, val_percent=0)


@pytest.fixture()
def sgf_folder(tmp_path) -> Path:
    folder = tmp_path / "sgf"
    folder.mkdir()
    for i, data in enumerate(GAMES):
        (folder / f"g{i}.sgf").write_bytes(data)
    (folder / "broken.sgf").write_bytes(b"(;SZ[9")
    return folder


def tiny_config(**kw) -> TrainConfig:
    base = TrainConfig(
        model="tiny",
        steps=30,
        batch=32,
        lr=0.02,
        warmup_steps=1,
        log_every=10,
        eval_every=10,
        checkpoint_every=10,
        val_positions=64,
        device="cpu",
        symmetries=False,
        threads=1,
    )
    return replace(base, **kw)


def test_rank_values_order():
    assert rank_value("30k") < rank_value("1k") < rank_value("1d") < rank_value("6d") < rank_value("1p")
    assert rank_value("?") is None


def test_split_does_not_depend_on_where_the_corpus_lies():
    assert split_key("/a/b/KGS-2001.tar.gz:KGS2001/x.sgf") == "KGS-2001.tar.gz:KGS2001/x.sgf"
    assert split_key("../shared/data/KGS-2001.tar.gz:KGS2001/x.sgf") == "KGS-2001.tar.gz:KGS2001/x.sgf"
    assert split_key("/tmp/games.zip:deep/y.sgf") == "games.zip:deep/y.sgf"
    assert split_key("/tmp/pytest-7/sgf/g1.sgf") == split_key("g1.sgf") == "g1.sgf"
    names = [f"game-{i}.sgf" for i in range(2_000)]
    held_out = [is_validation(f"/one/place/{n}", 10) for n in names]
    assert held_out == [is_validation(f"../another/{n}", 10) for n in names]
    assert 150 < sum(held_out) < 250  # about 10%


def test_prepare_reports_skips_and_splits_by_game(sgf_folder, tmp_path):
    out = tmp_path / "data"
    summary = prepare(
        [str(sgf_folder)],
        str(out),
        PrepareFilter(board_size=9, min_moves=10, val_percent=15),
        workers=1,
        progress=False,
    )
    assert summary["games"] == {"train": 2, "val": 1}  # g1.sgf hashes into the 15% held out
    assert summary["skipped"] == {"board size 13": 1, "illegal move": 1, "unreadable SGF": 1}
    assert json.loads((out / "summary.json").read_text())["skipped"] == summary["skipped"]
    again = prepare(
        [str(sgf_folder)],
        str(tmp_path / "again"),
        PrepareFilter(board_size=9, min_moves=10, val_percent=15),
        workers=1,
        progress=False,
    )
    assert again["games"] == summary["games"]  # the split is deterministic
    strong = prepare(
        [str(sgf_folder)],
        str(tmp_path / "strong"),
        PrepareFilter(board_size=9, min_rank="6d", min_moves=10),
        workers=1,
        progress=False,
    )
    assert strong["skipped"].get("rank below minimum") == 2  # the 5d game and the one without ranks


def test_batches_hold_the_right_targets(sgf_folder, tmp_path):
    out = tmp_path / "data"
    prepare(
        [str(sgf_folder)],
        str(out),
        PrepareFilter(board_size=9, min_moves=10, val_percent=0),
        workers=1,
        progress=False,
    )
    table = PositionTable.from_folder(str(out), "train")
    batch = table.batch(np.arange(len(table)))
    assert batch["planes"].shape == (len(table), batch["planes"].shape[1], 9, 9)
    first = int(np.flatnonzero(table.a["game_start"] == 0)[0])
    assert batch["policy"][first] == table.a["moves"][first]
    # Value: +1 for the winner's moves.  Game 0 was won by Black (B+R): Black's first move -> +1.
    assert set(np.unique(batch["value"])) <= {-1.0, 1.0}
    rng = np.random.default_rng(0)
    augmented = table.batch(np.arange(len(table)), rng)
    assert augmented["planes"].sum() == pytest.approx(batch["planes"].sum())  # symmetries keep the content


def test_train_evaluate_resume_and_memorise(sgf_folder, tmp_path):
    data, run = tmp_path / "data", tmp_path / "run"
    prepare(
        [str(sgf_folder)],
        str(data),
        PrepareFilter(board_size=9, min_moves=10, val_percent=15),
        workers=1,
        progress=False,
    )
    table = PositionTable.from_folder(str(data), "train")
    cfg = tiny_config()
    first = train(replace(cfg, steps=10), str(data), str(run), progress=False)
    resumed = train(cfg, str(data), str(run), progress=False)
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [10, 20, 30]  # resumed at 10, not restarted
    assert "val_top1" in lines[-1] and "val_top5" in lines[-1]
    assert resumed["policy_loss"] < first["policy_loss"]  # memorising the few training positions
    ckpt = load_checkpoint(run / "checkpoint.pt")
    assert ckpt.step == 30 and ckpt.data_description["games"]["train"] >= 1
    batch = {k: torch.from_numpy(v) for k, v in table.batch(np.arange(len(table))).items()}
    with torch.no_grad():
        loss = losses(ckpt.model(batch["planes"]), batch, cfg)["policy_loss"].item()
    assert loss < np.log(82)  # better than a uniform guess over the 82 actions
    result = evaluate_games(str(run / "checkpoint.pt"), [str(sgf_folder)], max_games=2, progress=False)
    assert result["games"] == 2 and result["positions"] > 0 and 0 <= result["top1"] <= result["top5"] <= 1


def test_worker_processes_build_the_same_batches(sgf_folder, tmp_path):
    out = tmp_path / "data"
    prepare([str(sgf_folder)], str(out), NO_VAL, workers=1, progress=False)
    table = PositionTable.from_folder(str(out), "train")
    cfg = tiny_config(steps=6, batch=8, symmetries=True)
    expected = [StepBatches(table, cfg)[step] for step in range(2, 6)]
    got = list(_batches(table, replace(cfg, workers=2), 2, torch.device("cpu")))  # resumed at step 2
    assert len(got) == len(expected) == 4
    for mine, theirs in zip(got, expected, strict=True):
        for key, value in theirs.items():
            np.testing.assert_array_equal(mine[key].numpy(), value)


def test_time_limit_stops_with_a_checkpoint_that_resumes(sgf_folder, tmp_path):
    data, run = tmp_path / "data", tmp_path / "run"
    prepare([str(sgf_folder)], str(data), NO_VAL, workers=1, progress=False)
    cfg = tiny_config(steps=1000, checkpoint_every=1000, log_every=1000)
    train(replace(cfg, max_minutes=1e-9), str(data), str(run), progress=False)  # out of time after one step
    assert load_checkpoint(run / "checkpoint.pt").step == 1
    train(replace(cfg, steps=3), str(data), str(run), progress=False)
    assert load_checkpoint(run / "checkpoint.pt").step == 3


def test_sl_eval_default_means_the_shipped_networks(sgf_folder):
    """``--model default`` is what it is everywhere: 9x9.pt plays the 9x9 games."""
    from goagent.inference import shipped_weights, specialist_weights

    result = evaluate_games("default", [str(sgf_folder)], max_games=1, progress=False)
    assert result["games"] == 1
    assert result["networks"] == {"9": str(shipped_weights(9))}
    if 9 in specialist_weights():
        assert result["networks"]["9"].endswith("9x9.pt")


def test_train_only_fine_tunes_the_named_heads_and_keeps_the_rest(sgf_folder, tmp_path):
    """``train_only=value_head``: the trunk and the policy head keep their weights and their
    BatchNorm statistics, the value head learns, and a resumed run keeps it so."""
    data, base, tuned = tmp_path / "data", tmp_path / "base", tmp_path / "tuned"
    prepare([str(sgf_folder)], str(data), NO_VAL, workers=1, progress=False)
    train(tiny_config(steps=2), str(data), str(base), progress=False)
    start = load_checkpoint(base / "checkpoint.pt").model.state_dict()
    cfg = tiny_config(steps=4, init=str(base / "checkpoint.pt"), train_only="value_head", lr=0.05)
    train(replace(cfg, steps=2), str(data), str(tuned), progress=False)
    train(cfg, str(data), str(tuned), progress=False)  # resumed: still frozen
    end = load_checkpoint(tuned / "checkpoint.pt").model.state_dict()
    frozen = [k for k in start if not k.startswith("value_head.")]
    assert any("running_mean" in k for k in frozen)  # BatchNorm statistics are among them
    for key in frozen:
        assert torch.equal(start[key], end[key]), key
    assert any(not torch.equal(start[k], end[k]) for k in start if k.startswith("value_head."))


def test_train_only_names_a_module_the_network_has(sgf_folder, tmp_path):
    data = tmp_path / "data"
    prepare([str(sgf_folder)], str(data), NO_VAL, workers=1, progress=False)
    with pytest.raises(ValueError, match="no module valu_head"):
        train(tiny_config(steps=1, train_only="valu_head"), str(data), str(tmp_path / "run"), progress=False)


def test_a_network_trained_on_targets_without_dead_stones_says_so(sgf_folder, tmp_path):
    """``sl prepare`` notes how it took the dead stones off; the checkpoint carries it,
    and only such a network's ownership is averaged into the count."""
    from goagent.inference import knows_dead_stones, load_evaluator

    data, run = tmp_path / "data", tmp_path / "run"
    summary = prepare([str(sgf_folder)], str(data), NO_VAL, workers=1, progress=False)
    assert sum(summary["dead_stones"].values()) == 2  # the two counted games (W+2, B+4)
    train(tiny_config(steps=1), str(data), str(run), progress=False)
    assert load_evaluator(str(run / "checkpoint.pt")).knows_dead_stones
    assert not knows_dead_stones({"folder": "data/kgs", "games": {"train": 10}})  # older shards
