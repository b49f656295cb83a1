"""Training on self-play games: the replay window and one generation's training.

``replay_window`` loads the most recent ``window_positions`` positions from
the generations' ``game-*.npz`` files (newest games first) as a
``goagent.data.PositionTable``, the same table and target builder that SL
training uses (the visit distributions of full searches are the policy
targets).  ``train_candidate`` continues training a checkpoint on the window
with the supervised trainer's losses, optimizer and schedule.
"""

from __future__ import annotations

import glob
import logging
import os
import sys

import numpy as np

from goagent import features
from goagent.data import PositionTable, load_examples, merge_examples

log = logging.getLogger(__name__)


def replay_window(game_dirs: list[str], max_positions: int) -> PositionTable:
    """The newest ``max_positions`` positions (whole games) of the ``game-*.npz`` files in
    ``game_dirs`` (oldest folder first), as a position table."""
    files = []
    for folder in game_dirs:
        files.extend(sorted(glob.glob(os.path.join(folder, "game-*.npz"))))
    parts, total = [], 0
    for path in reversed(files):  # newest first
        parts.append(load_examples(path))
        total += len(parts[-1]["moves"])
        if total >= max_positions:
            break
    if not parts:
        raise ValueError(f"no self-play games in {game_dirs}")
    return PositionTable(merge_examples(parts[::-1]))


def train_candidate(
    init_path: str, out_path: str, window: PositionTable, cfg, seed: int, extra=None, progress: bool = True
) -> dict:
    """Train ``init_path``'s network for ``cfg.steps`` on ``window``; writes ``out_path`` atomically.
    ``cfg`` is a ``goagent.config.LearnConfig``, every field of which applies."""
    from tqdm import tqdm

    from goagent.checkpoint import load_checkpoint, save_checkpoint
    from goagent.train import make_optimizer, pick_device, to_tensors, train_step

    device = pick_device(cfg.device)
    model = (
        load_checkpoint(init_path, expected_feature_version=features.FEATURE_VERSION).model.to(device).train()
    )
    optimizer = make_optimizer(cfg, model)
    from goagent.precision import autocast_dtype  # train.precision: bf16 autocast where fast

    precision = "bf16 autocast" if autocast_dtype(cfg.precision, device.type) else "fp32"
    log.info("training precision: %s on %s", precision, device.type)
    sums: dict[str, float] = {}
    for step in tqdm(range(cfg.steps), desc="train", unit=" steps", file=sys.stderr, disable=not progress):
        rng = np.random.default_rng([seed, step])
        indices = rng.integers(0, len(window), cfg.batch)
        batch = to_tensors(window.batch(indices, rng if cfg.symmetries else None), device)
        for key, value in train_step(model, optimizer, batch, cfg, step, device).items():
            sums[key] = sums.get(key, 0.0) + value
    save_checkpoint(
        out_path,
        model,
        feature_version=features.FEATURE_VERSION,
        step=cfg.steps,
        train_config=cfg,
        data_description={"positions": len(window), "games": window.games},
        extra=extra,
    )
    return {k: v / max(1, cfg.steps) for k, v in sums.items()}
