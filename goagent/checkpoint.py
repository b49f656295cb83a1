"""Checkpoints: the network, its config and the training state in one file.

A checkpoint holds ``format_version``, ``feature_version``, the model config, the
unwrapped model's weights (no ``_orig_mod.``/``module.`` prefixes), optimizer
state, step, the run config and free-form extras, all as plain types, and is
read with ``torch.load(weights_only=True)``: a stranger's file cannot run code.
Writes are atomic (temp file + rename).  A file of another format or feature
version, or whose weights do not fit its config, fails with a ``CheckpointError``
that says what differs and what to do.  Start reading at ``save_checkpoint``.
"""

from __future__ import annotations

import dataclasses
import logging
import pickle
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

import goagent
from goagent.config import ConfigError, ModelConfig, from_dict, to_dict
from goagent.features import FEATURE_VERSION
from goagent.fileio import atomic_write
from goagent.network import PolicyValueNet, unwrap_model

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT_VERSION = 1
_WRAPPER_PREFIXES = ("_orig_mod.", "module.")  # torch.compile, DataParallel/DDP


class CheckpointError(ValueError):
    """A checkpoint cannot be used; the message says what differs and what to do."""


@dataclass
class Checkpoint:
    """What ``load_checkpoint`` returns; ``model`` is rebuilt, loaded and in eval mode."""

    model: PolicyValueNet
    model_config: ModelConfig
    feature_version: int
    step: int
    optimizer_state: dict[str, Any] | None
    train_config: dict[str, Any] | None
    data_description: Any
    extra: dict[str, Any] | None
    format_version: int = CHECKPOINT_FORMAT_VERSION


