"""`goagent bench board`: how fast the board engine plays random games.

Measures uniform random playouts (the board engine's ``run_playouts``: no eye
filling, two passes or 3*n*n plies, Tromp-Taylor scoring) on one core after
JIT warm-up, as the median of several timed rounds.  When run from a source
checkout it also times the pure-Python reference board from
``tests/reference_board.py`` in the same run and reports the ratio.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import time
from pathlib import Path

from goagent.board import Board, new_rng, run_playouts
from goagent.coords import BLACK
from goagent.fileio import dumps


def pin_to_one_core() -> str:
    """Run this process on a single CPU so figures are per core; returns a note."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to cpu {cpu}"
    return "not pinned (no sched_setaffinity)"


def _time_rounds(run_round, seconds: float, rounds: int = 5) -> tuple[float, float]:
    """Call ``run_round() -> (playouts, plies)`` for about ``seconds``; median rates."""
    rates, move_rates = [], []
    deadline = time.perf_counter() + seconds
    while len(rates) < rounds or time.perf_counter() < deadline:
        start = time.perf_counter()
        playouts, plies = run_round()
        elapsed = time.perf_counter() - start
        rates.append(playouts / elapsed)
        move_rates.append(plies / elapsed)
        if len(rates) >= 50:
            break
    return statistics.median(rates), statistics.median(move_rates)


def bench_board(size: int, seconds: float = 5.0, seed: int = 0) -> dict:
    """Playouts/s and moves/s of the Numba engine from the empty board."""
    board = Board(size)
    rng = new_rng(seed)
    run_playouts(board, BLACK, 10, 7.5, rng)  # JIT warm-up (cached after the first run)
    batch = max(1, int(20_000 / size**2))

    def one_round():
        _, plies, _ = run_playouts(board, BLACK, batch, 7.5, rng)
        return batch, plies

    playouts, moves = _time_rounds(one_round, seconds)
    return {"size": size, "playouts_per_s": playouts, "moves_per_s": moves}


def load_reference_board():
    """The pure-Python reference board module from a source checkout, or None."""
    path = Path(__file__).resolve().parent.parent / "tests" / "reference_board.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("reference_board", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_reference(module, size: int, seconds: float, seed: int = 0) -> dict:
    """Playouts/s of the pure-Python reference board (same playout policy)."""
    import random

    rng = random.Random(seed)

    def one_round():
        plies = module.random_playout(size, rng, max_moves=3 * size * size)
        return 1, plies

    playouts, moves = _time_rounds(one_round, seconds, rounds=3)
    return {"size": size, "playouts_per_s": playouts, "moves_per_s": moves}


def main(args) -> int:
    if args.target == "net":
        from goagent import bench_net

        return bench_net.main(args)
    if args.target == "mcts":
        from goagent import bench_search  # the search's measurements live there

        return bench_search.main_mcts(args)
    if args.target == "analyze":
        from goagent import bench_analyze  # a GUI's long analysis, through GTP

        return bench_analyze.main(args)
    if args.target == "env":
        from goagent import bench_env  # the env's measurements live there

        return bench_env.bench_env(args, pin_to_one_core)
    note = pin_to_one_core()
    result = {"engine": bench_board(args.size, args.seconds, args.seed), "cpu": note}
    module = None if args.no_baseline else load_reference_board()
    if module is not None:
        ref = bench_reference(module, args.size, min(args.seconds, 10.0), args.seed)
        result["reference"] = ref
        result["speedup"] = result["engine"]["playouts_per_s"] / ref["playouts_per_s"]
    if args.json:
        print(dumps(result))
        return 0
    eng = result["engine"]
    print(f"board {args.size}x{args.size}, one core ({note})")
    rates = f"{eng['playouts_per_s']:>12,.0f} playouts/s {eng['moves_per_s']:>14,.0f} moves/s"
    print(f"  goagent (Numba):     {rates}")
    if module is not None:
        ref = result["reference"]
        rates = f"{ref['playouts_per_s']:>12,.1f} playouts/s {ref['moves_per_s']:>14,.0f} moves/s"
        print(f"  reference (Python):  {rates}")
        print(f"  speedup:             {result['speedup']:>12,.0f}x")
    elif not args.no_baseline:
        print("  (baseline skipped: tests/reference_board.py is only in a source checkout)")
    return 0
