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


def main(args) -> int:
    if args.target == "net":
        from goagent import bench_net

        return bench_net.main(args)
    if args.target == "mcts":
        from goagent import bench_search  # the search's measurements live there

        return bench_search.main_mcts(args)
    if args.target == "env":
        return bench_env(args)
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



def _goagent_env_round(size: int, ladders: bool, seed: int):
    """A ``run(steps)`` playing uniformly random legal actions in GoEnv (both colors; resets when done)."""
    import random

    import gymnasium

    import goagent.env  # noqa: F401  (registers the ids)

    env = gymnasium.make("goagent/Go-v0", size=size, ladders=ladders)
    rng = random.Random(seed)
    _, info = env.reset(seed=seed)
    unwrapped = env.unwrapped

    def run(steps: int, keep: list | None = None) -> int:
        nonlocal info
        for i in range(steps):
            legal = info["action_mask"].nonzero()[0]
            _, _, terminated, truncated, info = env.step(legal[rng.randrange(len(legal))])
            if terminated or truncated:
                _, info = env.reset()
            elif keep is not None and i % 50 == 0:
                keep.append(unwrapped.get_state())
        return steps

    return run


def _go_v5_round(size: int, seed: int):
    """The same loop on PettingZoo's classic go_v5 (None without ``pettingzoo[classic]``)."""
    import random

    try:
        from pettingzoo.classic import go_v5
    except ImportError:
        return None
    env = go_v5.env(board_size=size)
    env.reset(seed=seed)
    rng = random.Random(seed)

    def run(steps: int, keep=None) -> int:
        done = 0
        while done < steps:
            obs, _, terminated, truncated, _ = env.last()
            if terminated or truncated:
                env.reset()
                continue
            legal = obs["action_mask"].nonzero()[0]
            env.step(legal[rng.randrange(len(legal))])
            done += 1
        return done

    return run


def _time_interleaved(runners: dict, seconds: float, steps: int) -> dict:
    """Steps/s of each runner: rounds of ``steps`` taken in turn (so load changes hit all
    alike) until each has run about ``seconds``; the median round of each."""
    rates = {name: [] for name in runners}
    spent = dict.fromkeys(runners, 0.0)
    while min(spent.values()) < seconds or min(len(r) for r in rates.values()) < 5:
        for name, run in runners.items():
            start = time.perf_counter()
            done = run(steps)
            elapsed = time.perf_counter() - start
            spent[name] += elapsed
            rates[name].append(done / elapsed)
        if min(len(r) for r in rates.values()) >= 200:
            break
    return {name: statistics.median(r) for name, r in rates.items()}


def _time_observation(snapshots: list, ladders: bool, repeat: int = 5) -> float:
    """Microseconds of ``features.encode`` (the planes from scratch, legal mask given) over
    the positions of ``snapshots``; the env's own step reuses unchanged ladder answers."""
    from goagent import features

    total = 0.0
    for snapshot in snapshots:
        game = snapshot["game"]
        state, legal = game.state, game.mask
        start = time.perf_counter()
        for _ in range(repeat):
            features.encode(state, legal, ladders)
        total += time.perf_counter() - start
    return 1e6 * total / max(1, repeat * len(snapshots))


def measure_env(size: int, seconds: float = 5.0, seed: int = 0, baseline: bool = True) -> dict:
    """Env steps/s with random legal actions: GoEnv with and without ladder planes, and go_v5."""
    from goagent import features

    features.warmup()
    runners = {
        "goagent": _goagent_env_round(size, True, seed),
        "goagent_no_ladders": _goagent_env_round(size, False, seed),
    }
    go_v5 = _go_v5_round(size, seed) if baseline else None
    if go_v5 is not None:
        runners["go_v5"] = go_v5
    for run in runners.values():
        run(200)  # warm-up: JIT, first allocations
    steps = max(100, 40_000 // size**2)
    rates = _time_interleaved(runners, seconds, steps)
    snapshots: list = []
    runners["goagent"](50 * 200, snapshots)  # positions met in random games, to time the planes alone
    result = {"size": size, "steps_per_s": rates}
    result["planes_us"] = {
        "ladders": _time_observation(snapshots, True),
        "no_ladders": _time_observation(snapshots, False),
    }
    result["step_us"] = {"ladders": 1e6 / rates["goagent"], "no_ladders": 1e6 / rates["goagent_no_ladders"]}
    if "go_v5" in rates:
        result["speedup_vs_go_v5"] = {
            "ladders": rates["goagent"] / rates["go_v5"],
            "no_ladders": rates["goagent_no_ladders"] / rates["go_v5"],
        }
    return result


def bench_env(args) -> int:
    """`goagent bench env --size N`: GoEnv steps/s vs PettingZoo's go_v5 (when installed)."""
    note = pin_to_one_core()
    result = measure_env(args.size, args.seconds, args.seed, baseline=not args.no_baseline)
    result["cpu"] = note
    if args.json:
        print(json.dumps(result))
        return 0
    rates, planes, step = result["steps_per_s"], result["planes_us"], result["step_us"]
    n = args.size
    print(f"env {n}x{n}: uniformly random legal actions, both colors, reset when done; one core ({note})")
    print(f"  goagent GoEnv, ladders on (default):  {rates['goagent']:>9,.0f} steps/s")
    print(f"  goagent GoEnv, ladders=False:         {rates['goagent_no_ladders']:>9,.0f} steps/s")
    if "go_v5" in rates:
        print(f"  PettingZoo go_v5:                     {rates['go_v5']:>9,.0f} steps/s")
        ratio = result["speedup_vs_go_v5"]
        on, off = ratio["ladders"], ratio["no_ladders"]
        print(f"  speedup vs go_v5:  {on:.1f}x (ladders on), {off:.1f}x (ladders off)")
    elif not args.no_baseline:
        print("  (go_v5 skipped: it needs pip install 'pettingzoo[classic]')")
    for key, label in (("ladders", "ladders on"), ("no_ladders", "ladders off")):
        print(
            f"  step, {label}: {step[key]:6.1f} us; the same planes from scratch "
            f"(features.encode): {planes[key]:6.1f} us"
        )
    return 0
