"""Files that survive a kill: atomic writes, appended JSON lines, strict JSON.

Every file the project writes for later (shards, checkpoints, a run's state,
game records) goes through ``atomic_write``: the bytes go to a temporary file
in the same folder, are flushed and fsynced, and ``os.replace`` puts them in
place, so a reader (or a resumed run after ``kill -9``) sees the old file or
the new one, never half of one.  ``append_jsonl`` adds one fsynced line to a
log such as ``metrics.jsonl``.

JSON is written strictly (``dumps``): NaN and infinities, which Python's json
writes as bare ``NaN``/``Infinity`` that jq and JavaScript reject, become
``null``.  Callers that mean "unbounded" say so in a field of their own.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Callable
from typing import IO, Any


def finite(obj: Any) -> Any:
    """``obj`` with every non-finite float (NaN, +-inf), however deeply nested, replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {key: finite(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(value) for value in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        return finite(obj.item())  # numpy scalars
    return obj


def dumps(obj: Any, **kwargs) -> str:
    """Strict JSON text of ``obj`` (non-finite numbers as null); keyword arguments as ``json.dumps``."""
    return json.dumps(finite(obj), allow_nan=False, **kwargs)


def atomic_write(path: str | os.PathLike, write: Callable[[IO], Any] | bytes | str) -> None:
    """Put a new ``path`` in place at once: ``write(handle)`` fills a binary temporary file
    (or give the bytes / text itself), which is fsynced and then renamed over ``path``."""
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(write, str):
                handle.write(write.encode())
            elif isinstance(write, bytes):
                handle.write(write)
            else:
                write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json(path: str | os.PathLike, data: Any, indent: int | None = 1) -> None:
    """``data`` as strict JSON at ``path``, atomically."""
    atomic_write(path, dumps(data, indent=indent) + "\n")


def append_jsonl(path: str | os.PathLike, record: dict) -> None:
    """One strict-JSON line at the end of ``path``, fsynced (a crash leaves at most a torn
    last line, which readers skip)."""
    with open(path, "a") as handle:
        handle.write(dumps(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
