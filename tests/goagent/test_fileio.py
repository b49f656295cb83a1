"""Atomic writes, appended JSON lines and strict JSON (goagent.fileio)."""

import json
import math

import numpy as np
import pytest

from goagent.fileio import append_jsonl, atomic_write, dumps, write_json


def strict(text):
    return json.loads(text, parse_constant=lambda name: pytest.fail(f"non-strict JSON constant {name}"))


def test_non_finite_numbers_become_null():
    data = {"elo": math.inf, "low": -math.inf, "x": [math.nan, 1.5, np.float32(np.inf)], "n": np.int64(3)}
    assert strict(dumps(data)) == {"elo": None, "low": None, "x": [None, 1.5, None], "n": 3}


def test_write_json_replaces_whole_files(tmp_path):
    path = tmp_path / "sub" / "state.json"
    write_json(path, {"a": 1})
    write_json(path, {"a": math.inf})
    assert strict(path.read_text()) == {"a": None}
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no temporary left


def test_a_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "model.pt"
    atomic_write(path, b"old")

    def broken(handle):
        handle.write(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(path, broken)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_append_jsonl_adds_strict_lines(tmp_path):
    path = tmp_path / "metrics.jsonl"
    append_jsonl(path, {"step": 1, "loss": math.nan})
    append_jsonl(path, {"step": 2, "loss": 0.5})
    assert [strict(line) for line in path.read_text().splitlines()] == [
        {"step": 1, "loss": None},
        {"step": 2, "loss": 0.5},
    ]
