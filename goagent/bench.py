"""`goagent bench board`: how fast the board engine plays random games.

Measures uniform random playouts (the board engine's ``run_playouts``: no eye
filling, two passes or 3*n*n plies, Tromp-Taylor scoring) on one core after
JIT warm-up, as the median of several timed rounds.  When run from a source
checkout it also times the pure-Python reference board from
``tests/reference_board.py`` in the same run and reports the ratio.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import time
from pathlib import Path

from goagent.board import Board, new_rng, run_playouts
from goagent.coords import BLACK


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


def bench_mcts(
    model: str, size: int, visits: int, batch: int, moves: int, seed: int = 0, playouts: int = 2
) -> dict:
    """Visits/s of the full search (tree + evaluator) over the first ``moves`` moves of a game."""
    from goagent.game import GameState
    from goagent.inference import load_evaluator
    from goagent.mcts import Search, SearchConfig

    evaluator = load_evaluator(model, seed=seed, playouts=playouts)
    config = SearchConfig(batch_size=batch)
    warm = GameState(size)
    Search(warm, evaluator, config, seed).run(visits=2 * batch)  # JIT and allocator warm-up
    if hasattr(evaluator, "forward_seconds"):
        evaluator.forward_seconds = 0.0
    state = GameState(size)
    search = Search(state, evaluator, config, seed)
    total_visits, wall = 0, 0.0
    for _ in range(moves):
        before = search.root.visits
        start = time.perf_counter()
        result = search.run(visits=visits)
        wall += time.perf_counter() - start
        total_visits += result.visits - before
        state.play(result.best.action)
        search.advance(state)
    stats = search.stats
    forward = getattr(evaluator, "forward_seconds", None)
    out = {
        "model": model,
        "size": size,
        "visits_per_move": visits,
        "moves": moves,
        "visits_per_s": total_visits / wall,
        "avg_batch": stats["leaves"] / max(1, stats["batches"]),
        "evaluator_share": stats["eval_seconds"] / wall,
    }
    if forward is not None:
        out["forward_share"] = forward / wall
        out["search_overhead_share"] = 1.0 - forward / wall
    else:
        out["playouts_per_leaf"] = playouts
        out["playouts_per_s"] = out["visits_per_s"] * playouts
    return out


def add_arguments(parser) -> None:
    parser.add_argument("target", choices=["board", "mcts", "net"], help="what to benchmark")
    parser.add_argument(
        "--model", default="default", help="mcts/net: default, a checkpoint, a preset, or playouts"
    )
    parser.add_argument("--visits", type=int, default=400, help="mcts: visits per move")
    parser.add_argument("--batch", type=int, default=16, help="mcts/net: batch size")
    parser.add_argument("--moves", type=int, default=10, help="mcts: moves of a game to search")
    parser.add_argument(
        "--playouts", type=int, default=2, help="mcts with --model playouts: playouts per leaf"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="net/mcts: torch threads (default: all cores)"
    )
    parser.add_argument("--size", type=int, default=9, help="board size (default 9)")
    parser.add_argument("--seconds", type=float, default=5.0, help="time per measurement (default 5)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the pure-Python reference")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def main(args) -> int:
    if args.target == "net":
        from goagent import bench_net

        return bench_net.main(args)
    if args.target == "mcts":
        return main_mcts(args)
    note = pin_to_one_core()
    result = {"engine": bench_board(args.size, args.seconds, args.seed), "cpu": note}
    module = None if args.no_baseline else load_reference_board()
    if module is not None:
        ref = bench_reference(module, args.size, min(args.seconds, 10.0), args.seed)
        result["reference"] = ref
        result["speedup"] = result["engine"]["playouts_per_s"] / ref["playouts_per_s"]
    if args.json:
        print(json.dumps(result))
        return 0
    eng = result["engine"]
    print(f"board {args.size}x{args.size}, one core ({note})")
    print(
        f"  goagent (Numba):     {eng['playouts_per_s']:>12,.0f} playouts/s {eng['moves_per_s']:>14,.0f} moves/s"
    )
    if module is not None:
        ref = result["reference"]
        print(
            f"  reference (Python):  {ref['playouts_per_s']:>12,.1f} playouts/s {ref['moves_per_s']:>14,.0f} moves/s"
        )
        print(f"  speedup:             {result['speedup']:>12,.0f}x")
    elif not args.no_baseline:
        print("  (baseline skipped: tests/reference_board.py is only in a source checkout)")
    return 0


def main_mcts(args) -> int:
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.model == "playouts":
        pin_to_one_core()  # the network-free search is single-threaded
    result = bench_mcts(args.model, args.size, args.visits, args.batch, args.moves, args.seed, args.playouts)
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"mcts {args.size}x{args.size}, model {args.model}, {args.visits} visits/move over {args.moves} moves"
    )
    print(f"  visits/s:        {result['visits_per_s']:10,.0f}")
    print(f"  average batch:   {result['avg_batch']:10.1f}")
    if "forward_share" in result:
        print(f"  forward pass:    {100 * result['forward_share']:9.1f}% of wall time")
        print(
            f"  search overhead: {100 * result['search_overhead_share']:9.1f}% (everything but the forward pass)"
        )
    else:
        print(
            f"  playouts/s:      {result['playouts_per_s']:10,.0f} ({result['playouts_per_leaf']} per leaf, one core)"
        )
    return 0
