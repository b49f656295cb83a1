"""Fuzz: thousands of random and malformed lines, one response each, no crash.

The engine runs as a subprocess (fast settings: random playouts, 2 visits,
small boards) in a temporary folder (``printsgf FILE`` writes there).
"""

from __future__ import annotations

import random
import re
import subprocess

from test_subprocess import goagent_command

COMMANDS = [
    "protocol_version", "name", "version", "known_command", "list_commands", "boardsize", "clear_board",
    "komi", "play", "genmove", "undo", "showboard", "fixed_handicap", "place_free_handicap",
    "set_free_handicap", "loadsgf", "printsgf", "final_score", "final_status_list", "time_settings",
    "time_left", "kgs-time_settings", "kgs-genmove_cleanup", "lz-analyze", "kata-analyze",
    "lz-genmove_analyze", "kata-genmove_analyze", "gogui-analyze_commands", "goagent-policy_heatmap",
    "goagent-value_ownership", "stop", "PLAY", "Genmove", "frobnicate", "-", "=", "?", "=1", "?2",
]  # fmt: skip
# Numbers stay small: a time setting of minutes would make every later genmove think for seconds.
TOKENS = [
    "b", "w", "B", "W", "black", "white", "x", "pass", "PASS", "resign", "a1", "A1", "e5", "C3", "b2",
    "T19", "z9", "i3", "a0", "a", "11", "0", "1", "2", "3", "5", "7", "-1", "1.5", "nan", "inf", "1e9",
    "true", "false", "interval", "ownership", "minmoves", "maxmoves", "avoid", "allow", "dead", "alive",
    "seki", "none", "absolute", "byoyomi", "canadian", "\u00e9", "\ufffd", "\u00a0", "''", '""', ",",
]  # fmt: skip
VERTICES = [f"{c}{r}" for c in "ABCDEFGHJ" for r in range(1, 10)] + ["pass"]
PLAUSIBLE = {  # well-formed arguments, so that games really get played, undone, analysed, scored
    "play": lambda r: [r.choice("bw"), r.choice(VERTICES)],
    "genmove": lambda r: [r.choice("bw")],
    "kgs-genmove_cleanup": lambda r: [r.choice("bw")],
    "boardsize": lambda r: [r.choice("235779")],
    "komi": lambda r: [r.choice(["0.5", "7.5", "-3"])],
    "undo": lambda r: [],
    "clear_board": lambda r: [],
    "showboard": lambda r: [],
    "printsgf": lambda r: [],
    "final_score": lambda r: [],
    "final_status_list": lambda r: [r.choice(["dead", "alive", "seki"])],
    "fixed_handicap": lambda r: [r.choice("2349")],
    "place_free_handicap": lambda r: [r.choice("2356")],
    "set_free_handicap": lambda r: r.sample(VERTICES[:-1], r.randint(1, 4)),
    "lz-analyze": lambda r: [r.choice("bw"), "1"],
    "kata-analyze": lambda r: [r.choice("bw"), "1", "ownership", r.choice(["true", "false"])],
    "lz-genmove_analyze": lambda r: [r.choice("bw"), "1"],
    "kata-genmove_analyze": lambda r: [r.choice("bw"), "1"],
    "goagent-policy_heatmap": lambda r: [r.choice("bw")],
    "goagent-value_ownership": lambda r: [],
}
CONTROL = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\r", "\x1b", "\x7f", "\t"]


def random_line(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.3:
        name = rng.choice(sorted(PLAUSIBLE))
        return " ".join([name, *PLAUSIBLE[name](rng)]).encode()
    if kind < 0.62:
        words = [rng.choice(COMMANDS)] + [rng.choice(TOKENS) for _ in range(rng.randint(0, 4))]
        if rng.random() < 0.2:
            words.insert(0, str(rng.randint(0, 999)))
        sep = rng.choice([" ", "  ", "\t", " \t "])
        text = sep.join(words)
        if rng.random() < 0.1:
            text += " # " + rng.choice(TOKENS)
        return text.encode("utf-8")
    if kind < 0.70:
        return bytes(
            rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 -_=?#.") for _ in range(rng.randint(1, 40))
        )
    if kind < 0.78:
        return bytes(rng.choice([b for b in range(256) if b != 10]) for _ in range(rng.randint(1, 30)))
    if kind < 0.84:
        return rng.choice([b"", b" ", b"\t", b"  \t  ", b"\r"])
    if kind < 0.89:
        return ("#" + "".join(rng.choice(TOKENS) for _ in range(3))).encode()
    if kind < 0.92:
        return ("x" * rng.randint(1000, 20000)).encode()
    text = rng.choice(COMMANDS) + " " + rng.choice(TOKENS)
    at = rng.randint(0, len(text))
    return (text[:at] + rng.choice(CONTROL) + text[at:]).encode()


def expected_id(raw: bytes) -> tuple[bool, int | None]:
    """(does the line get a response, its id), by the spec's preprocessing rules."""
    text = raw.decode("utf-8", "replace").replace("\t", " ")
    text = "".join(ch for ch in text if not (ord(ch) < 32 or ord(ch) == 127))
    text = text.split("#", 1)[0].strip()
    if not text:
        return False, None
    first = text.split()[0]
    return True, int(first) if first.isascii() and first.isdigit() else None


def responses(stdout: str) -> list[tuple[str, int | None, list[str]]]:
    found, current = [], None
    for line in stdout.split("\n"):
        if current is None:
            if line == "":
                continue
            match = re.match(r"^([=?])(\d*)", line)
            assert match, f"stray output line: {line[:80]!r}"
            current = (match.group(1), int(match.group(2)) if match.group(2) else None, [line])
        elif line == "":
            found.append(current)
            current = None
        else:
            current[2].append(line)
    assert current is None
    return found


def test_fuzz_every_line_gets_exactly_one_response(tmp_path):
    rng = random.Random(20240607)
    lines = [b"boardsize 5"] + [random_line(rng) for _ in range(3000)]
    data = b"\n".join(lines) + b"\nquit\n"
    engine = [*goagent_command(), "gtp", "--model", "playouts", "--visits", "2"]
    result = subprocess.run(engine, input=data, capture_output=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    got = responses(result.stdout.decode("utf-8"))
    want = [expected_id(raw) for raw in [*lines, b"quit"]]
    want_ids = [command_id for answered, command_id in want if answered]
    assert len(got) == len(want_ids)
    assert [command_id for _, command_id, _ in got] == want_ids
    internal = [r for r in got if r[0] == "?" and "internal error" in r[2][0]]
    assert not internal, internal[:3]
    assert sum(1 for r in got if r[0] == "=") > 1000  # plenty of valid commands went through
