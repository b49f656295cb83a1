"""Run configuration: frozen dataclasses with defaults, TOML load/dump, ``--set`` overrides.

Conventions (ARCHITECTURE.md section 3):

- Every config section is a frozen dataclass with defaults; validation lives in
  ``__post_init__`` so ``dataclasses.replace`` re-validates.
- A run's root config is the dataclass of the command that runs it, one field
  per TOML table: ``selfplay.config.LoopConfig`` for the self-play loop, a
  ``[train]`` table for ``sl train``.  TOML is read into whichever root the
  caller names.
- Values are converted by the field's type hint (``int``, ``float``, ``bool``,
  ``str``, ``X | None``, ``tuple[X, ...]``, ``list[X]``, ``Literal[...]``, nested
  dataclasses); unknown keys are errors, never silently ignored.
- TOML has no null: ``None`` values are left out when dumping, so optional
  fields should default to ``None``.
- This module never imports torch.

Start reading at ``ModelConfig`` / ``model_preset``, then ``apply_overrides``.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import logging
import math
import re
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

from goagent.fileio import atomic_write

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 needs the tomli backport
    try:
        import tomli as tomllib
    except ModuleNotFoundError:
        tomllib = None

T = TypeVar("T")


class ConfigError(ValueError):
    """A config value or key is wrong; the message names the key and what is allowed."""


# --------------------------------------------------------------------------- model

AUX_HEADS = ("ownership", "score")
_PRESET_RE = re.compile(r"^b(\d+)c(\d+)$")
PRESET_ALIASES = {"tiny": "b2c16"}
# Documented presets; any other "bNcM" name also works (see ``model_preset``).
PRESETS = ("tiny", "b6c64", "b6c96", "b10c128", "b15c192")


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the policy/value network (``goagent.network``).

    ``in_channels`` is the number of input planes of the feature encoder; 0 means
    "not set yet": the network refuses to build until the caller fills it in.
    ``global_pool_every = k`` makes every k-th residual block a global-pooling
    block (0 = none). ``heads`` lists the auxiliary heads that are trained.
    """

    preset: str = "b6c64"
    blocks: int = 6
    channels: int = 64
    in_channels: int = 0
    global_pool_every: int = 3
    head_channels: int = 16
    value_hidden: int = 64
    heads: tuple[str, ...] = AUX_HEADS

    def __post_init__(self) -> None:
        for name in ("blocks", "in_channels", "global_pool_every"):
            if getattr(self, name) < 0:
                raise ConfigError(f"model.{name} must be >= 0, got {getattr(self, name)}")
        for name in ("channels", "head_channels", "value_hidden"):
            if getattr(self, name) < 1:
                raise ConfigError(f"model.{name} must be >= 1, got {getattr(self, name)}")
        unknown = [h for h in self.heads if h not in AUX_HEADS]
        if unknown:
            raise ConfigError(f"model.heads: unknown head(s) {unknown}; choose from {list(AUX_HEADS)}")
        if self.global_pool_every and self.channels < 4:
            raise ConfigError("model.channels must be >= 4 when global pooling blocks are used")


