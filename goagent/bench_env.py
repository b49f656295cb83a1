"""`goagent bench env`: Gymnasium env steps/s against PettingZoo's go_v5, and where a step goes.

Every rate is a median of rounds timed in turn with the references of the
same run (``_time_interleaved``), so a load that comes and goes hits all
alike; ratios are the figures to quote.  Three measurements:

- ``measure_env``: ``gymnasium.make("goagent/Go-v0")`` (ladder planes on and
  off) and go_v5, uniformly random legal actions, both colors, reset when done;
- ``breakdown``: the same random games replayed inside one Numba loop with the
  parts of a step switched on one by one (play + superko set, the history
  buffer, the legal mask, the planes without groups, the liberty planes, the
  ladder planes), then the Python layers on top (the kernel call, ``GoEnv.step``,
  gymnasium.make's wrappers), in microseconds per step;
- ``measure_vector``: ``GoVectorEnv`` with N boards (actions drawn with numpy
  from the masks), against go_v5 and gymnasium's ``SyncVectorEnv`` over GoEnv.

Start reading at ``bench_env``.
"""

from __future__ import annotations

import random
import statistics
import time

import numpy as np
from numba import njit

from goagent import features
from goagent.board import _colors, _legal_mask, _play_action, position_set
from goagent.env_game import EnvGame
from goagent.features import _simple_planes
from goagent.fileio import dumps
from goagent.game import GameState
from goagent.ladders import context_views, new_context

_DEPTH = features.HISTORY
PARTS = ("play", "history", "legal mask", "planes", "liberties", "ladders")


def _goagent_env_round(size: int, ladders: bool, seed: int):
    """A ``run(steps)`` playing uniformly random legal actions in GoEnv (both colors; resets when done)."""
    import gymnasium

    import goagent.env  # noqa: F401  (registers the ids)

    env = gymnasium.make("goagent/Go-v0", size=size, ladders=ladders)
    return _env_round(env, seed)


def _env_round(env, seed: int):
    rng = random.Random(seed)
    state = {"info": env.reset(seed=seed)[1]}

    def run(steps: int) -> int:
        info = state["info"]
        for _ in range(steps):
            legal = info["action_mask"].nonzero()[0]
            _, _, terminated, truncated, info = env.step(legal[rng.randrange(len(legal))])
            if terminated or truncated:
                _, info = env.reset()
        state["info"] = info
        return steps

    return run


def _go_v5_round(size: int, seed: int):
    """The same loop on PettingZoo's classic go_v5 (None without ``pettingzoo[classic]``)."""
    try:
        from pettingzoo.classic import go_v5
    except ImportError:
        return None
    env = go_v5.env(board_size=size)
    env.reset(seed=seed)
    rng = random.Random(seed)

    def run(steps: int) -> int:
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


def _time_interleaved(runners: dict, seconds: float, steps: dict | int) -> dict:
    """Steps/s of each runner: rounds taken in turn (so load changes hit all alike)
    until each has run about ``seconds``; the median round of each."""
    per = steps if isinstance(steps, dict) else dict.fromkeys(runners, steps)
    rates = {name: [] for name in runners}
    spent = dict.fromkeys(runners, 0.0)
    while min(spent.values()) < seconds or min(len(r) for r in rates.values()) < 5:
        for name, run in runners.items():
            start = time.perf_counter()
            done = run(per[name])
            elapsed = time.perf_counter() - start
            spent[name] += elapsed
            rates[name].append(done / elapsed)
        if min(len(r) for r in rates.values()) >= 200:
            break
    return {name: statistics.median(r) for name, r in rates.items()}


