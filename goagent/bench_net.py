"""`goagent bench net`: how fast the network evaluates and trains.

Inference runs the model as MCTS will (``prepare_for_inference``: eval mode,
BatchNorm folded, channels_last, under ``torch.inference_mode``; ``--compile``
adds torch.compile and reports the first call's compile time); a training
step is forward + backward + optimizer step with the policy cross-entropy and
value MSE losses on random inputs and targets. Each figure is the median
positions/s of several timed rounds after warm-up. The model is a preset name
(random weights) or a checkpoint file.

Start reading at ``benchmark``; ``add_arguments`` and ``main`` serve the CLI.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from goagent.checkpoint import load_checkpoint
from goagent.config import model_preset
from goagent.features import NUM_PLANES
from goagent.network import PolicyValueNet, build_model, count_parameters, prepare_for_inference

INFERENCE_PATH = "eval + BatchNorm folded + channels_last + inference_mode"
COMPILED_PATH = INFERENCE_PATH + " + torch.compile(freezing)"


def load_model_spec(model_spec: str, in_channels: int | None = None) -> tuple[PolicyValueNet, str]:
    """A model from a preset name (random weights) or a checkpoint path, and where it came from."""
    if Path(model_spec).is_file() or model_spec.endswith((".pt", ".pth", ".ckpt")):
        return load_checkpoint(model_spec).model, f"checkpoint {model_spec}"
    config = model_preset(model_spec, NUM_PLANES if in_channels is None else in_channels)
    return build_model(config), f"preset {model_spec} (random weights)"


def _time_rounds(step: Callable[[], None], seconds: float, rounds: int = 5) -> list[float]:
    """Seconds per call of ``step`` for ``rounds`` rounds filling about ``seconds`` together."""
    start = time.perf_counter()
    step()
    per_call = max(time.perf_counter() - start, 1e-6)
    calls = max(1, int(seconds / rounds / per_call))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            step()
        times.append((time.perf_counter() - start) / calls)
    return times


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _bench_inference(
    model: PolicyValueNet, x: torch.Tensor, seconds: float, compile_model: bool
) -> tuple[list[float], float]:
    """Seconds per batch of timed rounds, and the seconds the first call took (compiling)."""
    net = prepare_for_inference(model.to(x.device), compile_model=compile_model)
    x = x.contiguous(memory_format=torch.channels_last)

    def step() -> None:
        net(x)
        _sync(x.device)

    with torch.inference_mode():
        start = time.perf_counter()
        step()
        first = time.perf_counter() - start
        for _ in range(2):  # warm-up: oneDNN picks and caches its kernels on the first calls
            step()
        return _time_rounds(step, seconds), first


def _bench_training(model: PolicyValueNet, x: torch.Tensor, seconds: float, seed: int) -> list[float]:
    n = x.shape[-1]
    gen = torch.Generator().manual_seed(seed)
    policy_target = torch.randint(0, n * n + 1, (x.shape[0],), generator=gen).to(x.device)  # (B,)
    value_target = (torch.rand(x.shape[0], generator=gen) * 2 - 1).to(x.device)  # (B,)
    net = model.to(x.device).train()
    optimizer = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)

    def step() -> None:
        # bf16 autocast on a GPU, as `goagent sl train` does
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=x.device.type == "cuda"):
            out = net(x)
        policy_loss = F.cross_entropy(out.policy_logits.float(), policy_target)
        loss = policy_loss + F.mse_loss(out.value.float(), value_target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        _sync(x.device)

    for _ in range(2):
        step()
    return _time_rounds(step, seconds)


def benchmark(
    model_spec: str,
    size: int,
    batch: int,
    seconds: float = 5.0,
    threads: int | None = 2,
    *,
    in_channels: int | None = None,
    device: str = "cpu",
    train: bool = True,
    compile_model: bool = False,
    seed: int = 0,
) -> dict[str, Any]:
    """Inference and training-step positions/s of a preset or checkpoint on ``size`` x ``size``.

    ``seconds`` is split between the two measurements; ``threads`` sets torch's
    intra-op threads for the run (None keeps the current setting).
    """
    if size < 2 or batch < 1 or seconds <= 0:
        raise ValueError(f"need size >= 2, batch >= 1 and seconds > 0 (got {size}, {batch}, {seconds})")
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        torch.manual_seed(seed)
        model, source = load_model_spec(model_spec, in_channels)
        dev = torch.device(device)
        x = torch.randn(batch, model.config.in_channels, size, size).to(dev)  # (B, F, n, n)
        budget = seconds / 2 if train else seconds
        inference, first_call = _bench_inference(model, x, budget, compile_model)
        training = _bench_training(model, x, budget, seed) if train else None
    finally:
        torch.set_num_threads(old_threads)
    result: dict[str, Any] = {
        "model": model.config.preset,
        "source": source,
        "parameters": count_parameters(model),
        "blocks": model.config.blocks,
        "channels": model.config.channels,
        "size": size,
        "batch": batch,
        "threads": threads if threads is not None else old_threads,
        "device": str(dev),
        "torch": torch.__version__,
        "inference_path": COMPILED_PATH if compile_model else INFERENCE_PATH,
        "first_call_s": first_call,
        "inference_pos_per_s": batch / statistics.median(inference),
        "inference_ms_per_batch": 1000 * statistics.median(inference),
    }
    if training is not None:
        result["train_pos_per_s"] = batch / statistics.median(training)
        result["train_ms_per_batch"] = 1000 * statistics.median(training)
    return result


def format_table(result: dict[str, Any]) -> str:
    """A readable summary of a ``benchmark`` result."""
    lines = [
        f"model      {result['model']}: {result['blocks']} blocks x {result['channels']} channels, "
        f"{result['parameters']:,} parameters ({result['source']})",
        f"setup      {result['size']}x{result['size']}, batch {result['batch']}, "
        f"{result['threads']} threads, {result['device']}, torch {result['torch']}",
        f"{'':10} {'positions/s':>12} {'ms/batch':>10}",
        f"{'inference':10} {result['inference_pos_per_s']:12.0f} {result['inference_ms_per_batch']:10.1f}",
    ]
    if "train_pos_per_s" in result:
        lines.append(
            f"{'train step':10} {result['train_pos_per_s']:12.0f} {result['train_ms_per_batch']:10.1f}"
        )
    lines.append(f"inference path: {result['inference_path']} (first call {result['first_call_s']:.2f} s)")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Run `goagent bench net` and print a table or JSON to stdout."""
    result = benchmark(
        args.model,
        args.size,
        args.batch,
        args.seconds,
        args.threads,
        in_channels=getattr(args, "in_channels", None),
        device=getattr(args, "device", "cpu"),
        train=not getattr(args, "no_train", False),
        compile_model=getattr(args, "compile", False),
        seed=getattr(args, "seed", 0),
    )
    print(json.dumps(result) if args.json else format_table(result))
    return 0