def strip_wrapper_prefixes(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop ``_orig_mod.`` / ``module.`` from keys, leading or nested, so weights load unwrapped."""
    out = {}
    for key, value in state_dict.items():
        stripped = True
        while stripped:
            stripped = False
            for prefix in _WRAPPER_PREFIXES:
                if key.startswith(prefix):
                    key, stripped = key[len(prefix) :], True
        out[key.replace("._orig_mod.", ".")] = value
    return out


def _plain(value: Any, where: str) -> Any:
    """Check (and convert) a value to types that ``torch.load(weights_only=True)`` accepts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(to_dict(value), where)
    if value is None or isinstance(value, (bool, int, float, str, torch.Tensor)):
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(
        f"checkpoint field {where} holds a {type(value).__name__}; only dicts, lists, str, int, "
        "float, bool, None and tensors can be saved (convert it first)"
    )


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    *,
    feature_version: int,
    optimizer: torch.optim.Optimizer | None = None,
    step: int = 0,
    train_config: Any = None,
    data_description: Any = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically (temp file in the same folder + ``os.replace``).

    The weights are the unwrapped model's (no ``_orig_mod.``/``module.`` prefixes);
    ``train_config`` may be a dataclass or a dict. Returns the path written.
    """
    net = unwrap_model(model)
    if not isinstance(net, PolicyValueNet):
        raise TypeError(f"save_checkpoint needs a PolicyValueNet, got {type(net).__name__}")
    if net.folded:
        raise ValueError("this model was prepared for inference (BatchNorm folded): save the original model")
    state = {k: v.detach().cpu() for k, v in strip_wrapper_prefixes(net.state_dict()).items()}
    payload = {
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "feature_version": int(feature_version),
        "model_config": to_dict(net.config),
        "model_state": state,
        "optimizer_state": None if optimizer is None else optimizer.state_dict(),
        "step": int(step),
        "train_config": _plain(train_config, "train_config"),
        "data_description": _plain(data_description, "data_description"),
        "extra": _plain(extra, "extra"),
        "goagent_version": goagent.__version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    path = Path(path)
    atomic_write(path, lambda handle: torch.save(payload, handle))
    logger.info("saved checkpoint %s (step %d)", path, step)
    return path


def _read_payload(path: Path, map_location: Any) -> dict[str, Any]:
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        if "Unsupported global" in text or "Unsupported operand" in text:
            detail = re.search(r"Unsupported (global|operand)[^.]*", text).group(0)
            raise CheckpointError(
                f"{path}: refusing to load: the file holds Python objects other than tensors and plain "
                "types, which could run code. Only load checkpoints written by goagent's save_checkpoint"
                f" ({detail[:200]})"
            ) from None
        raise CheckpointError(
            f"{path}: not a readable checkpoint (corrupt, or not a torch file): {text.splitlines()[0][:200]}"
        ) from None
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except Exception as exc:  # the zip reader and the unpickler raise many kinds on damaged files
        raise CheckpointError(
            f"{path}: cannot read it: the file is corrupt or truncated, or not a torch checkpoint at all "
            f"({type(exc).__name__}: {str(exc)[:200]}); was it copied completely? Use another checkpoint"
        ) from None
    if not isinstance(data, dict) or "format_version" not in data or "model_state" not in data:
        keys = sorted(data)[:8] if isinstance(data, dict) else type(data).__name__
        raise CheckpointError(
            f"{path}: not a goagent checkpoint (found {keys}); expected one written by save_checkpoint"
        )
    return data


def _check_state(path: Path, model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    problems = []
    if missing:
        problems.append(
            f"missing keys {missing[:5]}" + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        )
    if unexpected:
        more = f" and {len(unexpected) - 5} more" if len(unexpected) > 5 else ""
        problems.append(f"unexpected keys {unexpected[:5]}{more}")
    if wrong:
        more = f" and {len(wrong) - 5} more" if len(wrong) > 5 else ""
        problems.append("shape mismatch " + "; ".join(wrong[:5]) + more)
    if problems:
        raise CheckpointError(
            f"{path}: the weights do not fit the model config stored with them ({', '.join(problems)}); "
            "the file was written by a different network version: retrain, or load it with the goagent "
            "version that wrote it"
        )


def load_checkpoint(
    path: str | Path, *, expected_feature_version: int | None = FEATURE_VERSION, map_location: Any = "cpu"
) -> Checkpoint:
    """Read a checkpoint with ``weights_only=True`` and rebuild its model (eval mode).

    The network must have been trained on today's input features
    (``features.FEATURE_VERSION``) unless ``expected_feature_version`` says
    otherwise (None: any, for tools that only inspect a file).

    Raises CheckpointError (a ValueError) when the file is unsafe, corrupt, of
    another format or feature version, or its weights do not fit its config;
    FileNotFoundError when there is no file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    data = _read_payload(path, map_location)
    if data["format_version"] != CHECKPOINT_FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {data['format_version']!r}, but this goagent reads "
            f"version {CHECKPOINT_FORMAT_VERSION}; use the goagent version that wrote it, or convert it"
        )
    feature_version = data.get("feature_version")
    if expected_feature_version is not None and feature_version != expected_feature_version:
        raise CheckpointError(
            f"{path}: the network was trained on input features version {feature_version!r}, but the "
            f"encoder now produces version {expected_feature_version}; retrain on the current features "
            "or use the goagent version whose features match"
        )
    try:
        config = from_dict(ModelConfig, data.get("model_config") or {}, where="model_config")
        model = PolicyValueNet(config)
    except (ConfigError, ValueError) as exc:
        raise CheckpointError(f"{path}: bad model config in checkpoint: {exc}") from None
    state = strip_wrapper_prefixes(data["model_state"])
    _check_state(path, model, state)
    model.load_state_dict(state)
    if isinstance(map_location, (str, torch.device)):
        model.to(map_location)
    model.eval()
    return Checkpoint(
        model=model,
        model_config=config,
        feature_version=feature_version,
        step=int(data.get("step", 0)),
        optimizer_state=data.get("optimizer_state"),
        train_config=data.get("train_config"),
        data_description=data.get("data_description"),
        extra=data.get("extra"),
        format_version=data["format_version"],
    )