def measure_env(size: int, seconds: float = 5.0, seed: int = 0, baseline: bool = True) -> dict:
    """Env steps/s with random legal actions: GoEnv with and without ladder planes, and go_v5."""
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
    rates = _time_interleaved(runners, seconds, max(100, 40_000 // size**2))
    result = {"size": size, "steps_per_s": rates}
    result["step_us"] = {"ladders": 1e6 / rates["goagent"], "no_ladders": 1e6 / rates["goagent_no_ladders"]}
    if "go_v5" in rates:
        result["speedup_vs_go_v5"] = {
            "ladders": rates["goagent"] / rates["go_v5"],
            "no_ladders": rates["goagent_no_ladders"] / rates["go_v5"],
        }
    return result


# --------------------------------------------------------------------------
# The per-part breakdown.
# --------------------------------------------------------------------------


@njit(cache=True)
def _replay(actions, starts, level, n, tmpl_fields, tmpl_meta, tmpl_seen, tmpl_mask, komi, arena):
    """Play the recorded games ``actions[starts[g]:starts[g + 1]]`` with the parts of a
    step up to ``level`` (an index into PARTS) switched on; returns a checksum."""
    fields = tmpl_fields.copy()
    meta = tmpl_meta.copy()
    seen = tmpl_seen.copy()
    mask = tmpl_mask.copy()
    buffer = np.zeros((2 * _DEPTH, n, n), np.int8)
    out = np.zeros((features.NUM_PLANES, n, n), np.float32)
    ctx = context_views(arena, n)
    total = 0.0
    for g in range(len(starts) - 1):
        fields[:] = tmpl_fields
        meta[:] = tmpl_meta
        seen[:] = tmpl_seen
        buffer[:] = 0
        t = _DEPTH
        color = 1
        for k in range(starts[g], starts[g + 1]):
            _play_action(fields, meta, actions[k], color, seen)
            color = 3 - color
            if level >= 1:
                if t == 0:
                    buffer[_DEPTH + 1 :] = buffer[: _DEPTH - 1]
                    t = _DEPTH + 1
                t -= 1
                _colors(fields, meta, buffer[t])
            if level >= 2:
                _legal_mask(fields, meta, color, seen, True, mask)
            if level == 3:
                _simple_planes(buffer[t : t + _DEPTH], color, komi, -1, mask, out)
            elif level >= 4:
                features.fill_planes(buffer[t : t + _DEPTH], color, komi, -1, mask, out, level >= 5, ctx)
            total += out[0, 0, 0] + mask[0]
    return total


def _record_games(size: int, steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random legal games (as the bench plays them, truncated at 2*n*n plies), as actions."""
    rng = random.Random(seed)
    actions, starts = [], [0]
    while len(actions) < steps:
        game = EnvGame(GameState(size, 7.5), ladders=False)
        for _ in range(2 * size * size):
            legal = game.mask.nonzero()[0]
            action = int(legal[rng.randrange(len(legal))])
            game.play(action, planes=False)
            actions.append(action)
            if game.passes >= 2:
                break
        starts.append(len(actions))
    return np.array(actions, np.int64), np.array(starts, np.int64)


def breakdown(size: int, seed: int = 0, steps: int = 20_000, repeat: int = 3) -> dict:
    """Microseconds per step of each part (see the module docstring), best of ``repeat``."""
    import gymnasium

    import goagent.env  # noqa: F401  (registers the ids)
    from goagent.env import GoEnv

    actions, starts = _record_games(size, steps, seed)
    start = EnvGame(GameState(size, 7.5), ladders=False)
    b, m = start.board.arrays()
    seen = position_set([GameState(size, 7.5).board.hash], 0, 2 * size * size + 2)
    args = (size, b, m, seen, start.mask, 7.5, new_context(size))
    cumulative = []
    for level in range(len(PARTS)):
        _replay(actions[:50], starts[:2], level, *args)  # compile or load
        best = min(_timed(lambda lv=level: _replay(actions, starts, lv, *args)) for _ in range(repeat))
        cumulative.append(1e6 * best / len(actions))
    parts = {name: cumulative[i] - (cumulative[i - 1] if i else 0.0) for i, name in enumerate(PARTS)}
    # The Python layers: EnvGame.play (one kernel call), GoEnv.step, gymnasium.make's wrappers.
    layers = {}
    layers["kernel call (EnvGame.play)"] = _per_step(lambda: _game_round(size, seed), actions)
    layers["GoEnv.step"] = _per_step(lambda: _env_round(GoEnv(size=size), seed), actions)
    made = lambda: _env_round(gymnasium.make("goagent/Go-v0", size=size), seed)  # noqa: E731
    layers["gymnasium.make wrappers"] = _per_step(made, actions)
    return {"size": size, "parts_us": parts, "kernel_us": cumulative[-1], "layers_us": layers}


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _game_round(size: int, seed: int):
    rng = random.Random(seed)
    state = {"game": EnvGame(GameState(size, 7.5), True), "plies": 0}

    def run(steps: int) -> int:
        game = state["game"]
        for _ in range(steps):
            legal = game.mask.nonzero()[0]
            game.play(int(legal[rng.randrange(len(legal))]))
            state["plies"] += 1
            if game.passes >= 2 or state["plies"] >= 2 * size * size:
                game, state["plies"] = EnvGame(GameState(size, 7.5), True), 0
        state["game"] = game
        return steps

    return run


def _per_step(make_round, actions) -> float:
    run = make_round()
    run(200)
    steps = min(len(actions), 5000)
    return min(1e6 * _timed(lambda: run(steps)) / steps for _ in range(3))


# --------------------------------------------------------------------------
# The vector env.
# --------------------------------------------------------------------------


def _vector_round(size: int, num_envs: int, ladders: bool, seed: int, sync: bool = False):
    """``run(steps)`` of a vector env: each step moves every board (returns board steps)."""
    import gymnasium

    import goagent.env  # noqa: F401  (registers the ids)

    mode = "sync" if sync else "vector_entry_point"
    env = gymnasium.make_vec(
        "goagent/Go-v0", num_envs=num_envs, vectorization_mode=mode, size=size, ladders=ladders
    )
    rng = np.random.default_rng(seed)
    state = {"info": env.reset(seed=seed)[1]}

    def run(steps: int) -> int:
        info = state["info"]
        for _ in range(steps):
            masks = info["action_mask"]
            _, _, _, _, info = env.step(np.argmax(rng.random(masks.shape) * masks, axis=1))
        state["info"] = info
        return steps * num_envs

    return run


def measure_vector(size: int, num_envs: int, seconds: float = 5.0, seed: int = 0, baseline: bool = True):
    """Board steps/s of GoVectorEnv (ladders on and off), SyncVectorEnv over GoEnv and go_v5."""
    features.warmup()
    runners = {
        "vector": _vector_round(size, num_envs, True, seed),
        "vector_no_ladders": _vector_round(size, num_envs, False, seed),
        "sync_vector": _vector_round(size, num_envs, True, seed, sync=True),
    }
    go_v5 = _go_v5_round(size, seed) if baseline else None
    if go_v5 is not None:
        runners["go_v5"] = go_v5
    steps = {name: 4 for name in runners}
    steps["sync_vector"] = 1
    if go_v5 is not None:
        steps["go_v5"] = max(100, 20_000 // size**2)
    for name, run in runners.items():
        run(steps[name])  # warm-up
    rates = _time_interleaved(runners, seconds, steps)
    result = {"size": size, "num_envs": num_envs, "steps_per_s": rates}
    result["speedup"] = {
        f"{name}_vs_{ref}": rates[name] / rates[ref]
        for name in ("vector", "vector_no_ladders")
        for ref in ("go_v5", "sync_vector")
        if ref in rates
    }
    return result


# --------------------------------------------------------------------------
# The command.
# --------------------------------------------------------------------------


def bench_env(args, pin) -> int:
    """`goagent bench env`: the measurements above, printed or as one JSON object;
    ``pin()`` (``goagent.bench.pin_to_one_core``) puts the process on one core first."""
    note = pin()
    baseline = not args.no_baseline
    if getattr(args, "vector", 0):
        result = measure_vector(args.size, args.vector, args.seconds, args.seed, baseline)
    else:
        result = measure_env(args.size, args.seconds, args.seed, baseline)
        if getattr(args, "breakdown", False):
            result["breakdown"] = breakdown(args.size, args.seed)
    result["cpu"] = note
    if args.json:
        print(dumps(result))
    elif "num_envs" in result:
        _print_vector(result, baseline)
    else:
        _print_single(result, baseline)
    return 0


def _print_single(result: dict, baseline: bool) -> None:
    rates, step, n = result["steps_per_s"], result["step_us"], result["size"]
    on, off = step["ladders"], step["no_ladders"]
    print(f"env {n}x{n}: random legal actions, both colors, reset when done; one core ({result['cpu']})")
    print(f"  goagent GoEnv, ladders on (default):  {rates['goagent']:>9,.0f} steps/s  {on:6.1f} us")
    print(
        f"  goagent GoEnv, ladders=False:         {rates['goagent_no_ladders']:>9,.0f} steps/s  {off:6.1f} us"
    )
    _print_go_v5(rates, baseline)
    if "speedup_vs_go_v5" in result:
        ratio = result["speedup_vs_go_v5"]
        print(f"  speedup vs go_v5:  {ratio['ladders']:.1f}x (ladders on), {ratio['no_ladders']:.1f}x (off)")
    if "breakdown" in result:
        parts = result["breakdown"]
        print("  a step, part by part (us; the same random games replayed in one Numba loop):")
        for name, us in parts["parts_us"].items():
            print(f"    {name:<12} {us:7.2f}")
        print(f"    {'all kernels':<12} {parts['kernel_us']:7.2f}")
        print("  and with the Python layers on top (us per step, ladders on, cumulative):")
        for name, us in parts["layers_us"].items():
            print(f"    {name:<27} {us:7.2f}")


def _print_go_v5(rates: dict, baseline: bool) -> None:
    if "go_v5" in rates:
        print(f"  PettingZoo go_v5:                     {rates['go_v5']:>9,.0f} steps/s")
    elif baseline:
        print("  (go_v5 skipped: it needs pip install 'pettingzoo[classic]')")


def _print_vector(result: dict, baseline: bool) -> None:
    rates, n, count = result["steps_per_s"], result["size"], result["num_envs"]
    print(
        f"vector env {n}x{n}, {count} boards: random legal actions, both colors; one core ({result['cpu']})"
    )
    print(f"  GoVectorEnv, ladders on:              {rates['vector']:>9,.0f} board steps/s")
    print(f"  GoVectorEnv, ladders=False:           {rates['vector_no_ladders']:>9,.0f} board steps/s")
    print(f"  SyncVectorEnv over GoEnv, ladders on: {rates['sync_vector']:>9,.0f} board steps/s")
    _print_go_v5(rates, baseline)
    for key, ratio in result["speedup"].items():
        print(f"  {key.replace('_vs_', ' vs '):<36} {ratio:6.1f}x")
