"""Self-play on a Ray cluster (`goagent selfplay loop --ray ADDRESS`).

The learner puts the best network's checkpoint bytes into Ray's object store
once per generation; each Ray actor loads it, plays its share of the missing
game ids (many concurrent games, batched evaluation, exactly as a local
worker does) and returns the finished games' files as bytes, which the
learner writes atomically into the run folder.  Only the learner touches the
run folder, so workers need no shared file system.

Start a cluster with ``ray start --head`` on one machine and
``ray start --address HEAD_IP:6379`` on the others, then pass
``--ray HEAD_IP:6379`` (or ``auto`` on a cluster node).  Needs the optional
``ray`` extra: ``pip install 'goagent[ray]'``.  Ray 2.59 and newer start
clusters with token authentication; the loop then needs ``RAY_AUTH_MODE=token``
and the cluster's token (README, "Self-play reinforcement learning").
"""

from __future__ import annotations

import os
import tempfile

from goagent.fileio import atomic_write
from goagent.precision import EXACT, NumericPath
from selfplay.config import SelfPlayConfig


def _import_ray():
    try:
        import ray
    except ImportError:
        raise RuntimeError("--ray needs Ray: pip install 'goagent[ray]'") from None
    return ray


def _connect(ray, address: str) -> None:
    try:
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    except ConnectionError as err:
        # Ray 2.59+ turns token authentication on for clusters started with `ray start`,
        # but not for a driver that connects by address: the two must agree.
        raise ConnectionError(
            f"{err}. Check that `ray start --head` runs there. If the cluster uses token "
            "authentication (Ray 2.59 and newer, by default), run the loop with RAY_AUTH_MODE=token "
            "and the cluster's token (`ray get-auth-token` on the head; RAY_AUTH_TOKEN or "
            "~/.ray/auth_token here)"
        ) from None


def _play_remote(
    model_bytes: bytes, cfg: SelfPlayConfig, game_ids: list[int], seed: int, numerics: NumericPath
) -> dict[str, bytes]:
    """Runs on a Ray worker: play the games in a scratch folder, return their files."""
    from selfplay.worker import worker_main

    with tempfile.TemporaryDirectory() as scratch:
        model_path = os.path.join(scratch, "model.pt")
        with open(model_path, "wb") as handle:
            handle.write(model_bytes)
        out = os.path.join(scratch, "games")
        worker_main(model_path, cfg, game_ids, out, seed, threads=1, numerics=numerics)
        files = {}
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name), "rb") as handle:
                files[name] = handle.read()
        return files


def generate_with_ray(
    address: str,
    model_path: str,
    cfg: SelfPlayConfig,
    missing: list[int],
    out: str,
    seed: int,
    numerics: NumericPath = EXACT,
) -> None:
    ray = _import_ray()
    if not ray.is_initialized():
        _connect(ray, address)
    with open(model_path, "rb") as handle:
        model_ref = ray.put(handle.read())  # one copy in the object store for every worker
    workers = max(1, min(len(missing), int(ray.cluster_resources().get("CPU", 1))))
    remote = ray.remote(num_cpus=1)(_play_remote)
    chunks = [missing[w::workers] for w in range(workers)]
    pending = [remote.remote(model_ref, cfg, chunk, seed, numerics) for chunk in chunks if chunk]
    os.makedirs(out, exist_ok=True)
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        files = ray.get(ready[0])
        # Write .sgf before .npz: the .npz marks a game as done.
        for name in sorted(files, key=lambda n: n.endswith(".npz")):
            atomic_write(os.path.join(out, name), files[name])
