"""Supervised training of the policy/value network, and move-prediction evaluation.

`goagent sl train --data DIR --model b6c96 --out RUN` fits a network to the
shards `goagent sl prepare` wrote: random symmetry augmentation, policy
cross-entropy + value MSE (+ ownership and score losses where the game was
counted), SGD with Nesterov momentum or AdamW, linear warm-up then cosine
decay, gradient clipping, bf16 autocast by ``TrainConfig.precision``
(``auto``: on CUDA and on CPUs with AVX512-BF16/AMX).  Everything about a run lives
in ``RUN/``: ``config.toml`` (the resolved config), ``checkpoint.pt`` (written
atomically every ``checkpoint_every`` steps and at the end; a restarted run
resumes from it), ``metrics.jsonl`` (one JSON object per line; also ``tensorboard/`` when
TensorBoard is installed) and, via
`goagent plot RUN`, ``curves.png``.

`goagent sl eval` replays SGF games and reports top-1/top-5 accuracy and value
loss over every move.  Start reading at ``train``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from goagent import features
from goagent.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from goagent.config import LearnConfig, TrainConfig, dump_toml, model_preset, to_dict
from goagent.data import PositionTable, is_validation
from goagent.fileio import append_jsonl
from goagent.network import NetOutput, build_model

log = logging.getLogger(__name__)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but torch sees no CUDA GPU")
    return torch.device(name)


def learning_rate(cfg: LearnConfig, step: int) -> float:
    """Linear warm-up, then cosine decay to 1% of the peak at ``cfg.steps``."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
    return cfg.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress)))


def make_optimizer(cfg: LearnConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    # No weight decay on BatchNorm parameters and biases (they are not weights).
    trainable = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in trainable if p.ndim > 1]
    no_decay = [p for p in trainable if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9, nesterov=True)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}: use sgd or adamw")


def losses(out: NetOutput, batch: dict[str, torch.Tensor], cfg: LearnConfig) -> dict[str, torch.Tensor]:
    """Each loss term (means over the batch) and their weighted ``total``.

    ``batch["policy"]`` is either the move played (int64 ``(B,)``, supervised) or a
    search's visit distribution (float ``(B, n*n+1)``, self-play), in which case an
    optional ``policy_mask`` keeps only full searches as policy targets.
    """
    logits = out.policy_logits.float()
    target = batch["policy"]
    if target.dtype.is_floating_point:
        per_position = -(target * F.log_softmax(logits, dim=1)).sum(dim=1)  # (B,)
        mask = batch.get("policy_mask")
        if mask is None:
            policy = per_position.mean()
        else:
            policy = (per_position * mask).sum() / mask.sum().clamp(min=1)
    else:
        policy = F.cross_entropy(logits, target)
    value_mask = batch["value_mask"]
    value = ((out.value.float() - batch["value"]) ** 2 * value_mask).sum() / value_mask.sum().clamp(min=1)
    total = policy + cfg.value_weight * value
    terms = {"policy_loss": policy, "value_loss": value}
    counted = batch["counted_mask"]
    if out.ownership is not None and cfg.ownership_weight:
        per_position = ((out.ownership.float() - batch["ownership"]) ** 2).mean(dim=(1, 2))  # (B,)
        ownership = (per_position * counted).sum() / counted.sum().clamp(min=1)
        total = total + cfg.ownership_weight * ownership
        terms["ownership_loss"] = ownership
    if out.score is not None and cfg.score_weight:
        per_position = F.smooth_l1_loss(out.score.float(), batch["score"], reduction="none", beta=5.0)
        score = (per_position * counted).sum() / counted.sum().clamp(min=1)
        total = total + cfg.score_weight * score
        terms["score_loss"] = score
    terms["loss"] = total
    return terms


def to_tensors(batch: dict, device: torch.device) -> dict[str, torch.Tensor]:
    """A batch of numpy arrays (or CPU tensors) on ``device``, planes channels-last."""
    out = {key: torch.as_tensor(value).to(device, non_blocking=True) for key, value in batch.items()}
    out["planes"] = out["planes"].contiguous(memory_format=torch.channels_last)
    return out


