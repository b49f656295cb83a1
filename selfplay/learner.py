"""Training on self-play games: the replay window and one generation's training.

``ReplayWindow`` loads the most recent ``window_positions`` positions from the
generations' ``game-*.npz`` files (newest games first) and builds batches:
planes rebuilt from the stored compact encoding, a random symmetry per
position, the search's visit distribution as a soft policy target (full
searches only), the game outcome as the value target, and final ownership
and score for games that were counted rather than resigned.
``train_candidate`` continues training a checkpoint on the window with the
supervised trainer's losses, optimizer and schedule.
"""

from __future__ import annotations

import glob
import logging
import os
import sys

import numpy as np

from goagent import features, symmetry
from goagent.coords import BLACK, WHITE

log = logging.getLogger(__name__)


class ReplayWindow:
    def __init__(self, game_dirs: list[str], max_positions: int):
        """``game_dirs`` oldest first; the newest games fill the window first."""
        parts = []
        total = 0
        files = []
        for folder in game_dirs:
            files.extend(sorted(glob.glob(os.path.join(folder, "game-*.npz"))))
        for path in reversed(files):
            with np.load(path, allow_pickle=False) as data:
                part = {key: data[key] for key in data.files}
            if int(part["feature_version"]) != features.FEATURE_VERSION:
                raise ValueError(f"{path}: examples of feature version {int(part['feature_version'])}")
            parts.append(part)
            total += len(part["to_play"])
            if total >= max_positions:
                break
        if not parts:
            raise ValueError(f"no self-play games in {game_dirs}")
        self.size = int(parts[0]["size"])
        self.games = len(parts)
        per_position = ("stones", "to_play", "ko", "legal", "policy", "full", "value")
        self.a = {key: np.concatenate([p[key] for p in parts]) for key in per_position}
        lengths = [len(p["to_play"]) for p in parts]
        self.a["komi"] = np.repeat([float(p["komi"]) for p in parts], lengths).astype(np.float32)
        self.a["owner"] = np.repeat(np.stack([p["ownership"] for p in parts]), lengths, axis=0)
        self.a["score"] = np.repeat([float(p["score"]) for p in parts], lengths).astype(np.float32)
        self.a["counted"] = np.repeat([bool(p["counted"]) for p in parts], lengths)
        self.count = len(self.a["to_play"])

    def __len__(self) -> int:
        return self.count

    def batch(self, indices: np.ndarray, rng: np.random.Generator | None) -> dict[str, np.ndarray]:
        a, n = self.a, self.size
        to_play = a["to_play"][indices].astype(np.int64)
        planes = features.decode_batch(
            a["stones"][indices], to_play, a["komi"][indices], a["ko"][indices], a["legal"][indices]
        )
        policy = a["policy"][indices].copy()
        sign = np.where(to_play == BLACK, 1.0, -1.0).astype(np.float32)
        owner = a["owner"][indices]
        ownership = np.where(owner == BLACK, 1.0, np.where(owner == WHITE, -1.0, 0.0)) * sign[:, None]
        ownership = ownership.reshape(-1, n, n).astype(np.float32)
        if rng is not None:
            ks = rng.integers(0, 8, len(indices))
            planes = symmetry.apply_planes_each(planes, ks)
            ownership = symmetry.apply_planes_each(ownership, ks)
            policy = symmetry.apply_policy_each(policy, ks, n)  # moves go where the planes went
        counted = a["counted"][indices]
        return {
            "planes": planes,
            "policy": policy.astype(np.float32),
            "policy_mask": a["full"][indices].astype(np.float32),
            "value": a["value"][indices],
            "value_mask": np.ones(len(indices), np.float32),
            "ownership": ownership,
            "score": np.nan_to_num(a["score"][indices] * sign, nan=0.0).astype(np.float32),
            "counted_mask": counted.astype(np.float32),
        }


def train_candidate(
    init_path: str, out_path: str, window: ReplayWindow, cfg, seed: int, extra=None, progress: bool = True
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
