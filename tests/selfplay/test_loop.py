"""The self-play loop: two tiny generations end to end, resume after kill -9, Ray."""

from __future__ import annotations

import glob
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sgfmill import sgf

from goagent.checkpoint import load_checkpoint
from goagent.config import load_toml
from goagent.data import EXAMPLE_FORMAT_VERSION
from goagent.plot import read_metrics
from selfplay.config import LoopConfig, preset
from selfplay.loop import run_loop

GAMES = preset("tiny").selfplay.games_per_generation


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON: strict readers (jq, JavaScript) reject it")


def strict_json(text: str):
    """``json.loads`` that refuses NaN and Infinity, as jq and JavaScript do."""
    return json.loads(text, parse_constant=_no_constants)


def check_run_is_intact(run: Path, generations: int) -> None:
    """Every file of the run parses, and each generation holds exactly its games."""
    for path in run.rglob("*.json"):
        strict_json(path.read_text())
    for line in (run / "metrics.jsonl").read_text().splitlines():
        strict_json(line)
    assert isinstance(load_toml(run / "config.toml", LoopConfig), LoopConfig)
    state = json.loads((run / "state.json").read_text())
    assert state["generation"] == generations + 1
    assert len(read_metrics(str(run))) == generations
    for g in range(1, generations + 1):
        folder = run / "games" / f"gen-{g:04d}"
        npz = sorted(folder.glob("game-*.npz"))
        assert [int(p.name[5:11]) for p in npz] == list(range(GAMES))  # none lost, none twice
        assert not list(folder.glob("*.tmp*"))
        for path in npz:
            with np.load(path, allow_pickle=False) as data:
                assert int(data["format_version"]) == EXAMPLE_FORMAT_VERSION  # the one example format
                assert len(data["to_play"]) == len(data["visits"]) == len(data["moves"]) > 0
                assert np.allclose(data["visits"].sum(axis=1), 1.0, atol=1e-4)
            game = sgf.Sgf_game.from_bytes(path.with_suffix(".sgf").read_bytes())
            assert game.get_size() == 5
        assert (run / "candidates" / f"gen-{g:04d}.pt").exists()
        assert json.loads((run / "gates" / f"gen-{g:04d}.json").read_text())["games"] > 0
    for model in (run / "models").glob("*.pt"):
        load_checkpoint(model)


def test_tiny_config_runs_two_generations(tmp_path):
    run = tmp_path / "run"
    start = time.time()
    run_loop(str(run), preset("tiny"), generations=2)
    print(f"two tiny generations in {time.time() - start:.0f} s")
    check_run_is_intact(run, 2)
    metrics = read_metrics(str(run))
    assert {"games_per_hour", "positions", "train_policy_loss", "gate_score", "elo"} <= set(metrics[-1])


def _start_loop(run: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "goagent.cli",
        "selfplay",
        "loop",
        "--run",
        str(run),
        "--config",
        "tiny",
        "--generations",
        "1",
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for_games(run: Path, count: int, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(glob.glob(str(run / "games" / "gen-0001" / "game-*.npz"))) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"no {count} games after {timeout} s")


def test_resume_after_kill_loses_and_duplicates_nothing(tmp_path):
    run = tmp_path / "run"
    process = _start_loop(run)
    try:
        _wait_for_games(run, 1, timeout=150)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    done_before = len(list((run / "games" / "gen-0001").glob("game-*.npz")))
    assert 1 <= done_before
    run_loop(str(run), preset("tiny"), generations=1)
    check_run_is_intact(run, 1)


@pytest.mark.slow
def test_survives_kill_9_five_times(tmp_path):
    run = tmp_path / "run"
    rng = random.Random(5)
    for _ in range(5):
        process = _start_loop(run)
        time.sleep(rng.uniform(4, 15))
        process.send_signal(signal.SIGKILL)
        process.wait()
    run_loop(str(run), preset("tiny"), generations=1)
    state = json.loads((run / "state.json").read_text())
    check_run_is_intact(run, state["generation"] - 1)


def test_ray_generation(tmp_path):
    """Self-play workers on a one-machine Ray cluster.  CI installs the ray extra and sets
    GOAGENT_REQUIRE_RAY, so there a missing Ray fails instead of skipping."""
    if os.environ.get("GOAGENT_REQUIRE_RAY"):
        import ray
    else:
        ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'goagent[ray]')")
    from selfplay.distributed import generate_with_ray
    from selfplay.loop import RunDir, prepare_run

    cfg = preset("tiny")
    run = RunDir(str(tmp_path / "run"))
    prepare_run(run, cfg, None)
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True)
    try:
        generate_with_ray("auto", run.model(0), cfg.selfplay, [0, 1, 2], run.games(1), seed=1)
    finally:
        ray.shutdown()
    assert sorted(os.listdir(run.games(1))) == [
        f"game-{i:06d}.{ext}" for i in range(3) for ext in ("npz", "sgf")
    ]


