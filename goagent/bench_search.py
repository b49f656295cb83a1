"""`goagent bench mcts`: visits/s of the search, its batch size and where the time goes.

Three measurements:

- a game's opening: the first ``--moves`` moves of a game, ``--visits``
  visits each, with tree reuse (the default);
- ``--kgs [DIR]``: ``--moves`` middle-game positions (moves 80-180) from
  the KGS records in DIR (default ``../shared/data/kgs-6d`` from a source
  checkout), one fresh search each, as analysis sees them; 19x19 only;
- ``--memory``: one search of ``--visits`` visits of the first such position
  (else the empty board), reporting the tree's bytes per expanded node, as
  the arena's bytes in use and as the growth of the process's RSS.

With a network, "forward pass" is the network's own time; the search
overhead is the rest of the wall time (tree, leaves, planes, masking).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from goagent.fileio import dumps

KGS_DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "kgs-6d"
MIDDLE_GAME = (80, 180)  # move numbers of the positions drawn from KGS records


def kgs_positions(folder: Path, count: int, seed: int) -> list:
    """``count`` middle-game positions, one per game, from the KGS archives in ``folder``."""
    import numpy as np

    from goagent.sgf import SGFError, read_records

    rng = np.random.default_rng(seed)
    positions = []
    skipped: list = []
    for record in read_records([str(p) for p in sorted(folder.glob("*.tar.gz"))[:1]], skipped):
        if record.size != 19 or len(record.moves) < MIDDLE_GAME[1] or record.handicap:
            continue
        try:
            positions.append(record.to_state(int(rng.integers(*MIDDLE_GAME))))
        except SGFError:
            continue
        if len(positions) >= count:
            break
    return positions


def rss(pid: int | str = "self") -> int:
    """Resident bytes of process ``pid`` (this one by default; 0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _evaluator(model: str, size: int, seed: int, playouts: int, precision: str = "fp32", device: str = "cpu"):
    from goagent.inference import load_evaluator
    from goagent.mcts import evaluator_for

    evaluator = load_evaluator(model, seed=seed, playouts=playouts, precision=precision, device=device)
    return evaluator_for(evaluator, size)  # `default`: time the network that plays this size


def bench_mcts(
    model: str,
    size: int,
    visits: int,
    batch: int,
    moves: int,
    seed: int = 0,
    playouts: int = 2,
    positions=None,
    precision: str = "fp32",
    device: str = "cpu",
) -> dict:
    """Visits/s of the full search (tree + evaluator) over a game's first ``moves`` moves,
    or over ``positions`` (one fresh search each) when given."""
    from goagent.game import GameState
    from goagent.mcts import Search, SearchConfig

    evaluator = _evaluator(model, size, seed, playouts, precision, device)
    config = SearchConfig(batch_size=batch)
    Search(GameState(size), evaluator, config, seed).run(visits=2 * batch)  # JIT and allocator warm-up
    if hasattr(evaluator, "forward_seconds"):
        evaluator.forward_seconds = 0.0
    total_visits, wall, leaves, batches, eval_seconds = 0, 0.0, 0, 0, 0.0
    searches = []
    if positions is None:
        state = GameState(size)
        search = Search(state, evaluator, config, seed)
        for _ in range(moves):
            before = search.root.visits
            start = time.perf_counter()
            result = search.run(visits=visits)
            wall += time.perf_counter() - start
            total_visits += result.visits - before
            state.play(result.best.action)
            search.advance(state)
        searches.append(search)
    else:
        for state in positions:
            search = Search(state, evaluator, config, seed)
            start = time.perf_counter()
            result = search.run(visits=visits)
            wall += time.perf_counter() - start
            total_visits += result.visits
            searches.append(search)
    for search in searches:
        leaves += search.stats["leaves"]
        batches += search.stats["batches"]
        eval_seconds += search.stats["eval_seconds"]
    forward = getattr(evaluator, "forward_seconds", None)
    out = {
        "model": model,
        "size": size,
        "positions": "kgs middle game" if positions is not None else "opening, tree reuse",
        "visits_per_move": visits,
        "moves": moves if positions is None else len(positions),
        "visits_per_s": total_visits / wall,
        "avg_batch": leaves / max(1, batches),
        "evaluator_share": eval_seconds / wall,
    }
    if forward is not None:
        out["forward_share"] = forward / wall
        out["search_overhead_share"] = 1.0 - forward / wall
    else:
        out["playouts_per_leaf"] = playouts
        out["playouts_per_s"] = out["visits_per_s"] * playouts
    return out


def bench_memory(model: str, size: int, visits: int, batch: int, seed: int, playouts: int, state) -> dict:
    """Bytes per expanded node after one search of ``visits`` visits of ``state``."""
    import numpy as np

    from goagent.game import GameState
    from goagent.mcts import Search, SearchConfig
    from goagent.search import tree as T

    evaluator = _evaluator(model, size, seed, playouts)
    config = SearchConfig(batch_size=batch)
    Search(GameState(size), evaluator, config, seed).run(visits=2 * batch)
    before = rss()
    search = Search(state, evaluator, config, seed)
    start = time.perf_counter()
    result = search.run(visits=visits)
    seconds = time.perf_counter() - start
    grown = rss() - before
    nodes = search.node_count
    expanded = int(np.count_nonzero(search.ni[T.STATE, :nodes] == T.EXPANDED))
    used, budget = search.memory_use()
    return {
        "model": model,
        "size": size,
        "visits": result.visits,
        "seconds": seconds,
        "nodes": nodes,
        "expanded_nodes": expanded,
        "edges": int(search.counts[T.ECOUNT]),
        "arena_bytes": search.tree_bytes,
        "arena_bytes_per_expanded_node": search.tree_bytes / max(1, expanded),
        "rss_growth_bytes": grown,
        "rss_bytes_per_expanded_node": grown / max(1, expanded),
        "budget_bytes_in_use": used,
        "budget_bytes": budget,
    }


def _pin_to_one_core() -> None:
    """The network-free search is single-threaded: measure it on one CPU."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def main_mcts(args) -> int:
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.model == "playouts":
        _pin_to_one_core()
    positions = None
    if args.kgs is not None or args.memory:
        folder = Path(args.kgs) if args.kgs else KGS_DEFAULT
        if args.size != 19:
            if args.kgs is not None:
                print("bench mcts --kgs: the KGS records are 19x19; give --size 19")
                return 2
        elif not folder.is_dir() or not any(folder.glob("*.tar.gz")):
            print(f"bench mcts: no KGS archives (*.tar.gz) in {folder}: skipping the KGS positions")
            if not args.memory:
                return 0
        else:
            positions = kgs_positions(folder, max(1, args.moves), args.seed)
    if args.memory:
        from goagent.game import GameState

        state = positions[0] if positions else GameState(args.size)
        result = bench_memory(args.model, args.size, args.visits, args.batch, args.seed, args.playouts, state)
        result["position"] = "kgs middle game" if positions else "empty board"
        if args.json:
            print(dumps(result))
            return 0
        print(f"search memory {args.size}x{args.size}, {result['position']}, {result['visits']:,} visits")
        print(f"  nodes:           {result['nodes']:10,} ({result['expanded_nodes']:,} expanded)")
        for label, total, per in (
            ("arena", result["arena_bytes"], result["arena_bytes_per_expanded_node"]),
            ("RSS growth", result["rss_growth_bytes"], result["rss_bytes_per_expanded_node"]),
        ):
            print(f"  {label + ':':16} {total / 1e6:10.1f} MB ({per:,.0f} bytes per expanded node)")
        return 0
    result = bench_mcts(
        args.model,
        args.size,
        args.visits,
        args.batch,
        args.moves,
        args.seed,
        args.playouts,
        positions,
        precision=args.precision,
        device=args.device,
    )
    if args.json:
        print(dumps(result))
        return 0
    print(
        f"mcts {args.size}x{args.size}, model {args.model}, {args.visits} visits/move over "
        f"{result['moves']} moves ({result['positions']})"
    )
    print(f"  visits/s:        {result['visits_per_s']:10,.0f}")
    print(f"  average batch:   {result['avg_batch']:10.1f}")
    if "forward_share" in result:
        print(f"  forward pass:    {100 * result['forward_share']:9.1f}% of wall time")
        overhead = 100 * result["search_overhead_share"]
        print(f"  search overhead: {overhead:9.1f}% (everything but the forward pass)")
    else:
        per_leaf = result["playouts_per_leaf"]
        print(f"  playouts/s:      {result['playouts_per_s']:10,.0f} ({per_leaf} per leaf, one core)")
    return 0
