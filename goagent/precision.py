"""Which numeric path runs the network: ``--precision auto|fp32|bf16|int8``, ``--device auto|cpu|cuda``.

Paths (each checked against fp32 on KGS positions by tests/goagent/test_precision.py):

- ``fp32``: BatchNorm folded, channels_last (``network.prepare_for_inference``);
- ``bf16``: the folded network's weights and inputs in bfloat16.  Fast only on
  CPUs with AVX512-BF16 or AMX (and CUDA GPUs); elsewhere oneDNN emulates it,
  slower than fp32, so ``auto`` never picks it there;
- ``int8``: post-training static quantization (``goagent.quantize``), calibrated
  at start-up on positions the network plays against itself (10-20 s on 2
  cores); CPU only, with VNNI for ``auto`` to consider it;
- on CUDA, ``auto`` is bf16 where the GPU supports it, else fp16.

``auto`` on a CPU times the exact paths this CPU can run fast once (a few seconds),
keeps the winner in a small JSON file keyed by CPU model, torch version and
network shape (``~/.cache/goagent/precision.json``; ``GOAGENT_CACHE_DIR``
moves it), and says its choice once on stderr.  Later starts read the file.

oneDNN builds kernels per input shape, so ``InferenceModel`` pads each batch up
to one of a few sizes (``BUCKETS``).

This module imports numpy and torch only inside functions: the CLI parser uses
``add_arguments`` without loading torch.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

from goagent.fileio import write_json

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16", "int8")
TRAIN_PRECISIONS = ("auto", "fp32", "bf16")
DEVICES = ("auto", "cpu", "cuda")
BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # batch sizes run as is; others pad up to the next
CALIBRATION_POSITIONS = 512  # every 8th move of 16 self-play games: moves 0-255


# --------------------------------------------------------------------- CLI


def add_arguments(parser, training: bool = False) -> None:
    """``--precision`` and ``--device`` for a command that runs a network."""
    choices = TRAIN_PRECISIONS if training else PRECISIONS
    parser.add_argument(
        "--precision",
        choices=choices,
        default=None if training else "auto",
        help="numeric path of the network: auto picks the fastest this machine runs exactly "
        "(bf16 only with AVX512-BF16/AMX or CUDA"
        + ("" if training else "; int8 on CPU: quantized, calibrated at start")
        + "), cached on disk; default auto",
    )
    parser.add_argument(
        "--device", choices=DEVICES, default=None if training else "auto", help="auto: CUDA when present"
    )


@dataclass(frozen=True)
class NumericPath:
    """How networks of a run compute: ``precision`` and ``device`` as the flags give
    them (``auto`` resolved when a network is prepared).  Passed explicitly to every
    process that loads a network (match and self-play workers); exact fp32 on the
    CPU unless a command says otherwise."""

    precision: str = "fp32"
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS or self.device not in DEVICES:
            raise ValueError(
                f"precision {self.precision!r} / device {self.device!r}: use one of {PRECISIONS} / {DEVICES}"
            )

    @classmethod
    def from_args(cls, args) -> NumericPath:
        """The ``--precision``/``--device`` flags of ``add_arguments``."""
        return cls(getattr(args, "precision", None) or "auto", getattr(args, "device", None) or "auto")


EXACT = NumericPath()  # fp32 on the CPU: what a library caller gets unless it asks


# --------------------------------------------------------------------- machine


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def native_bf16() -> bool:
    """Whether this CPU computes bf16 in hardware (AVX512-BF16 or AMX-BF16)."""
    return bool(cpu_flags() & {"avx512_bf16", "amx_bf16"})


def has_amx() -> bool:
    return bool(cpu_flags() & {"amx_bf16", "amx_int8", "amx_tile"})


def has_vnni() -> bool:
    return bool(cpu_flags() & {"avx512_vnni", "avx_vnni", "amx_int8"})


def resolve_device(device: str | None) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; a missing GPU is an error."""
    import torch

    device = device or "auto"
    if device not in DEVICES:
        raise ValueError(f"--device must be one of {DEVICES}, not {device!r}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but torch sees no CUDA GPU (use --device cpu)")
    return device