OLD_LOOP_TOML = """\
model = "tiny"
seed = 0
window_positions = 20000

[selfplay]
board_size = 5
komi = 0.5
visits = 16
fast_visits = 8
batch_size = 4
noise_fraction = 0.3
dirichlet_alpha = 5.0
temperature_moves = 4

[train]
model = "tiny"
steps = 10
batch = 64
lr = 0.02
eval_every = 1000000000
checkpoint_every = 1000000000
log_every = 50
mixed_precision = false
"""


def test_an_old_run_config_still_loads_converted(tmp_path, caplog):
    """A run saved before SelfPlayConfig nested SearchConfig and before the self-play
    learner had its own LearnConfig resumes: the keys move or go, and the log says so."""
    from goagent.config import LearnConfig, load_toml
    from selfplay.config import LoopConfig

    path = tmp_path / "config.toml"
    path.write_text(OLD_LOOP_TOML)
    cfg = load_toml(path, LoopConfig)
    search = cfg.selfplay.search
    assert (search.batch_size, search.noise_fraction, search.dirichlet_alpha) == (4, 0.3, 5.0)
    assert search.memory_budget == 256_000_000  # the self-play default, not GTP's
    assert type(cfg.train) is LearnConfig and (cfg.train.steps, cfg.train.precision) == (10, "fp32")
    assert "moved to selfplay.search" in caplog.text
    assert "never applied to self-play training" in caplog.text and "eval_every" in caplog.text


def test_selfplay_settings_are_player_settings():
    from selfplay.config import preset

    sp = preset("tiny").selfplay
    player = sp.player_config()
    assert (player.visits, player.fast_visits, player.full_search_fraction) == (16, 8, 0.25)
    assert (player.temperature, player.temperature_moves) == (1.0, 4)
    assert player.search is sp.search and player.search.noise_fraction == 0.25


def _tiny_games(tmp_path, count=2):
    from goagent.mcts import PlayoutEvaluator
    from selfplay.worker import play_games

    cfg = preset("tiny").selfplay
    out = tmp_path / "run" / "games" / "gen-0001"
    play_games(PlayoutEvaluator(1, seed=0), cfg, list(range(count)), str(out), seed=0)
    return out


def test_selfplay_games_and_sgf_records_build_the_same_planes(tmp_path):
    """One example format: a self-play game file read by the one target builder gives the
    planes ``features.encode`` gives for the game's positions replayed from its SGF."""
    from goagent import features
    from goagent.sgf import read_sgf
    from selfplay.learner import replay_window

    out = _tiny_games(tmp_path, 1)
    table = replay_window([str(out)], 10_000)
    record = read_sgf((out / "game-000000.sgf").read_bytes(), "game-000000.sgf")
    batch = table.batch(np.arange(len(record.moves)))
    state = record.to_state(0)
    for i, move in enumerate(record.moves):
        expected = features.encode(state)
        # legal moves in the table are by simple ko (superko differs only in repeats)
        assert np.array_equal(batch["planes"][i], expected), f"position {i}"
        state.play(move.action, move.color)
    assert batch["policy"].shape == (len(record.moves), 26) and "policy_mask" in batch


def test_an_old_selfplay_run_gets_a_clear_error_and_converts(tmp_path):
    from goagent import features
    from goagent.cli import main
    from goagent.sgf import read_sgf
    from selfplay.learner import replay_window

    out = _tiny_games(tmp_path, 2)
    new = {p.name: dict(np.load(p)) for p in out.glob("game-*.npz")}
    for name, arrays in new.items():  # rewrite them as the first self-play layout wrote them
        record = read_sgf((out / name.replace(".npz", ".sgf")).read_bytes(), name)
        state = record.to_state(0)
        compacts = []
        for move in record.moves:
            compacts.append(features.compact(state))
            state.play(move.action, move.color)
        rows = len(arrays["moves"])
        if rows == len(compacts) + 1:
            compacts.append(features.compact(state))
        np.savez_compressed(
            out / name,
            format_version=np.array(1),
            stones=np.stack([c.stones for c in compacts]),
            to_play=np.array([c.to_play for c in compacts], np.int8),
            policy=arrays["visits"],
            full=arrays["full"],
            counted=np.array(np.isfinite(arrays["score"][0])),
            score=arrays["score"][0],
            resign_checked=arrays["resign_checked"][0],
            false_resign=arrays["false_resign"][0],
        )
    with pytest.raises(ValueError, match="goagent selfplay convert --run"):
        replay_window([str(out)], 10_000)
    assert main(["selfplay", "convert", "--run", str(tmp_path / "run")]) == 0
    for name, arrays in new.items():
        converted = np.load(out / name)
        for key in ("boards", "moves", "to_play", "ko", "visits", "full", "winner", "ownership"):
            assert np.array_equal(converted[key], arrays[key]), key
    assert len(replay_window([str(out)], 10_000)) == sum(len(a["moves"]) for a in new.values())
