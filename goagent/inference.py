"""The network as an ``mcts.Evaluator``: batched, masked, with symmetries.

``NetworkEvaluator.evaluate(states, legal)`` encodes the positions
(``goagent.features``), optionally transforms each by a dihedral symmetry
(``random``: one per position; ``average``: all eight, averaged), runs one
forward pass on the inference-prepared model (``goagent.precision``: fp32 with
BatchNorm folded and channels_last, bf16, INT8 or CUDA, by ``precision`` and
``device``; see docs/BENCHMARKS.md), maps the outputs back, and masks illegal
moves here and nowhere else.

``load_evaluator(spec)`` resolves ``default`` (the networks shipped in
``goagent/weights/``), a checkpoint path, or ``playouts`` (no network).
``default`` is ``weights/default.pt`` for every board size, except where a
board-size specialist ships (``weights/9x9.pt`` plays 9x9): ``ShippedEvaluator``
picks one per batch by the positions' board size.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

import numpy as np
import torch

from goagent import features, symmetry
from goagent.checkpoint import load_checkpoint
from goagent.game import GameState
from goagent.mcts import Evaluation, PlayoutEvaluator
from goagent.precision import prepare

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_NAME = "default.pt"  # in WEIGHTS_DIR: plays every size without a specialist
SYMMETRY_MODES = ("none", "random", "average")


class NetworkEvaluator:
    """Batched evaluation of positions by a policy/value network."""

    def __init__(
        self,
        model: torch.nn.Module,
        symmetries: str = "random",
        seed: int = 0,
        name: str = "network",
        precision: str | None = None,
        device: str | None = None,
        calibration_size: int = 19,
    ):
        if symmetries not in SYMMETRY_MODES:
            raise ValueError(f"symmetries must be one of {SYMMETRY_MODES}, not {symmetries!r}")
        self.runner = prepare(model, precision, device, calibration_size=calibration_size, seed=seed)
        self.model = self.runner.net
        self.precision, self.device = self.runner.precision, str(self.runner.device)
        self.symmetries = symmetries
        self.rng = np.random.default_rng(seed)
        self.name = name
        self.forward_seconds = 0.0
        self.positions = 0
        # Whether its ownership head learned final boards with the dead stones off
        # (``knows_dead_stones``): only then does the count use it.
        self.knows_dead_stones = False

    def _planes(self, states: list[GameState], legal: list[np.ndarray]) -> np.ndarray:
        packed = [features.compact(s, m) for s, m in zip(states, legal)]
        return features.decode_batch(
            np.stack([c.stones for c in packed]),
            np.array([c.to_play for c in packed]),
            np.array([c.komi for c in packed]),
            np.array([c.ko for c in packed]),
            np.stack([c.legal for c in packed]),
        )

    def _forward(self, planes: np.ndarray):
        import time

        start = time.perf_counter()
        result = self.runner(planes)
        self.forward_seconds += time.perf_counter() - start
        self.positions += len(planes)
        return result

    def evaluate(
        self, states: list[GameState], legal: list[np.ndarray], symmetries: str | None = None
    ) -> Evaluation:
        return self.evaluate_planes(self._planes(states, legal), np.stack(legal), symmetries)

    def evaluate_planes(
        self, planes: np.ndarray, legal: np.ndarray, symmetries: str | None = None
    ) -> Evaluation:
        """The batch entry point: encoded positions ``planes`` (B, C, n, n) float32 and
        their legal moves ``legal`` (B, n*n+1) bool -> priors (masked), values, ownership,
        scores, all from the side to move's view.  ``symmetries`` overrides the
        evaluator's mode for this call (the dead-stone judgement averages all eight)."""
        symmetries = self.symmetries if symmetries is None else symmetries
        if symmetries not in SYMMETRY_MODES:
            raise ValueError(f"symmetries must be one of {SYMMETRY_MODES}, not {symmetries!r}")
        batch, n = len(planes), planes.shape[-1]
        if symmetries == "average":
            ks = np.tile(np.arange(8), batch)
            planes = np.repeat(planes, 8, axis=0)
        elif symmetries == "random":
            ks = self.rng.integers(0, 8, batch)
        else:
            ks = np.zeros(batch, np.int64)
        planes = symmetry.apply_planes_each(planes, ks)
        logits, values, ownership, scores = self._forward(planes)
        back = np.array([symmetry.inverse(int(k)) for k in ks])  # to the original orientation
        logits = symmetry.apply_policy_each(logits, back, n)
        if ownership is not None:
            ownership = symmetry.apply_planes_each(ownership, back)
        if symmetries == "average":
            logits = logits.reshape(batch, 8, -1)
            priors = _masked_softmax(logits, legal[:, None, :]).mean(axis=1)
            values = values.reshape(batch, 8).mean(axis=1)
            ownership = None if ownership is None else ownership.reshape(batch, 8, n, n).mean(axis=1)
            scores = None if scores is None else scores.reshape(batch, 8).mean(axis=1)
        else:
            priors = _masked_softmax(logits, legal)
        if ownership is not None:
            ownership = ownership.reshape(batch, n * n)
        return Evaluation(priors.astype(np.float32), values.astype(np.float32), ownership, scores)