def cuda_half() -> str:
    """The half type a CUDA GPU runs: bf16 from Ampere on, else fp16."""
    import torch

    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


# INT8 is among ``auto``'s candidates because it passes the exactness bar of
# tests/goagent/test_precision.py (top-1 agreement with fp32 >= 97%, mean |dv| <= 0.02):
# 97.7% and 0.009 on KGS positions for the shipped b6c96 (docs/BENCHMARKS.md).  A
# network that fails it should set this False.
# Left out of auto for now: the first start calibrates (about 7 s on a quiet 2-core Xeon,
# 15 s on a Zen 4 EPYC, 12-40 s loaded; auto's first measurement once made a fresh GTP
# start take 54 s to its first genmove).  The calibration is cached on disk since
# (``quantize.cached_int8``: a later start converts in about 1.3 s), so only a machine's
# very first start pays; putting INT8 back in auto wants that first start measured
# through a GUI on an AVX512-VNNI Xeon.  `--precision int8` opts in (2.0-2.3x fp32 at
# batch 16 on 19x19 on AVX512-VNNI, 2.3x on the EPYC).
INT8_IN_AUTO = False


def cpu_candidates() -> list[str]:
    """The CPU paths ``auto`` times here: bf16 only with hardware bf16 (on AMX, INT8 too
    where ``INT8_IN_AUTO``, since AMX-INT8 may beat bf16)."""
    import torch

    paths = ["fp32"]
    if INT8_IN_AUTO and "x86" in torch.backends.quantized.supported_engines and has_vnni():
        paths.append("int8")
    if native_bf16():
        paths.append("bf16")
    return paths


def check_precision(precision: str, device: str) -> None:
    """A clear error for combinations that cannot run."""
    if precision not in PRECISIONS + ("fp16",):
        raise ValueError(f"--precision must be one of {PRECISIONS}, not {precision!r}")
    if precision == "int8" and device != "cpu":
        raise ValueError("--precision int8 runs on the CPU only (use --device cpu, or bf16 on CUDA)")
    if precision == "fp16" and device != "cuda":
        raise ValueError("fp16 runs on CUDA only")


# --------------------------------------------------------------------- the choice, cached


def cache_path() -> Path:
    base = os.environ.get("GOAGENT_CACHE_DIR") or Path.home() / ".cache" / "goagent"
    return Path(base) / "precision.json"


TIMING_METHOD = 2  # 2: interleaved rounds, best round, only on a quiet machine (1 was one 0.6 s pass)


def _cache_key(shape: str, device: str) -> str:
    import torch

    return f"{cpu_model()} | torch {torch.__version__} | {device} | {shape} | timing {TIMING_METHOD}"


