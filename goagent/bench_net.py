"""`goagent bench net`: how fast the network evaluates and trains, every precision side by side.

Inference runs the model as the search will (``goagent.precision.InferenceModel``:
eval mode, BatchNorm folded; fp32 and bf16 channels_last, INT8 quantized and
calibrated on self-play positions; padded batches; ``--compile`` adds
torch.compile to fp32 and reports the first call's compile time), each path
timed in the same run, rounds interleaved so machine drift hits them alike,
with its start-up cost (preparing, and for INT8 calibrating).  A training step
is forward + backward + optimizer step with the policy cross-entropy and value
MSE losses on random inputs and targets, at the training precision ``auto``
picks.  Each figure is the median positions/s of several timed rounds after
warm-up.  The model is a preset name (random weights) or a checkpoint file.

Start reading at ``benchmark``; ``add_arguments`` and ``main`` serve the CLI.
"""

from __future__ import annotations

import argparse
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
from goagent.fileio import dumps
from goagent.network import PolicyValueNet, build_model, count_parameters

INFERENCE_PATH = "eval + BatchNorm folded + channels_last + inference_mode"
COMPILED_PATH = INFERENCE_PATH + " + torch.compile(freezing)"
PATH_NOTES = {
    "fp32": "BatchNorm folded, channels_last",
    "bf16": "bf16 weights and inputs, channels_last",
    "int8": "residual convs INT8 (x86 engine), rest fp32",
    "fp16": "fp16 weights and inputs (CUDA)",
}


def bench_paths(requested: str, device: str) -> list[str]:
    """The precisions to time: ``all`` is every path ``device`` runs (bf16 even if emulated)."""
    from goagent.precision import cuda_half, has_vnni

    if requested != "all":
        paths = [p.strip() for p in requested.split(",") if p.strip()]
        unknown = [p for p in paths if p not in PATH_NOTES]
        if unknown:
            raise ValueError(f"--precision: unknown path(s) {unknown}; choose from {list(PATH_NOTES)} or all")
        return paths
    if device == "cuda":
        return ["fp32", cuda_half()]
    paths = ["fp32", "bf16"]
    if "x86" in torch.backends.quantized.supported_engines and has_vnni():
        paths.append("int8")
    return paths


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


