"""Numba's on-disk kernel cache, kept consistent with the sources of all the kernels.

Numba stamps a cached kernel with its own file's modification time only.  A
kernel that calls into another module (the ladder reader's context layout,
the board's array layout) is loaded from the cache after that other module
changed, and the stale machine code can crash the process.  So before the
first kernel module loads, ``check`` hashes every module that holds kernels
and compares the hash with the one stamped in ``goagent/__pycache__``.  If
they differ (an upgrade, a pull, an edit), the cached ``.nbi``/``.nbc`` files
of the package are removed and Numba compiles afresh, once.

This module imports neither numba nor torch; ``board``, ``ladders`` and
``search.cache`` (the kernel modules that every other one imports) call
``check`` at import.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path

from goagent.fileio import atomic_write

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent
# Every module with @njit(cache=True) kernels, and those their kernels call into.
KERNEL_MODULES = (
    "bench_env.py",
    "board.py",
    "dead_stones.py",
    "env_game.py",
    "env_vector.py",
    "features.py",
    "ladders.py",
    "scoring.py",
    "search/cache.py",
    "search/evaluation.py",
    "search/leaves.py",
    "search/tree.py",
    "symmetry.py",
)
STAMP_NAME = "kernels.sha256"  # in ROOT/__pycache__


def sources_digest(root: Path = ROOT) -> str:
    """A hash of the kernel modules' sources (a missing file counts as empty)."""
    digest = hashlib.sha256()
    for name in KERNEL_MODULES:
        path = root / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def cached_files(root: Path = ROOT) -> list[Path]:
    """The package's cached kernels (index and code files) next to its sources."""
    folders = {(root / name).parent / "__pycache__" for name in KERNEL_MODULES}
    return sorted(p for folder in folders if folder.is_dir() for p in folder.glob("*.nb[ic]"))


@functools.cache  # once per process
def check(root: Path = ROOT) -> None:
    """Remove the cached kernels under ``root`` if they were compiled from other sources."""
    stamp = root / "__pycache__" / STAMP_NAME
    try:
        digest = sources_digest(root)
        if stamp.exists() and stamp.read_text().strip() == digest:
            return
        stale = cached_files(root)
        for path in stale:
            path.unlink(missing_ok=True)
        if stale:
            log.info(
                "kernel sources changed: removed %d cached kernel files; Numba compiles afresh", len(stale)
            )
        atomic_write(stamp, digest + "\n")
    except OSError as err:  # a read-only install: Numba keeps its cache elsewhere, or none
        log.debug("kernel cache not checked: %s", err)