@torch.no_grad()
def validate(model, table: PositionTable, cfg: TrainConfig, device: torch.device) -> dict[str, float]:
    """Top-1/top-5 accuracy and losses on a fixed sample of validation positions."""
    model.eval()
    rng = np.random.default_rng(12345)  # the same sample at every evaluation
    indices = rng.choice(len(table), size=min(cfg.val_positions, len(table)), replace=False)
    sums: dict[str, float] = {}
    count = 0
    for start in range(0, len(indices), cfg.batch):
        chunk = indices[start : start + cfg.batch]
        batch = to_tensors(table.batch(chunk), device)
        with _autocast(device, cfg):
            out = model(batch["planes"])
        terms = losses(out, batch, cfg)
        top5 = out.policy_logits.float().topk(5, dim=1).indices
        target = batch["policy"][:, None]
        stats = {
            "top1": (top5[:, :1] == target).any(1).float().sum().item(),
            "top5": (top5 == target).any(1).float().sum().item(),
        }
        stats.update({k: v.item() * len(chunk) for k, v in terms.items()})
        for key, value in stats.items():
            sums[key] = sums.get(key, 0.0) + value
        count += len(chunk)
    training_mode(model)
    return {f"val_{k}": v / count for k, v in sums.items()}


def freeze_except(model: torch.nn.Module, train_only: str) -> None:
    """Keep every top-level module not named in ``train_only`` (``TrainConfig.train_only``)
    as it is: no gradients, and (``training_mode``) no BatchNorm statistics updates."""
    names = [name.strip() for name in train_only.split(",") if name.strip()]
    if not names:
        return
    children = dict(model.named_children())
    unknown = [name for name in names if name not in children]
    if unknown:
        raise ValueError(
            f"train_only: no module {', '.join(unknown)} (the network has {', '.join(children)})"
        )
    for name, child in children.items():
        child.requires_grad_(name in names)


def training_mode(model: torch.nn.Module) -> torch.nn.Module:
    """``model.train()``, except frozen modules (``freeze_except``), which stay in eval mode."""
    model.train()
    for child in model.children():
        if not any(p.requires_grad for p in child.parameters()):
            child.eval()
    return model


def _autocast(device: torch.device, cfg: LearnConfig):
    """bf16 autocast where ``cfg.precision`` asks for it (``auto``: CUDA, or a CPU with bf16 hardware)."""
    from goagent.precision import autocast_dtype

    dtype = autocast_dtype(cfg.precision, device.type)
    return torch.autocast(device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None)


def train_step(model, optimizer, batch: dict, cfg: LearnConfig, step: int, device: torch.device) -> dict:
    """One optimizer step on ``batch`` at the learning rate of ``step``; returns the loss
    terms and the gradient norm (before clipping) as floats."""
    for group in optimizer.param_groups:
        group["lr"] = learning_rate(cfg, step)
    with _autocast(device, cfg):
        out = model(batch["planes"])
    terms = losses(out, batch, cfg)
    optimizer.zero_grad(set_to_none=True)
    terms["loss"].backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
    optimizer.step()
    # One device sync per step, not one per term.
    values = torch.stack([value.detach().float() for value in terms.values()] + [grad_norm.float()]).tolist()
    return dict(zip([*terms, "grad_norm"], values, strict=True))


