"""The self-play loop: generate, train, gate, promote; resumable after any crash.

A run directory holds everything:

- ``config.toml``: the resolved ``LoopConfig``;
- ``state.json``: the generation in progress and the current best model;
- ``models/gen-NNNN.pt``: every promoted network (``gen-0000`` is the start:
  random weights, or ``--init``);
- ``games/gen-NNNN/game-NNNNNN.{npz,sgf}``: the self-play games of a
  generation, played by the best model of the time;
- ``candidates/gen-NNNN.pt`` and ``gates/gen-NNNN.json``: the trained network
  and its gate match against the best;
- ``metrics.jsonl``: one line per generation (games/hour, positions/s, losses,
  false-resign rate, gate result, Elo of the best model).

Every file is written atomically (temp file + rename), and every stage looks
at what is already on disk before working: killed during generation, the
loop plays only the missing game ids; killed during training or gating, it
redoes that stage (same seeds); so nothing is lost or duplicated.  Ctrl-C
stops cleanly between or inside stages.  Start reading at ``run_loop``.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import sys
import threading
import time

from goagent import features
from goagent.config import dump_toml, model_preset, to_dict
from goagent.fileio import append_jsonl, atomic_write, write_json
from goagent.precision import EXACT, NumericPath
from selfplay.config import LoopConfig
from selfplay.ratings import bounded_elo
from selfplay.worker import done_game_ids

log = logging.getLogger(__name__)


class RunDir:
    def __init__(self, root: str):
        self.root = root

    def path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def model(self, generation: int) -> str:
        return self.path("models", f"gen-{generation:04d}.pt")

    def games(self, generation: int) -> str:
        return self.path("games", f"gen-{generation:04d}")

    def candidate(self, generation: int) -> str:
        return self.path("candidates", f"gen-{generation:04d}.pt")

    def gate(self, generation: int) -> str:
        return self.path("gates", f"gen-{generation:04d}.json")

    def read_state(self) -> dict | None:
        try:
            with open(self.path("state.json")) as handle:
                return json.load(handle)
        except FileNotFoundError:
            return None

    def write_json(self, path: str, data) -> None:
        write_json(path, data)

    def append_metrics(self, record: dict) -> None:
        append_jsonl(self.path("metrics.jsonl"), record)


def _initial_model(run: RunDir, cfg: LoopConfig, init: str | None) -> None:
    """Write models/gen-0000.pt: a copy of ``init`` or a fresh random network."""
    path = run.model(0)
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    import torch

    from goagent.checkpoint import load_checkpoint, save_checkpoint
    from goagent.network import build_model

    torch.manual_seed(cfg.seed)
    model = (
        load_checkpoint(init, expected_feature_version=features.FEATURE_VERSION).model
        if init
        else build_model(model_preset(cfg.model, features.NUM_PLANES))
    )
    save_checkpoint(path, model, feature_version=features.FEATURE_VERSION, extra={"generation": 0})


# --- stages -----------------------------------------------------------------------


def generate(
    run: RunDir,
    cfg: LoopConfig,
    generation: int,
    best: str,
    ray_address: str | None = None,
    numerics: NumericPath = EXACT,
) -> dict:
    """Play the generation's missing games with ``best`` (its network computing as
    ``numerics`` says); returns throughput figures."""
    sp = cfg.selfplay
    out = run.games(generation)
    _remove_partial_files(out)
    missing = [i for i in range(sp.games_per_generation) if i not in done_game_ids(out)]
    start = time.time()
    seed = cfg.seed * 7919 + generation
    if missing:
        with _GameProgress(out, sp.games_per_generation, f"generation {generation}"):
            if ray_address:
                from selfplay.distributed import generate_with_ray

                generate_with_ray(ray_address, best, sp, missing, out, seed, numerics)
            else:
                _generate_local(best, sp, missing, out, seed, numerics)
    elapsed = time.time() - start
    return _generation_stats(out, len(missing), elapsed)


class _GameProgress:
    """A progress bar of the generation's finished games, fed by watching the folder
    (the same for local processes and Ray actors, and right after a resume)."""

    def __init__(self, folder: str, total: int, label: str, every: float = 2.0):
        self.folder, self.total, self.label, self.every = folder, total, label, every
        self.stop = threading.Event()

    def _watch(self) -> None:
        from tqdm import tqdm

        with tqdm(total=self.total, desc=self.label, unit=" games", file=sys.stderr) as bar:
            while True:
                stopping = self.stop.wait(self.every)
                bar.update(len(done_game_ids(self.folder)) - bar.n)
                if stopping:
                    return

    def __enter__(self):
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def _remove_partial_files(folder: str) -> None:
    """Temp files left by a killed writer are never complete games: delete them."""
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if ".tmp" in name:
                os.remove(os.path.join(folder, name))


def _generate_local(best: str, sp, missing: list[int], out: str, seed: int, numerics: NumericPath) -> None:
    from selfplay.worker import worker_main

    workers = min(sp.workers or os.cpu_count() or 1, len(missing))
    if workers <= 1:
        worker_main(best, sp, missing, out, seed, threads=os.cpu_count() or 1, numerics=numerics)
        return
    chunks = [missing[w::workers] for w in range(workers)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        jobs = [pool.apply_async(worker_main, (best, sp, chunk, out, seed, 1, numerics)) for chunk in chunks]
        for job in jobs:
            job.get()


def _generation_stats(out: str, played: int, elapsed: float) -> dict:
    """Games, positions, throughput and the false-resignation rate of a generation, read
    from every game on disk (one pass), so a resumed generation counts all its games.

    A false resignation is a no-resign game where the side that would have resigned
    went on to win."""
    import glob

    import numpy as np

    positions = false_resigns = checked = 0
    for path in glob.glob(os.path.join(out, "game-*.npz")):
        with np.load(path, allow_pickle=False) as data:
            positions += len(data["to_play"])
            if bool(data["resign_checked"]):
                checked += 1
                false_resigns += bool(data["false_resign"])
    stats = {"games": len(done_game_ids(out)), "positions": positions, "games_played_now": played}
    if played and elapsed > 0:
        stats["games_per_hour"] = played * 3600 / elapsed
        stats["positions_per_s"] = positions * played / max(1, stats["games"]) / elapsed
    if checked:
        stats["false_resign_rate"] = false_resigns / checked
    return stats


def train(run: RunDir, cfg: LoopConfig, generation: int, start_from: str) -> dict:
    from selfplay.learner import replay_window, train_candidate

    dirs = [run.games(g) for g in range(1, generation + 1) if os.path.isdir(run.games(g))]
    window = replay_window(dirs, cfg.window_positions)
    metrics = train_candidate(
        start_from,
        run.candidate(generation),
        window,
        cfg.train,
        seed=cfg.seed + generation,
        extra={"generation": generation},
    )
    metrics["window_positions"] = len(window)
    return metrics


def gate(run: RunDir, cfg: LoopConfig, generation: int, best: str, numerics: NumericPath = EXACT) -> dict:
    from selfplay.agents import PlayerSpec, network_loader
    from selfplay.arena import MatchSettings, run_match

    path = run.gate(generation)
    if os.path.exists(path):
        with open(path) as handle:
            return json.load(handle)
    settings = MatchSettings(
        games=cfg.gate.games,
        size=cfg.selfplay.board_size,
        komi=cfg.selfplay.komi,
        openings="random-2",
        sprt=cfg.gate.sprt,
        seed=cfg.seed + generation,
        parallel=min(cfg.gate.games, os.cpu_count() or 1),
    )
    a = PlayerSpec(run.candidate(generation), visits=cfg.gate.visits, resign=-1.0)
    b = PlayerSpec(best, visits=cfg.gate.visits, resign=-1.0)
    print(f"gate {generation}: candidate against {os.path.basename(best)}", file=sys.stderr)
    summary = run_match(a, b, settings, loader=network_loader(numerics)).summary()
    summary["promoted"] = summary["score"] >= cfg.gate.threshold
    summary.pop("results", None)
    run.write_json(path, summary)
    return summary


# --- the loop ---------------------------------------------------------------------


def prepare_run(run: RunDir, cfg: LoopConfig, init: str | None) -> None:
    """Create the run folder, its resolved config and generation 0 (if not there yet)."""
    os.makedirs(run.root, exist_ok=True)
    if not os.path.exists(run.path("config.toml")):
        dump_toml(to_dict(cfg), run.path("config.toml"))  # atomic
    _initial_model(run, cfg, init)


def run_loop(
    root: str,
    cfg: LoopConfig,
    generations: int | None = None,
    init: str | None = None,
    ray_address: str | None = None,
    numerics: NumericPath = EXACT,
) -> None:
    """Run (or resume) the loop in ``root`` for ``generations`` more generations (None: forever);
    the self-play and gate networks compute as ``numerics`` says."""
    run = RunDir(root)
    prepare_run(run, cfg, init)
    state = run.read_state() or {"generation": 1, "best": 0, "elo": 0.0}
    done = 0
    while generations is None or done < generations:
        g = state["generation"]
        best = run.model(state["best"])
        started = time.time()
        gen_stats = generate(run, cfg, g, best, ray_address, numerics)
        previous = run.candidate(g - 1) if g > 1 and os.path.exists(run.candidate(g - 1)) else best
        train_metrics = train(run, cfg, g, previous) if not os.path.exists(run.candidate(g)) else {}
        gate_result = gate(run, cfg, g, best, numerics)
        promoted = gate_result["promoted"]
        # A clean sweep has infinite match Elo; count it as its finite bound instead of nothing.
        gain = bounded_elo(gate_result["score"], gate_result["games"]) if promoted else 0.0
        elo = state["elo"] + gain
        if promoted and not os.path.exists(run.model(g)):
            with open(run.candidate(g), "rb") as source:
                atomic_write(run.model(g), lambda handle: shutil.copyfileobj(source, handle))
        record = {
            "generation": g,
            "time": time.time(),
            "seconds": time.time() - started,
            **gen_stats,
            **{f"train_{k}": v for k, v in train_metrics.items()},
            "gate_score": gate_result["score"],
            "gate_elo": gate_result["elo"],
            "promoted": promoted,
            "best": g if promoted else state["best"],
            "elo": elo,
        }
        run.append_metrics(record)
        state = {"generation": g + 1, "best": g if promoted else state["best"], "elo": elo}
        run.write_json(run.path("state.json"), state)
        log.info("generation %d: %s", g, record)
        _report(record)
        done += 1


def _report(record: dict) -> None:
    """One line per generation on stderr, so a user sees the loop move without -v."""
    train = record.get("train_policy_loss")
    parts = [
        f"generation {record['generation']}:",
        f"{record.get('games_played_now', 0)} games",
        f"({record['games_per_hour']:.0f}/h)" if "games_per_hour" in record else "",
        f"train policy loss {train:.3f} value loss {record.get('train_value_loss', 0):.3f}"
        if train is not None
        else "",
        f"gate score {100 * record['gate_score']:.0f}%",
        "promoted" if record["promoted"] else "not promoted",
        f"| best gen {record['best']}, Elo {record['elo']:+.0f}",
        f"| {record['seconds'] / 60:.1f} min",
    ]
    print(" ".join(p for p in parts if p), file=sys.stderr, flush=True)


def resolve_config(config: str, overrides: list[str]) -> LoopConfig:
    from goagent.config import apply_overrides
    from selfplay.config import load_config

    return apply_overrides(load_config(config), overrides)