def _time_round(step: Callable[[], None], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        step()
    return (time.perf_counter() - start) / calls


def _bench_inference(
    model: PolicyValueNet, x: torch.Tensor, seconds: float, compile_model: bool, paths: list[str]
) -> dict[str, dict[str, float]]:
    """Per path: seconds per batch (median of rounds interleaved across paths), start-up seconds,
    and the first call's seconds (compiling, or oneDNN building its kernels)."""
    from goagent.precision import InferenceModel

    device = x.device.type
    planes = x.cpu().numpy()
    runners, steps, out = {}, {}, {}
    for path in paths:
        start = time.perf_counter()
        runner = InferenceModel(model, path, device, calibration_size=x.shape[-1])
        if compile_model and path == "fp32":
            runner.net = torch.compile(runner.net, dynamic=False, options={"freezing": True})
        prepared = time.perf_counter() - start

        def step(runner=runner) -> None:
            runner(planes)
            _sync(x.device)

        start = time.perf_counter()
        step()
        first = time.perf_counter() - start
        for _ in range(2):  # warm-up: oneDNN picks and caches its kernels on the first calls
            step()
        runners[path], steps[path] = runner, step
        out[path] = {"prepare_s": prepared, "first_call_s": first}
        if path == "int8":
            out[path].update({f"int8_{k}_s": v for k, v in runner.net.prepare_seconds.items()})
    rounds = 5
    calls = {}
    for path, step in steps.items():
        start = time.perf_counter()
        step()
        calls[path] = max(1, int(seconds / len(paths) / rounds / max(time.perf_counter() - start, 1e-6)))
    times: dict[str, list[float]] = {p: [] for p in paths}
    for _ in range(rounds):
        for path in paths:
            times[path].append(_time_round(steps[path], calls[path]))
    for path in paths:
        out[path]["seconds_per_batch"] = statistics.median(times[path])
    return out


TRAIN_PATHS = ("fp32", "bf16")


def _bench_training(
    model: PolicyValueNet, x: torch.Tensor, seconds: float, seed: int, rounds: int = 5
) -> dict[str, list[float]]:
    """Seconds per training step (forward, losses, backward, SGD step) at each of
    ``TRAIN_PATHS`` (bf16: the autocast `goagent sl train --precision bf16` uses), in
    interleaved rounds so that a machine's drift hits both alike."""
    import copy

    n = x.shape[-1]
    gen = torch.Generator().manual_seed(seed)
    policy_target = torch.randint(0, n * n + 1, (x.shape[0],), generator=gen).to(x.device)  # (B,)
    value_target = (torch.rand(x.shape[0], generator=gen) * 2 - 1).to(x.device)  # (B,)
    steps = {}
    for path in TRAIN_PATHS:
        net = copy.deepcopy(model).to(x.device).train()
        optimizer = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)
        bf16 = path == "bf16"

        def step(net=net, optimizer=optimizer, bf16=bf16) -> None:
            with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
                out = net(x)
            policy_loss = F.cross_entropy(out.policy_logits.float(), policy_target)
            loss = policy_loss + F.mse_loss(out.value.float(), value_target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            _sync(x.device)

        for _ in range(2):
            step()  # warm-up: oneDNN picks its kernels on the first calls
        steps[path] = step
    start = time.perf_counter()
    steps["fp32"]()
    calls = max(1, int(seconds / rounds / len(steps) / max(time.perf_counter() - start, 1e-6)))
    times: dict[str, list[float]] = {path: [] for path in steps}
    for _ in range(rounds):
        for path, step in steps.items():
            times[path].append(_time_round(step, calls))
    return times


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
    precision: str = "fp32",
) -> dict[str, Any]:
    """Inference and training-step positions/s of a preset or checkpoint on ``size`` x ``size``.

    ``seconds`` is split between the two measurements; ``threads`` sets torch's
    intra-op threads for the run (None keeps the current setting).  ``precision``:
    the inference paths to time, comma-separated, or ``all`` (``bench_paths``).
    """
    from goagent.precision import autocast_dtype, cpu_flags, cpu_model, resolve_device

    if size < 2 or batch < 1 or seconds <= 0:
        raise ValueError(f"need size >= 2, batch >= 1 and seconds > 0 (got {size}, {batch}, {seconds})")
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        torch.manual_seed(seed)
        model, source = load_model_spec(model_spec, in_channels)
        dev = torch.device(resolve_device(device))
        paths = bench_paths(precision, dev.type)
        x = torch.randn(batch, model.config.in_channels, size, size).to(dev)  # (B, F, n, n)
        budget = seconds / 2 if train else seconds
        inference = _bench_inference(model, x, budget, compile_model, paths)
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
        "cpu": cpu_model(),
        "cpu_flags": sorted(f for f in cpu_flags() if f.startswith(("avx512", "amx", "avx_vnni"))),
        "inference_path": COMPILED_PATH if compile_model else INFERENCE_PATH,
        "paths": {
            p: {
                **r,
                "pos_per_s": batch / r["seconds_per_batch"],
                "ms_per_batch": 1000 * r["seconds_per_batch"],
                "vs_fp32": inference["fp32"]["seconds_per_batch"] / r["seconds_per_batch"]
                if "fp32" in inference
                else None,
            }
            for p, r in inference.items()
        },
        "train_precision": "bf16 autocast" if autocast_dtype("auto", dev.type) else "fp32",
    }
    first = next(iter(inference.values()))
    result["first_call_s"] = first["first_call_s"]
    result["inference_pos_per_s"] = batch / first["seconds_per_batch"]  # the first path (fp32 by default)
    result["inference_ms_per_batch"] = 1000 * first["seconds_per_batch"]
    if training is not None:
        auto = "bf16" if autocast_dtype("auto", dev.type) else "fp32"
        fp32 = statistics.median(training["fp32"])
        result["train"] = {
            path: {
                "pos_per_s": batch / statistics.median(t),
                "ms_per_batch": 1000 * statistics.median(t),
                "vs_fp32": fp32 / statistics.median(t),
                "rounds_ms": [1000 * v for v in t],
            }
            for path, t in training.items()
        }
        result["train_pos_per_s"] = result["train"][auto]["pos_per_s"]  # what `sl train` runs (auto)
        result["train_ms_per_batch"] = result["train"][auto]["ms_per_batch"]
    return result


def format_table(result: dict[str, Any]) -> str:
    """A readable summary of a ``benchmark`` result."""
    lines = [
        f"model      {result['model']}: {result['blocks']} blocks x {result['channels']} channels, "
        f"{result['parameters']:,} parameters ({result['source']})",
        f"setup      {result['size']}x{result['size']}, batch {result['batch']}, "
        f"{result['threads']} threads, {result['device']}, torch {result['torch']}",
        f"cpu        {result['cpu']} ({' '.join(result['cpu_flags']) or 'no AVX-512/AMX'})",
        f"{'':14} {'positions/s':>12} {'ms/batch':>10} {'vs fp32':>8} {'start s':>8}  path",
    ]
    for path, r in result["paths"].items():
        ratio = "" if r["vs_fp32"] is None else f"{r['vs_fp32']:.2f}x"
        lines.append(
            f"{'inference ' + path:14} {r['pos_per_s']:12.0f} {r['ms_per_batch']:10.1f} {ratio:>8} "
            f"{r['prepare_s']:8.2f}  {PATH_NOTES[path]}"
        )
    bf16_note = (
        "hardware bf16" if "avx512_bf16" in result["cpu_flags"] or "amx_bf16" in result["cpu_flags"] else ""
    )
    for path, r in result.get("train", {}).items():
        auto = " (sl train's auto)" if result["train_precision"].startswith(path) else ""
        note = "fp32" if path == "fp32" else f"bf16 autocast {bf16_note}"
        lines.append(
            f"{'train ' + path:14} {r['pos_per_s']:12.0f} {r['ms_per_batch']:10.1f} {r['vs_fp32']:7.2f}x "
            f"{'':8}  {note}{auto}"
        )
    lines.append(
        f"start s: preparing the path (INT8: tracing, calibrating on self-play positions, converting); "
        f"first call {result['first_call_s']:.2f} s"
    )
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
        precision=getattr(args, "precision", "fp32"),
    )
    print(dumps(result) if args.json else format_table(result))
    return 0