def _read_cache(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_cache(path: Path, data: dict) -> None:
    try:
        write_json(path, data, indent=1)
    except OSError as err:  # a read-only home must not stop play
        log.warning("could not cache the precision choice in %s: %s", path, err)


_said: set[str] = set()


def _say_once(message: str, key: str | None = None) -> None:
    """Log ``message`` once per process (once per ``key`` where given: one line per choice)."""
    key = key or message
    if key not in _said:
        _said.add(key)
        log.warning("%s", message)


def choose(model, device: str, path: Path | None = None) -> str:
    """The precision ``auto`` means for ``model`` on ``device``: measured once, then cached."""
    if device == "cuda":
        choice = cuda_half()
        _say_once(f"precision auto: {choice} on CUDA")
        return choice
    candidates = cpu_candidates()
    if candidates == ["fp32"]:
        _say_once(
            "precision auto: fp32 (this CPU has no bf16 hardware"
            + ("; int8 is left out of auto (INT8_IN_AUTO)" if not INT8_IN_AUTO else " and no VNNI for int8")
            + ")"
        )
        return "fp32"
    path = path or cache_path()
    config = model.config
    shape = f"b{config.blocks}c{config.channels}"
    key = _cache_key(shape, device)
    cache = _read_cache(path)
    if key in cache and cache[key].get("choice") in candidates:
        entry = cache[key]
        _say_once(f"precision auto: {entry['choice']} (cached in {path})", key)
        return entry["choice"]
    timings = time_paths(model, candidates, size=19, batch=16, seconds=1.2)
    choice = max(timings, key=timings.get)
    rates = ", ".join(f"{p} {r:.0f}" for p, r in timings.items())
    load = machine_load()
    if load > BUSY_LOAD:  # other work skews the timings: choose for this run, measure again next time
        _say_once(
            f"precision auto: {choice} for this run (positions/s at batch 16 on 19x19: {rates}; "
            f"not cached: the machine is busy, load {load:.1f} a core)",
            key,
        )
        return choice
    measured = time.strftime("%Y-%m-%d")
    cache[key] = {"choice": choice, "positions_per_s": timings, "measured": measured, "load": round(load, 2)}
    _write_cache(path, cache)
    _say_once(
        f"precision auto: {choice} (measured positions/s at batch 16 on 19x19: {rates}; cached in {path})",
        key,
    )
    return choice


BUSY_LOAD = 0.75  # load average per core above which auto's timings are not cached


def machine_load() -> float:
    """The 1-minute load average per core (0 where the system does not say)."""
    try:
        return os.getloadavg()[0] / (os.cpu_count() or 1)
    except (AttributeError, OSError):
        return 0.0


def time_paths(model, paths, size: int, batch: int, seconds: float, rounds: int = 3) -> dict[str, float]:
    """Positions/s of each path for ``model`` (random inputs: speed does not depend on them),
    in ``rounds`` interleaved rounds filling about ``seconds``; each path's best round
    counts (other work only ever slows a round down)."""
    import numpy as np
    import torch

    x = np.random.default_rng(0).random((batch, model.config.in_channels, size, size), np.float32)
    nets = {precision: InferenceModel(model, precision, "cpu", calibration_size=size) for precision in paths}
    rates = dict.fromkeys(paths, 0.0)
    with torch.inference_mode():
        for net in nets.values():
            for _ in range(2):
                net(x)  # warm-up: oneDNN picks its kernels on the first calls
        for _ in range(rounds):
            for precision, net in nets.items():
                calls, start = 0, time.perf_counter()
                while time.perf_counter() - start < seconds / rounds / len(nets):
                    net(x)
                    calls += 1
                rate = batch * calls / (time.perf_counter() - start)
                rates[precision] = max(rates[precision], rate)
    return rates


# --------------------------------------------------------------------- calibration


def self_play_planes(model, size: int, count: int = CALIBRATION_POSITIONS, seed: int = 0, every: int = 8):
    """Planes of ``count`` positions from games ``model`` plays against itself (policy sampling).

    Real positions for INT8 calibration, at start-up and without data files: 16
    games side by side, one batched fp32 forward pass per move, every ``every``-th
    move kept, so the positions span the opening and the middle game (on KGS
    positions, 256 positions of the first 16 moves left INT8 at 94.5% top-1
    agreement with fp32; 512 over the first 256 moves reached 97.7%).
    """
    import numpy as np
    import torch

    from goagent import features
    from goagent.game import GameState

    rng = np.random.default_rng(seed)
    games = [GameState(size) for _ in range(16)]
    out: list[np.ndarray] = []
    with torch.inference_mode():
        while len(out) < count:
            legal = [g.legal_mask() for g in games]
            planes = np.stack([features.encode(g, m) for g, m in zip(games, legal)])
            if games[0].move_number % every == 0:
                out.extend(planes)
            x = torch.from_numpy(planes).contiguous(memory_format=torch.channels_last)
            logits = model(x).policy_logits.float().numpy()
            for g, mask, row in zip(games, legal, logits):
                mask = mask.copy()
                if mask[:-1].any():
                    mask[-1] = False  # no passing while a move is left: keep the positions varied
                z = np.where(mask, row, -np.inf)
                p = np.exp(z - z.max())
                g.play(int(rng.choice(len(p), p=p / p.sum())))
            games = [g if g.move_number < size * size and not g.is_over else GameState(size) for g in games]
    return np.stack(out[:count])


# --------------------------------------------------------------------- the runnable model


class InferenceModel:
    """A network prepared for one precision and device: numpy planes in, numpy outputs out.

    ``model(planes)`` takes (B, C, n, n) float32 and returns policy logits,
    values, ownership and scores as float32 arrays (ownership, scores None without
    those heads).  Batches are padded to ``BUCKETS``; the padding is dropped.
    """

    def __init__(
        self,
        model,
        precision: str = "fp32",
        device: str = "cpu",
        *,
        calibration=None,
        calibration_size: int = 19,
        seed: int = 0,
    ):
        import torch

        from goagent.network import prepare_for_inference

        check_precision(precision, device)
        self.precision, self.device = precision, torch.device(device)
        self.prepare_seconds = 0.0
        start = time.perf_counter()
        net = prepare_for_inference(model)
        self.dtype = torch.float32
        if precision == "int8":
            from goagent.quantize import cached_int8, network_digest, quantize_int8

            if calibration is None:  # self-play positions: the calibration is cached on disk
                key = network_digest(net, calibration_size, seed, CALIBRATION_POSITIONS)
                make = functools.partial(self._calibration, net, calibration_size, seed)
                net = cached_int8(net, make, key, cache_path().parent)
            else:
                net = quantize_int8(net, calibration)
            self.memory_format = torch.contiguous_format
        else:
            self.dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
            net = net.to(self.device, dtype=self.dtype)
            self.memory_format = torch.channels_last
        self.net = net
        self.config = model.config
        self.prepare_seconds = time.perf_counter() - start
        log.info("network path: %s on %s (prepared in %.1f s)", precision, device, self.prepare_seconds)

    @staticmethod
    def _calibration(net, size: int, seed: int):
        import numpy as np

        from goagent.features import NUM_PLANES

        if net.config.in_channels == NUM_PLANES:
            return self_play_planes(net, size, seed=seed)
        # a preset with another plane count (benchmarks, tests): no encoder makes its inputs
        rng = np.random.default_rng(seed)
        return (rng.random((64, net.config.in_channels, size, size)) < 0.3).astype(np.float32)

    def __call__(self, planes):
        import numpy as np
        import torch

        batch = len(planes)
        padded = next((b for b in BUCKETS if b >= batch), -(-batch // 256) * 256)
        planes = torch.from_numpy(np.ascontiguousarray(planes, np.float32))
        # One pass converts dtype, layout and device; the padding rows are zeros.
        shape = (padded, *planes.shape[1:])
        x = torch.empty(shape, dtype=self.dtype, device=self.device, memory_format=self.memory_format)
        x[:batch].copy_(planes)
        x[batch:].zero_()
        with torch.inference_mode():
            out = self.net(x)

        def back(t):
            return None if t is None else t[:batch].float().cpu().numpy()

        return back(out.policy_logits), back(out.value), back(out.ownership), back(out.score)


def prepare(model, precision: str | None = "fp32", device: str | None = "cpu", **kwargs) -> InferenceModel:
    """An ``InferenceModel`` for ``precision`` and ``device``, ``auto`` resolved (and cached);
    None: exact fp32 on the CPU."""
    device = resolve_device(device or "cpu")
    precision = precision or "fp32"
    if precision == "auto":
        precision = choose(model, device)
    elif precision == "bf16" and device == "cpu" and not native_bf16():
        _say_once(
            "precision bf16: this CPU has neither AVX512-BF16 nor AMX; oneDNN emulates bf16, slower than fp32"
        )
    return InferenceModel(model, precision, device, **kwargs)


def autocast_dtype(precision: str | None, device: str):
    """The autocast dtype for training at ``precision`` on ``device`` (None: plain fp32).

    ``auto``: bf16 on CUDA and on CPUs with hardware bf16, fp32 elsewhere.
    """
    import torch

    precision = precision or "auto"
    if precision not in TRAIN_PRECISIONS:
        raise ValueError(f"training precision must be one of {TRAIN_PRECISIONS}, not {precision!r}")
    if precision == "auto":
        precision = "bf16" if device == "cuda" or native_bf16() else "fp32"
    return torch.bfloat16 if precision == "bf16" else None