def model_preset(name: str, in_channels: int) -> ModelConfig:
    """The ModelConfig for a preset name: ``tiny`` (= b2c16) or any ``bNcM``.

    ``bNcM`` is N residual blocks of M channels. Head widths grow with M; every
    third block pools globally (every second in nets under 6 blocks).
    """
    canonical = PRESET_ALIASES.get(name, name)
    match = _PRESET_RE.match(canonical)
    if not match:
        raise ConfigError(f"unknown model preset {name!r}: use one of {list(PRESETS)} or any 'bNcM'")
    blocks, channels = int(match.group(1)), int(match.group(2))
    return ModelConfig(
        preset=name,
        blocks=blocks,
        channels=channels,
        in_channels=in_channels,
        global_pool_every=2 if blocks < 6 else 3,
        head_channels=max(8, channels // 4),
        value_hidden=max(16, min(128, channels)),
    )


# --------------------------------------------------------------------------- search

DEFAULT_MEMORY_BUDGET = 1_500_000_000  # bytes: gtp and analysis; self-play sets less per game


@dataclass(frozen=True)
class SearchConfig:
    """Knobs of the search (``goagent.search.driver.Search``); self-play nests one in
    ``SelfPlayConfig.search``, the player in ``PlayerConfig.search``."""

    c_puct: float = 1.5
    fpu_reduction: float = 0.25  # unvisited children start at parent Q minus this * sqrt(visited prior)
    root_fpu_reduction: float = 0.0
    batch_size: int = 8
    virtual_loss: float = 1.0
    dirichlet_alpha: float = 0.03 * 361  # total concentration; per move alpha = this / legal moves
    noise_fraction: float = 0.0  # 0.25 in self-play
    cache_size: int = 16_384  # evaluation cache entries (a power of two is used), within the budget
    memory_budget: int = DEFAULT_MEMORY_BUDGET  # bytes for the tree, the cache and the sums

    def __post_init__(self) -> None:
        for name in ("batch_size", "cache_size", "memory_budget"):
            if getattr(self, name) < 1:
                raise ConfigError(f"search.{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.noise_fraction <= 1.0:
            raise ConfigError(f"search.noise_fraction must be in [0, 1], got {self.noise_fraction}")
        if self.dirichlet_alpha <= 0:
            raise ConfigError(f"search.dirichlet_alpha must be > 0, got {self.dirichlet_alpha}")


# --------------------------------------------------------------------------- train


@dataclass(frozen=True)
class LearnConfig:
    """Training steps on examples: what the self-play learner honours, and what the
    supervised trainer (``TrainConfig``) shares with it."""

    steps: int = 100_000
    batch: int = 256
    optimizer: str = "sgd"  # sgd (Nesterov momentum 0.9) or adamw
    lr: float = 0.05  # peak learning rate
    warmup_steps: int = 500
    weight_decay: float = 1e-4
    grad_clip: float = 5.0
    value_weight: float = 0.5  # whole games give correlated value targets: keep this below 1
    ownership_weight: float = 0.5
    score_weight: float = 0.02
    symmetries: bool = True  # a random dihedral transform per example
    # auto: bf16 autocast on CUDA and on CPUs with AVX512-BF16/AMX, fp32 elsewhere; or fp32, bf16.
    # (Replaces the old ``mixed_precision``: true -> auto, false -> fp32, converted on load.)
    precision: str = "auto"
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.optimizer not in ("sgd", "adamw"):
            raise ConfigError(f"train.optimizer must be sgd or adamw, got {self.optimizer!r}")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise ConfigError(f"train.precision must be auto, fp32 or bf16, got {self.precision!r}")
        for name in ("steps", "batch"):
            if getattr(self, name) < 1:
                raise ConfigError(f"train.{name} must be >= 1, got {getattr(self, name)}")

    @classmethod
    def upgrade(cls, data: dict[str, Any], where: str) -> dict[str, Any]:
        """Older layouts: ``mixed_precision`` as ``precision``; fields of ``TrainConfig``
        that a self-play run's ``[train]`` table carried but never used are dropped."""
        data = _upgrade_mixed_precision(data, where)
        names = {f.name for f in dataclasses.fields(cls)}
        unused = [key for key in data if key in _TRAIN_ONLY and key not in names]
        if unused:
            logging.getLogger(__name__).warning(
                "%s: %s never applied to self-play training: dropped (delete them from the file)",
                where,
                ", ".join(unused),
            )
            data = {k: v for k, v in data.items() if k not in unused}
        return data


@dataclass(frozen=True)
class TrainConfig(LearnConfig):
    """Supervised training of the network (``goagent.train``): the training steps, and
    the run around them (data workers, validation, checkpoints, a time limit)."""

    model: str = "b6c96"  # preset for a new network (ignored when resuming or with init)
    init: str = ""  # start from this checkpoint's weights instead of random ones
    threads: int = 0  # torch CPU threads; 0 = torch's default (all cores)
    workers: int = -1  # processes building batches; 0 = this process; -1 = auto (0 on CPU, cores - 1 on GPU)
    max_minutes: float = 0.0  # stop with a checkpoint after this long (0 = run to ``steps``); rerun to go on
    log_every: int = 50
    eval_every: int = 500
    val_positions: int = 4096
    checkpoint_every: int = 250
    seed: int = 0
    # Fine-tune only these top-level modules of the network, comma-separated (e.g.
    # "value_head": the value, score and ownership outputs); the others keep their
    # weights and BatchNorm statistics.  "" trains everything.
    train_only: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("log_every", "eval_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"train.{name} must be >= 1, got {getattr(self, name)}")


_TRAIN_ONLY = ("model", "init", "threads", "workers", "max_minutes", "log_every", "eval_every",
               "val_positions", "checkpoint_every", "seed", "train_only")  # fmt: skip


def _upgrade_mixed_precision(data: dict[str, Any], where: str) -> dict[str, Any]:
    """An old TrainConfig's ``mixed_precision`` (bf16 autocast on CUDA) as ``precision``."""
    if "mixed_precision" not in data:
        return data
    data = dict(data)
    old = data.pop("mixed_precision")
    data.setdefault("precision", "auto" if old else "fp32")
    logging.getLogger(__name__).warning(
        "%s.mixed_precision = %s is now precision = %r (converted; write that instead)",
        where,
        str(old).lower(),
        data["precision"],
    )
    return data


# ------------------------------------------------------------- dict <-> dataclass


def to_dict(cfg: Any) -> dict[str, Any]:
    """A dataclass as nested plain dicts (tuples become lists), ready for TOML/JSON."""
    if not dataclasses.is_dataclass(cfg) or isinstance(cfg, type):
        raise TypeError(f"to_dict needs a dataclass instance, got {type(cfg).__name__}")
    return {f.name: _plain(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def from_dict(cls: type[T], data: dict[str, Any], *, where: str = "", base: Any = None) -> T:
    """Build dataclass ``cls`` from a (TOML) dict; missing keys keep their defaults.

    The defaults are ``base``'s values when given.  A nested table starts from its
    parent's default for that field, so ``[selfplay.search]`` with one key keeps
    self-play's other search settings, not a bare ``SearchConfig()``'s."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    upgrade = getattr(cls, "upgrade", None)  # a section's own conversion of an older layout
    if upgrade is not None:
        data = upgrade(data, where or cls.__name__)
    if base is None:
        base = _default_instance(cls)
    kwargs = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else key
        if key not in names:
            raise ConfigError(_unknown_key_message(path, key, names))
        if dataclasses.is_dataclass(hints[key]) and isinstance(value, dict):
            kwargs[key] = from_dict(hints[key], value, where=path, base=getattr(base, key, None))
        else:
            kwargs[key] = _convert(value, hints[key], path)
    try:
        return dataclasses.replace(base, **kwargs) if base is not None else cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where or 'config'}: {exc}") from exc


def _default_instance(cls: type[T]) -> T | None:
    try:
        return cls()
    except (TypeError, ConfigError):  # a field without a default, or defaults that do not validate
        return None


def _unknown_key_message(path: str, key: str, names: list[str]) -> str:
    close = difflib.get_close_matches(key, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown config key {path!r}{hint} (known here: {', '.join(names)})"


def _optional_inner(hint: Any) -> Any | None:
    """For ``X | None`` return X, else None."""
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0]
    return None


def _convert(value: Any, hint: Any, path: str) -> Any:
    """Check and convert an already-typed value (from TOML) to the field's type."""
    inner = _optional_inner(hint)
    if inner is not None:
        return None if value is None else _convert(value, inner, path)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where=path)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{path}: {value!r} is not one of {list(args)}")
        return value
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{path}: expected a list, got {value!r}")
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(value):
                raise ConfigError(f"{path}: expected {len(args)} items, got {len(value)}")
            return tuple(_convert(v, a, f"{path}[{i}]") for i, (v, a) in enumerate(zip(args, value)))
        elem = args[0] if args else Any
        items = [_convert(v, elem, f"{path}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a table, got {value!r}")
        return dict(value)
    if hint is Any:
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path}: expected a string, got {value!r}")
        return value
    raise ConfigError(f"{path}: unsupported field type {hint!r}")


# ------------------------------------------------------------------ --set overrides

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _parse_text(text: str, hint: Any, path: str) -> Any:
    """Parse a ``--set`` value (always a string) by the field's type."""
    text = text.strip()
    inner = _optional_inner(hint)
    if inner is not None:
        return None if text.lower() in ("none", "null") else _parse_text(text, inner, path)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        raise ConfigError(f"{path} is a section, not a value: set {path}.<key>=<value>")
    if origin in (tuple, list):
        body = text[1:-1] if text.startswith("[") and text.endswith("]") else text
        parts = [p.strip() for p in body.split(",") if p.strip()]
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            elems = list(args)
        else:
            elems = [args[0] if args else str] * len(parts)
        if len(elems) != len(parts):
            raise ConfigError(f"{path}: expected {len(elems)} comma-separated items, got {text!r}")
        items = [_parse_text(p, e, f"{path}[{i}]") for i, (p, e) in enumerate(zip(parts, elems))]
        return tuple(items) if origin is tuple else items
    try:
        if hint is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError
        if hint is int:
            return int(text)
        if hint is float:
            return float(text)
    except ValueError:
        kind = {bool: "true or false", int: "an integer", float: "a number"}[hint]
        raise ConfigError(f"{path}: expected {kind}, got {text!r}") from None
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    if origin is Literal:
        for choice in args:
            if str(choice) == text:
                return choice
        raise ConfigError(f"{path}: {text!r} is not one of {list(args)}")
    return _convert(text, hint, path)


def apply_overrides(cfg: T, overrides: list[str] | tuple[str, ...]) -> T:
    """Apply ``["model.blocks=10", "model.heads=ownership,score"]``; returns a new config.

    Values are converted by the target field's type; an unknown key or a value
    of the wrong type raises ConfigError naming the key.
    """
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. model.blocks=10")
        try:
            cfg = _set_path(cfg, key.split("."), text, "")
        except ConfigError as exc:
            raise ConfigError(f"--set {item!r}: {exc}") from None
    return cfg


def _set_path(obj: Any, parts: list[str], text: str, where: str) -> Any:
    name = parts[0]
    path = f"{where}.{name}" if where else name
    names = [f.name for f in dataclasses.fields(obj)]
    if name not in names:
        raise ConfigError(_unknown_key_message(path, name, names))
    hint = typing.get_type_hints(type(obj))[name]
    if len(parts) == 1:
        value = _parse_text(text, hint, path)
    elif dataclasses.is_dataclass(getattr(obj, name)):
        value = _set_path(getattr(obj, name), parts[1:], text, path)
    else:
        raise ConfigError(f"{path} is a value, not a section")
    try:
        return dataclasses.replace(obj, **{name: value})
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


# ---------------------------------------------------------------------------- TOML


def loads_toml(text: str, cls: type[T]) -> T:
    """Parse TOML text into dataclass ``cls``."""
    if tomllib is None:  # pragma: no cover
        raise ConfigError("reading TOML on Python 3.10 needs the 'tomli' package: pip install tomli")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}") from exc
    return from_dict(cls, data)


def load_toml(path: str | Path, cls: type[T]) -> T:
    """Read a TOML file into dataclass ``cls``; errors name the file."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        return loads_toml(text, cls)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def dumps_toml(data: Any) -> str:
    """TOML text for a dataclass or a nested dict of scalars, strings and lists."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        data = to_dict(data)
    lines: list[str] = []
    _write_table(data, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def dump_toml(data: Any, path: str | Path) -> None:
    """Write ``dumps_toml(data)`` to ``path``, atomically."""
    atomic_write(path, dumps_toml(data))


def _write_table(table: dict[str, Any], prefix: list[str], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict) and v is not None}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    if prefix and (scalars or not tables):
        lines.append("")
        lines.append("[" + ".".join(_toml_key(p) for p in prefix) + "]")
    for key, value in scalars.items():
        lines.append(f"{_toml_key(key)} = {_toml_value(value, '.'.join(prefix + [key]))}")
    for key, value in tables.items():
        _write_table(value, prefix + [str(key)], lines)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_value(value: Any, path: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON escapes are valid TOML basic-string escapes
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v, path) for v in value) + "]"
    raise ConfigError(f"{path}: cannot write {type(value).__name__} to TOML")