class StepBatches(torch.utils.data.Dataset):
    """Training batch number ``step``: positions and symmetries drawn from a generator
    seeded with (seed, step), so the stream is the same in any worker process and a
    resumed run continues it exactly."""

    def __init__(self, table: PositionTable, cfg: TrainConfig):
        self.table = table
        self.cfg = cfg

    def __len__(self) -> int:
        return self.cfg.steps

    def __getitem__(self, step: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([self.cfg.seed, step])
        indices = rng.integers(0, len(self.table), self.cfg.batch)
        return self.table.batch(indices, rng if self.cfg.symmetries else None)


def batch_workers(cfg: TrainConfig, device: torch.device) -> int:
    """Processes that build batches: on a GPU the CPU would otherwise starve it; on a CPU
    the cores are busy training, so batches are built between steps."""
    if cfg.workers >= 0:
        return cfg.workers
    return 0 if device.type == "cpu" else max(1, min(16, (os.cpu_count() or 2) - 1))


def _batches(table: PositionTable, cfg: TrainConfig, first_step: int, device: torch.device):
    workers = batch_workers(cfg, device)
    if workers:
        # compile the Numba kernels once, here, rather than once in every forked worker
        table.batch(np.arange(min(2, len(table))), np.random.default_rng(0))
    return torch.utils.data.DataLoader(
        StepBatches(table, cfg),
        batch_size=None,  # each item is already a batch
        sampler=range(first_step, cfg.steps),
        num_workers=workers,
        prefetch_factor=4 if workers else None,
        pin_memory=device.type == "cuda",
    )


def _tensorboard(run: str):
    """A SummaryWriter into RUN/tensorboard when TensorBoard is installed, else None."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(os.path.join(run, "tensorboard"))


def _append_metrics(run: str, record: dict) -> None:
    append_jsonl(os.path.join(run, "metrics.jsonl"), record)


def _data_description(folder: str) -> dict:
    path = os.path.join(folder, "summary.json")
    if os.path.exists(path):
        with open(path) as handle:
            summary = json.load(handle)
        # "dead_stones": how the counted games' dead stones were taken off their
        # ownership targets (goagent.final_ownership); absent for older shards.
        keys = ("games", "positions", "filter", "dead_stones")
        return {"folder": os.path.abspath(folder), **{k: summary[k] for k in keys if k in summary}}
    return {"folder": os.path.abspath(folder)}


def _resume(run: str, cfg: TrainConfig, device: torch.device):
    """Model, optimizer and step from ``RUN/checkpoint.pt``, or a fresh start."""
    path = os.path.join(run, "checkpoint.pt")
    if os.path.exists(path):
        try:
            ckpt = load_checkpoint(
                path, expected_feature_version=features.FEATURE_VERSION, map_location=device
            )
        except CheckpointError as err:
            raise CheckpointError(f"{err}\n(to start over, move {path} away)") from None
        model = ckpt.model.to(device)
        freeze_except(model, cfg.train_only)
        training_mode(model)
        optimizer = make_optimizer(cfg, model)
        if ckpt.optimizer_state:
            optimizer.load_state_dict(ckpt.optimizer_state)
        log.info("resuming %s at step %d", run, ckpt.step)
        return model, optimizer, ckpt.step
    if cfg.init:
        model = load_checkpoint(cfg.init, expected_feature_version=features.FEATURE_VERSION).model
    else:
        model = build_model(model_preset(cfg.model, features.NUM_PLANES))
    model = model.to(device)
    freeze_except(model, cfg.train_only)
    training_mode(model)
    return model, make_optimizer(cfg, model), 0


def train(cfg: TrainConfig, data: str, run: str, progress: bool = True) -> dict:
    """Train (or resume) the run in ``run`` on the shards in ``data``; returns the last metrics."""
    from tqdm import tqdm

    torch.manual_seed(cfg.seed)
    device = pick_device(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.backends.cudnn.benchmark = True  # fixed input shapes: let cuDNN pick its fastest kernels
    os.makedirs(run, exist_ok=True)
    dump_toml({"train": to_dict(cfg), "data": data}, os.path.join(run, "config.toml"))
    train_table = PositionTable.from_folder(data, "train")
    val_paths_exist = any(f.startswith("val-") for f in os.listdir(data))
    val_table = PositionTable.from_folder(data, "val") if val_paths_exist else None
    model, optimizer, step = _resume(run, cfg, device)
    model = model.to(memory_format=torch.channels_last)
    from goagent.precision import autocast_dtype

    log.warning(
        "training precision: %s on %s",
        "bf16 autocast" if autocast_dtype(cfg.precision, device.type) else "fp32",
        device.type,
    )
    description = _data_description(data)
    # Sampling depends on (seed, step) only, so a resumed run continues the same stream.
    last: dict = {}
    window: dict[str, float] = {}
    window_count = 0
    started = time.perf_counter()
    samples_done = 0
    board = _tensorboard(run)
    bar = tqdm(total=cfg.steps, initial=step, desc="train", unit="step", disable=not progress)
    for arrays in _batches(train_table, cfg, step, device):
        batch = to_tensors(arrays, device)
        terms = train_step(model, optimizer, batch, cfg, step, device)
        step += 1
        samples_done += cfg.batch
        bar.update()
        for key, value in terms.items():
            window[key] = window.get(key, 0.0) + value
        window_count += 1
        if step % cfg.log_every == 0 or step == cfg.steps:
            elapsed = time.perf_counter() - started
            last = {"step": step, "lr": learning_rate(cfg, step - 1), "samples_per_s": samples_done / elapsed}
            last.update({k: v / window_count for k, v in window.items()})
            window, window_count = {}, 0
            if val_table is not None and (step % cfg.eval_every == 0 or step == cfg.steps):
                last.update(validate(model, val_table, cfg, device))
            last["time"] = time.time()
            _append_metrics(run, last)
            if board is not None:
                for key, value in last.items():
                    if key not in ("step", "time"):
                        board.add_scalar(key, value, step)
            bar.set_postfix({k: f"{last[k]:.3f}" for k in ("policy_loss", "val_top1") if k in last})
        out_of_time = cfg.max_minutes > 0 and time.perf_counter() - started > 60 * cfg.max_minutes
        if step % cfg.checkpoint_every == 0 or step == cfg.steps or out_of_time:
            save_checkpoint(
                os.path.join(run, "checkpoint.pt"),
                model,
                optimizer=optimizer,
                step=step,
                feature_version=features.FEATURE_VERSION,
                train_config=to_dict(cfg),
                data_description=description,
            )
        if out_of_time:
            log.warning(
                "stopped after %.1f minutes at step %d of %d; run the same command to go on",
                cfg.max_minutes,
                step,
                cfg.steps,
            )
            break
    bar.close()
    if board is not None:
        board.close()
    return last


def default_config(**overrides) -> TrainConfig:
    return replace(TrainConfig(), **overrides)


@torch.no_grad()
def evaluate_games(
    model_path: str,
    sources: list[str],
    max_games: int | None = None,
    batch: int = 256,
    progress: bool = True,
    validation_percent: float | None = None,
    precision: str | None = "fp32",
    device: str | None = "cpu",
) -> dict:
    """Top-1/top-5 move prediction and value loss over every move of the games in ``sources``.

    ``model_path`` ``default`` means the shipped networks as everywhere else: each board
    size's specialist where one ships (``weights/9x9.pt``), else ``weights/default.pt``.
    ``precision``/``device``: the numeric path (``goagent.precision``); INT8 calibrates on
    positions the network plays itself, never on the games measured.
    """
    from tqdm import tqdm

    from goagent.inference import shipped_weights
    from goagent.precision import prepare
    from goagent.sgf import read_records

    runners: dict[str, object] = {}  # checkpoint path -> prepared network, loaded once
    used: dict[int, str] = {}  # board size -> checkpoint path

    def runner_for(size: int):
        path = str(shipped_weights(size)) if model_path == "default" else str(model_path)
        if path not in runners:
            ckpt = load_checkpoint(path, expected_feature_version=features.FEATURE_VERSION)
            runners[path] = prepare(ckpt.model, precision, device)
        used[size] = path
        return runners[path]

    runner = None
    totals = {"top1": 0.0, "top5": 0.0, "value_loss": 0.0, "value_positions": 0, "positions": 0, "games": 0}
    skipped: list[tuple[str, str]] = []
    pending: list[tuple[np.ndarray, int, float]] = []

    def flush():
        if not pending:
            return
        logits, value, _, _ = runner(np.stack([p for p, _, _ in pending]))
        target = torch.tensor([m for _, m, _ in pending])
        top5 = torch.from_numpy(logits).topk(5, dim=1).indices
        totals["top1"] += (top5[:, 0] == target).sum().item()
        totals["top5"] += (top5 == target[:, None]).any(1).sum().item()
        z = torch.tensor([v for _, _, v in pending])
        known = ~torch.isnan(z)
        totals["value_loss"] += ((torch.from_numpy(value)[known] - z[known]) ** 2).sum().item()
        totals["value_positions"] += int(known.sum())
        totals["positions"] += len(pending)
        pending.clear()

    bar = tqdm(desc="games", unit=" games", disable=not progress)
    for record in read_records(sources, skipped):
        if max_games is not None and totals["games"] >= max_games:
            break
        if validation_percent is not None and not is_validation(record.source, validation_percent):
            continue  # keep only the games `sl prepare` held out with this percentage
        if runner is not runner_for(record.size):
            flush()  # a batch holds one network's positions
            runner = runner_for(record.size)
        try:
            state = record.to_state(0)
            winner = record.winner
            for move in record.moves:
                state.set_to_play(move.color)
                z = float("nan") if winner is None else (1.0 if winner == move.color else -1.0)
                pending.append((features.encode(state), move.action, z))
                state.play(move.action, move.color)
                if len(pending) >= batch:
                    flush()
        except ValueError as err:
            skipped.append((record.source, str(err)))
            continue
        totals["games"] += 1
        bar.update()
    flush()
    bar.close()
    count = max(1, totals["positions"])
    if runner is None:
        runner = runner_for(19)  # no games: say which network would have played
    return {
        "model": str(model_path) if model_path != "default" else ", ".join(sorted(set(used.values()))),
        "networks": {str(size): path for size, path in sorted(used.items())},
        "precision": runner.precision,
        "device": str(runner.device),
        "games": totals["games"],
        "positions": totals["positions"],
        "top1": totals["top1"] / count,
        "top5": totals["top5"] / count,
        "value_loss": totals["value_loss"] / max(1, totals["value_positions"]),
        "skipped": len(skipped),
    }


def export_weights(source: str, destination: str) -> dict:
    """Write ``source``'s network without optimizer state (what ships in goagent/weights/)."""
    ckpt = load_checkpoint(source, expected_feature_version=features.FEATURE_VERSION)
    save_checkpoint(
        destination,
        ckpt.model,
        feature_version=ckpt.feature_version,
        step=ckpt.step,
        train_config=ckpt.train_config,
        data_description=ckpt.data_description,
        extra=ckpt.extra,
    )
    return {"step": ckpt.step, "bytes": os.path.getsize(destination)}