def _masked_softmax(logits: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """Softmax over legal moves only: illegal moves get exactly zero prior."""
    masked = np.where(legal, logits, -np.inf)
    masked -= masked.max(axis=-1, keepdims=True)
    exp = np.exp(masked)
    return exp / exp.sum(axis=-1, keepdims=True)


def default_weights() -> Path | None:
    path = WEIGHTS_DIR / DEFAULT_NAME
    return path if path.exists() else None


def specialist_weights() -> dict[int, Path]:
    """The shipped networks trained for one board size: ``weights/9x9.pt`` -> ``{9: path}``."""
    found = {}
    for path in WEIGHTS_DIR.glob("*x*.pt"):
        match = re.fullmatch(r"(\d+)x\1\.pt", path.name)
        if match:
            found[int(match.group(1))] = path
    return found


def shipped_weights(size: int) -> Path:
    """The shipped network that plays ``size`` (its specialist, else ``default.pt``)."""
    path = specialist_weights().get(size) or default_weights()
    if path is None:
        raise FileNotFoundError(f"no network in {WEIGHTS_DIR}: reinstall goagent, or name a checkpoint")
    return path


class ShippedEvaluator:
    """``default``: each board size played by its shipped network.

    ``weights/NxN.pt`` plays NxN where it ships; ``weights/default.pt`` plays every
    other size (the playout evaluator, with a warning, when that is missing too).
    All are loaded up front, so a bad file fails at start, not mid-game.  Every
    batch holds positions of one board size (a search, a self-play worker and a
    GUI game each play on one board), so a whole batch goes to one network.
    """

    def __init__(
        self,
        symmetries: str = "random",
        seed: int = 0,
        playouts: int = 2,
        precision: str | None = None,
        device: str | None = None,
    ):
        self.name = "default"
        general = default_weights()
        if general is None:
            _warn_no_network()
        self.general = (
            _network(general, symmetries, seed, precision, device)
            if general
            else PlayoutEvaluator(playouts, seed)
        )
        self.specialists = {
            n: _network(p, symmetries, seed, precision, device, size=n)
            for n, p in specialist_weights().items()
        }

    def for_size(self, size: int):
        """The evaluator that plays ``size``."""
        return self.specialists.get(size, self.general)

    def evaluate(self, states: list[GameState], legal: list[np.ndarray], **options) -> Evaluation:
        return self.for_size(states[0].size).evaluate(states, legal, **options)

    def evaluate_planes(self, planes: np.ndarray, legal: np.ndarray, **options) -> Evaluation:
        """As ``NetworkEvaluator.evaluate_planes``, by the network for the planes' board size
        (callers check ``hasattr(for_size(n), "evaluate_planes")``: playouts need states)."""
        return self.for_size(planes.shape[-1]).evaluate_planes(planes, legal, **options)


def _network(
    path: Path,
    symmetries: str,
    seed: int,
    precision: str | None = None,
    device: str | None = None,
    size: int = 19,
) -> NetworkEvaluator:
    ckpt = load_checkpoint(path, expected_feature_version=features.FEATURE_VERSION)
    evaluator = NetworkEvaluator(
        ckpt.model,
        symmetries,
        seed,
        name=path.name,
        precision=precision,
        device=device,
        calibration_size=size,
    )
    evaluator.knows_dead_stones = knows_dead_stones(ckpt.data_description)
    return evaluator


def knows_dead_stones(data_description) -> bool:
    """Whether a checkpoint's ownership targets had the dead stones off: SL data from
    ``sl prepare`` that took them off (its summary's ``dead_stones``)."""
    return isinstance(data_description, dict) and bool(data_description.get("dead_stones"))


@functools.lru_cache(maxsize=1)
def _warn_no_network() -> None:
    log.warning("no shipped network in %s: using the network-free playout evaluator", WEIGHTS_DIR)


def load_evaluator(
    spec: str = "default",
    symmetries: str = "random",
    seed: int = 0,
    playouts: int = 2,
    precision: str | None = None,
    device: str | None = None,
):
    """An Evaluator from ``default``, a checkpoint path, or ``playouts``.

    ``default`` plays each board size with its shipped network (``ShippedEvaluator``)
    and falls back to the playout evaluator (with a warning) when none ships in
    this install.  ``precision`` and ``device`` choose the numeric path
    (``goagent.precision``; None: exact fp32 on the CPU; the commands pass their
    ``--precision``/``--device`` flags, whose default is ``auto``).
    """
    if spec == "playouts":
        return PlayoutEvaluator(playouts, seed)
    if spec == "default":
        return ShippedEvaluator(symmetries, seed, playouts, precision, device)
    return _network(Path(spec), symmetries, seed, precision, device)
