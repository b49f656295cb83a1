"""`goagent bench analyze`: a long ``kata-analyze`` as a GUI runs it, with the engine's memory.

Starts ``goagent gtp`` as a subprocess (as Sabaki or Lizzie do), loads a
19x19 middle-game position from a KGS record (``bench mcts --kgs``'s), sends
``kata-analyze`` with an update every ``--interval`` seconds and reads the
stream for ``--minutes``, sampling the engine's RSS (``/proc/PID/status``)
at each update.  Then it stops the analysis as a GUI does (the next command)
and checks that the engine answers it.  Reports the updates, the root's
visits over time (do they keep growing?) and the peak RSS; ``--plot PNG``
draws both against time.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

from goagent.fileio import dumps


def root_visits(line: str) -> int:
    """The visits of one ``kata-analyze`` update: the sum over its moves."""
    words = line.split()
    return sum(int(words[i + 1]) for i, word in enumerate(words[:-1]) if word == "visits")


def _position_sgf(kgs: Path, seed: int) -> tuple[bytes, int]:
    """A KGS middle-game position as SGF, and its move number."""
    from goagent.bench_search import kgs_positions
    from goagent.sgf import record_from_state, write_sgf

    positions = kgs_positions(kgs, 1, seed)
    if not positions:
        raise SystemExit(f"bench analyze: no 19x19 KGS records in {kgs} (give --kgs DIR)")
    return write_sgf(record_from_state(positions[0])), positions[0].move_number


def run(args) -> dict:
    from goagent.bench_search import KGS_DEFAULT, rss
    from goagent.gtp_client import GtpProcess

    engine = [sys.executable, "-m", "goagent.cli", "gtp", *shlex.split(args.engine_args)]
    sgf, moves = _position_sgf(Path(args.kgs) if args.kgs else KGS_DEFAULT, args.seed)
    samples: list[tuple[float, int, int]] = []  # (seconds, visits, rss)
    process = GtpProcess(engine)
    pid = process.proc.pid
    try:
        with tempfile.NamedTemporaryFile(suffix=".sgf") as handle:
            handle.write(sgf)
            handle.flush()
            process.ask(f"loadsgf {handle.name}", timeout=120)
        started = time.monotonic()
        process.write(f"kata-analyze {max(1, round(args.interval * 100))}")
        first = process.reader.get(timeout=300) if process.reader.wait(300) else None  # "=" first
        if first is None or not first.startswith("="):
            raise SystemExit(f"bench analyze: kata-analyze was refused: {first!r}")
        deadline = started + args.minutes * 60
        while time.monotonic() < deadline:
            if not process.reader.wait(max(0.1, deadline - time.monotonic())):
                continue
            line = process.reader.get()
            if line is None:
                raise SystemExit("bench analyze: the engine ended its output during the analysis")
            if line.startswith("info"):
                samples.append((time.monotonic() - started, root_visits(line), rss(pid)))
        process.write("name")  # a GUI's next command stops the analysis
        tail = []
        while process.reader.wait(30):
            line = process.reader.get()
            if line is None:
                break
            tail.append(line.strip())
            if line.startswith("= "):
                break
        stopped = bool(tail) and tail[-1].startswith("= ")
    finally:
        process.quit()
    return _summary(samples, stopped, moves, args)


def _summary(samples, stopped: bool, moves: int, args) -> dict:
    visits = [v for _, v, _ in samples]
    per_minute = []
    for minute in range(int(args.minutes)):
        inside = [v for t, v, _ in samples if minute * 60 <= t < (minute + 1) * 60]
        per_minute.append(inside[-1] if inside else None)
    gaps = [b[0] - a[0] for a, b in zip(samples, samples[1:])]
    return {
        "engine_args": args.engine_args,
        "position_moves": moves,
        "minutes": args.minutes,
        "updates": len(samples),
        "longest_gap_s": max(gaps) if gaps else None,
        "visits_last": visits[-1] if visits else 0,
        "visits_by_minute": per_minute,
        "visits_never_fell": all(b >= a for a, b in zip(visits, visits[1:])),
        "grew_every_minute": all(
            b is not None and a is not None and b > a for a, b in zip(per_minute, per_minute[1:])
        ),
        "rss_first_mb": samples[0][2] / 2**20 if samples else 0,
        "rss_peak_mb": max(r for _, _, r in samples) / 2**20 if samples else 0,
        "stopped_by_next_command": stopped,
        "samples": samples,
    }


def plot(result: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [s[0] / 60 for s in result["samples"]]
    fig, left = plt.subplots(figsize=(8, 4))
    left.plot(t, [s[1] for s in result["samples"]], color="tab:blue")
    left.set_xlabel("minutes of kata-analyze")
    left.set_ylabel("root visits", color="tab:blue")
    right = left.twinx()
    right.plot(t, [s[2] / 2**20 for s in result["samples"]], color="tab:red")
    right.set_ylabel("engine RSS (MB)", color="tab:red")
    right.set_ylim(bottom=0)
    left.set_ylim(bottom=0)
    left.set_title(f"kata-analyze on a 19x19 KGS middle game (goagent gtp {result['engine_args']})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(args) -> int:
    result = run(args)
    if args.plot:
        plot(result, args.plot)
    if args.json:
        print(dumps({k: v for k, v in result.items() if k != "samples"}))
        return 0
    print(f"kata-analyze, 19x19 KGS middle game (move {result['position_moves']}), {args.minutes:g} min")
    print(f"  engine: goagent gtp {args.engine_args}  (pid RSS sampled at each update)")
    print(f"  updates: {result['updates']}, longest gap {result['longest_gap_s'] or 0:.1f} s")
    print(f"  root visits by minute: {result['visits_by_minute']}")
    fell, grew = result["visits_never_fell"], result["grew_every_minute"]
    print(f"  visits never fell: {fell}; grew every minute: {grew}")
    print(f"  RSS: {result['rss_first_mb']:.0f} MB at the first update, peak {result['rss_peak_mb']:.0f} MB")
    print(f"  the next command stopped it and was answered: {result['stopped_by_next_command']}")
    if args.plot:
        print(f"  plot: {os.path.abspath(args.plot)}")
    return 0
