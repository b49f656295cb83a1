"""Training examples: one format for SGF records and self-play games, one target builder.

An examples file (``.npz``, ``EXAMPLE_FORMAT_VERSION``) holds whole games in
a compact position encoding:

- per position: ``boards`` int8[P, n*n] (the stones *before* the move),
  ``moves`` int16[P] (the move played), ``to_play`` int8[P], ``ko`` int16[P]
  (the simple-ko point, -1 for none), ``game`` int32[P]; self-play games add
  ``visits`` float32[P, n*n+1] (the search's visit distribution: the policy
  target) and ``full`` bool[P] (a full search: only those are policy targets);
- per game: ``komi`` (effective, handicap bonus included), ``handicap``,
  ``winner`` (BLACK/WHITE, 0 if unknown or a draw), ``score``
  (black-minus-white margin when the game was counted, else NaN),
  ``ownership`` int8[G, n*n] (the final owner for counted games, else all 0),
  ``sources`` (names), and whatever per-game notes the writer adds (self-play:
  ``resign_checked``, ``false_resign``).

`goagent sl prepare SOURCES... --out DIR` reads SGF files, folders and
archives, filters games, replays each on ``GameState`` (every move checked),
and writes ``train-NNNN.npz`` / ``val-NNNN.npz`` shards of many games; a
self-play worker writes one file per game (``game_examples`` +
``write_examples``).  ``PositionTable`` reads either source and builds the
training batches: feature planes rebuilt from the boards
(``goagent.features``; a position's history is the rows before it in the
same game), a random symmetry per position, and targets from the side to
move's view.  Games go to ``train`` or ``val`` by a hash of their source
name without its folder (``split_key``), so the split is by game and the
same on every run and on every machine, wherever the corpus lies.  Start
reading at ``prepare``.
"""

from __future__ import annotations

import logging
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from multiprocessing import Pool

import numpy as np

from goagent.coords import BLACK, WHITE
from goagent.fileio import atomic_write, write_json
from goagent.final_ownership import final_ownership, markup
from goagent.rules import record_rules
from goagent.sgf import ARCHIVE_SUFFIXES, GameRecord, SGFError, iter_sources, read_sgf

log = logging.getLogger(__name__)

# 2: one format for SL shards and self-play games (self-play files of format 1 had
# their own layout, converted by `goagent selfplay convert RUN`).  SL shards of
# format 1 are format 2 without the self-play columns, and are read as they are.
EXAMPLE_FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)
# The columns of an examples file: per position, a search's (self-play only), per game.
_PER_POSITION = ("boards", "moves", "to_play", "ko")
_SEARCH_COLUMNS = ("visits", "full")
_TABLE_PER_GAME = ("komi", "handicap", "winner", "score", "ownership")  # what a PositionTable reads
_PER_GAME = (*_TABLE_PER_GAME, "source")
_PER_GAME_TYPES = {"komi": np.float32, "handicap": np.int8, "winner": np.int8, "score": np.float32}
_RANK = re.compile(r"^\s*(\d+)\s*([kdp])", re.IGNORECASE)


@dataclass(frozen=True)
class PrepareFilter:
    """Which games to keep."""

    board_size: int = 19
    max_handicap: int = 9
    min_rank: str = ""  # e.g. "6d": both players at least this strong ("" = any)
    min_moves: int = 20
    val_percent: float = 2.0  # share of games held out for validation


def rank_value(rank: str) -> float | None:
    """Order ranks: 30k..1k -> -29..0, 1d..9d -> 1..9, pros above 9d. None if unreadable."""
    match = _RANK.match(rank or "")
    if not match:
        return None
    number, kind = int(match.group(1)), match.group(2).lower()
    if kind == "k":
        return 1.0 - number
    if kind == "d":
        return float(number)
    return 9.5 + number / 10  # 'p': professionals rank above amateur 9d


def split_key(source: str) -> str:
    """The part of a source name that names the game wherever the corpus lies.

    ``/any/folder/KGS-2001.tar.gz:KGS2001/a.sgf`` -> ``KGS-2001.tar.gz:KGS2001/a.sgf``
    (archive file name and member), ``/any/folder/a.sgf`` -> ``a.sgf``.
    """
    lowered = source.lower()
    for suffix in ARCHIVE_SUFFIXES:
        at = lowered.find(suffix + ":")
        if at >= 0:
            archive_end = at + len(suffix)
            return os.path.basename(source[:archive_end]) + source[archive_end:]
    return os.path.basename(source)


def is_validation(source: str, val_percent: float) -> bool:
    """Deterministic by-game split from the record's source name (see ``split_key``)."""
    return (zlib.crc32(split_key(source).encode()) % 10_000) < val_percent * 100


def _skip_reason(record: GameRecord, flt: PrepareFilter) -> str | None:
    if record.size != flt.board_size:
        return f"board size {record.size}"
    if record.handicap > flt.max_handicap:
        return "handicap too large"
    if flt.min_rank:
        need = rank_value(flt.min_rank)
        ranks = (rank_value(record.black_rank), rank_value(record.white_rank))
        if any(r is None or r < need for r in ranks):
            return "rank below minimum"
    if len(record.moves) < flt.min_moves:
        return "too short"
    return None


def game_examples(
    positions: list[tuple[np.ndarray, int, int, int]],
    state,
    source: str,
    counted: bool,
    winner: int,
    score: float,
    visits: list[np.ndarray] | None = None,
    full: list[bool] | None = None,
) -> dict:
    """One game as examples: ``positions`` holds ``(board before the move, move,
    colour, ko point)`` per move; ``state`` is the final position (its ownership
    is the target of a counted game); ``score`` is Black's margin (NaN if not
    counted).  ``visits``/``full``: a search's visit distributions (self-play)."""
    n = state.size
    count = len(positions)
    game = {
        "boards": np.array([p[0] for p in positions], np.int8).reshape(count, n * n),  # (P, n*n) if empty
        "moves": np.array([p[1] for p in positions], np.int16),
        "to_play": np.array([p[2] for p in positions], np.int8),
        "ko": np.array([p[3] for p in positions], np.int16),
        "komi": float(state.effective_komi),
        "handicap": state.handicap,
        "winner": winner,
        "score": score if counted else float("nan"),
        "ownership": state.ownership() if counted else np.zeros(n * n, np.int8),
        "source": source,
    }
    if visits is not None:
        game["visits"] = np.array(visits, np.float32).reshape(count, n * n + 1)
        game["full"] = np.array(full, np.bool_)
    return game


def position_before(state, action: int, color: int) -> tuple[np.ndarray, int, int, int]:
    """The example row of a move about to be played on ``state``."""
    return state.board.to_array().reshape(-1), action, color, state.board.ko_point(color)


def replay_positions(record: GameRecord) -> tuple[list, object]:
    """The example rows of a record's moves (``position_before`` each) and its final
    ``GameState``; raises SGFError on an illegal move."""
    state = record.to_state(0)
    positions = []
    for i, move in enumerate(record.moves):
        positions.append(position_before(state, move.action, move.color))
        try:
            state.play(move.action, move.color)
        except ValueError as err:
            raise SGFError(f"{record.source}: move {i + 1} is illegal: {err}") from None
    return positions, state


def replay_game(record: GameRecord, marks=None) -> dict:
    """Replay a record, returning its examples (raises SGFError on an illegal move).

    A counted game's ownership target has its dead stones off
    (``goagent.final_ownership``; ``marks``: the record's TB/TW markup, if any), and
    the game notes how they were found (``ownership_label``)."""
    positions, state = replay_positions(record)
    margin = record.score
    counted = margin is not None and margin != 0 and not record.result.upper().endswith(("R", "T", "F"))
    game = game_examples(positions, state, record.source, counted, record.winner or 0, margin or 0.0)
    if counted:
        scored = state.copy()
        scored.set_rules(record_rules(record.rules))
        game["ownership"], game["ownership_label"] = final_ownership(scored, margin, marks)
    return game


def _process(item: tuple[str, bytes, PrepareFilter]) -> tuple[str, dict | None, str | None]:
    """Worker: parse, filter and replay one SGF; returns (name, game, skip reason)."""
    name, data, flt = item
    try:
        record = read_sgf(data, name)
        reason = _skip_reason(record, flt)
        if reason:
            return name, None, reason
        marks = markup(data, record.size) if b"TB[" in data or b"TW[" in data else None
        return name, replay_game(record, marks), None
    except SGFError as err:
        text = str(err)
        return name, None, "illegal move" if "illegal" in text else "unreadable SGF"


class ShardWriter:
    """Collects games and writes ``<prefix>-<k>.npz`` shards of about ``positions`` positions."""

    def __init__(self, folder: str, prefix: str, size: int, positions: int = 250_000):
        self.folder, self.prefix, self.size, self.target = folder, prefix, size, positions
        self.games: list[dict] = []
        self.pending = 0
        self.shards = 0
        self.total_positions = 0
        self.total_games = 0

    def add(self, game: dict) -> None:
        self.games.append(game)
        self.pending += len(game["moves"])
        if self.pending >= self.target:
            self.flush()

    def flush(self) -> None:
        if not self.games:
            return
        path = os.path.join(self.folder, f"{self.prefix}-{self.shards:04d}.npz")
        write_examples(path, self.games, self.size)  # atomic: never half a shard
        self.shards += 1
        self.total_positions += sum(len(g["moves"]) for g in self.games)
        self.total_games += len(self.games)
        self.games, self.pending = [], 0


def pack_games(games: list[dict], size: int, notes: dict | None = None) -> dict[str, np.ndarray]:
    """Games from ``game_examples`` as the arrays of one examples file; ``notes``:
    extra per-game arrays (one value per game) kept as they are."""
    lengths = np.array([len(g["moves"]) for g in games], np.int64)
    arrays = {
        "format_version": np.array(EXAMPLE_FORMAT_VERSION),
        "size": np.array(size),
        "game": np.repeat(np.arange(len(games), dtype=np.int32), lengths),
        "game_start": np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64),
    }
    for key in _PER_POSITION + _SEARCH_COLUMNS:
        if key in games[0]:
            arrays[key] = np.concatenate([g[key] for g in games])
    for key in _PER_GAME:
        values = [g[key] for g in games]
        if key == "ownership":
            arrays[key] = np.stack(values)
        elif key == "source":
            arrays["sources"] = np.array(values)
        else:
            arrays[key] = np.array(values, _PER_GAME_TYPES[key])
    for key, values in (notes or {}).items():
        arrays[key] = np.asarray(values)
    return arrays


def write_examples(path: str, games: list[dict], size: int, notes: dict | None = None) -> None:
    """Write games as one examples file, atomically."""
    arrays = pack_games(games, size, notes)
    atomic_write(path, lambda handle: np.savez_compressed(handle, **arrays))


def prepare(
    sources: Iterable[str],
    out: str,
    flt: PrepareFilter = PrepareFilter(),
    workers: int | None = None,
    shard_positions: int = 250_000,
    progress: bool = True,
) -> dict:
    """Convert SGF sources into train/val shards in ``out``; returns a summary dict."""
    from tqdm import tqdm

    os.makedirs(out, exist_ok=True)
    writers = {
        "train": ShardWriter(out, "train", flt.board_size, shard_positions),
        "val": ShardWriter(out, "val", flt.board_size, shard_positions),
    }
    skipped: Counter[str] = Counter()
    labels: Counter[str] = Counter()  # how counted games' dead stones were found
    examples: dict[str, str] = {}
    items = ((name, data, flt) for name, data in iter_sources(sources))
    workers = workers or os.cpu_count() or 1
    with Pool(workers) as pool, tqdm(desc="games", unit=" games", disable=not progress) as bar:
        for name, game, reason in pool.imap(_process, items, chunksize=16):
            bar.update()
            if reason:
                skipped[reason] += 1
                examples.setdefault(reason, name)
                continue
            split = "val" if is_validation(name, flt.val_percent) else "train"
            writers[split].add(game)
            if "ownership_label" in game:
                labels[game["ownership_label"]] += 1
    for writer in writers.values():
        writer.flush()
    summary = {
        "format_version": EXAMPLE_FORMAT_VERSION,
        "filter": asdict(flt),
        "sources": list(sources) if isinstance(sources, list) else None,
        "games": {split: w.total_games for split, w in writers.items()},
        "positions": {split: w.total_positions for split, w in writers.items()},
        "shards": {split: w.shards for split, w in writers.items()},
        "skipped": dict(skipped),
        "dead_stones": dict(labels),
        "skipped_examples": examples,
    }
    write_json(os.path.join(out, "summary.json"), summary, indent=2)
    return summary


# --- reading shards ----------------------------------------------------------


def shard_paths(folder: str, split: str) -> list[str]:
    """The shard files of one split (``train`` or ``val``), sorted."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"no data folder {folder!r}: run `goagent sl prepare SOURCES --out {folder}`")
    names = sorted(f for f in os.listdir(folder) if f.startswith(split + "-") and f.endswith(".npz"))
    return [os.path.join(folder, f) for f in names if not f.endswith(".tmp.npz")]


def load_examples(path: str) -> dict[str, np.ndarray]:
    """Load an examples file (no pickles), checking its format."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, zlib.error) as err:
        raise ValueError(f"{path}: not a readable examples file ({err}); delete it, make it again") from None
    version = int(arrays.get("format_version", -1))
    if "stones" in arrays:  # a self-play game of the first layout (its own format 1)
        run = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(path))))
        raise ValueError(
            f"{path}: a self-play game in the old example layout; convert the run with "
            f"`goagent selfplay convert --run {run}` (it rewrites the games from their .sgf files)"
        )
    if version not in _READABLE_VERSIONS:
        raise ValueError(
            f"{path}: examples of format {version}, this goagent reads {EXAMPLE_FORMAT_VERSION}: "
            "prepare the data again with this version"
        )
    return arrays


def merge_shards(paths: list[str]) -> dict[str, np.ndarray]:
    """Concatenate examples files into one position table (game indices made global)."""
    if not paths:
        raise ValueError("no shards to load")
    return merge_examples([load_examples(p) for p in paths])


def merge_examples(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate loaded examples files (``load_examples``), game indices made global."""
    sizes = {int(p["size"]) for p in parts}
    if len(sizes) != 1:
        raise ValueError(f"shards mix board sizes {sorted(sizes)}")
    searched = {"visits" in p for p in parts}
    if len(searched) != 1:
        raise ValueError("these files mix self-play games (visit targets) and SGF shards: train on one kind")
    merged: dict[str, np.ndarray] = {"size": parts[0]["size"]}
    offset_games = 0
    offset_positions = 0
    games, starts = [], []
    for part in parts:
        games.append(part["game"] + offset_games)
        starts.append(part["game_start"] + offset_positions)
        offset_games += len(part["komi"])
        offset_positions += len(part["moves"])
    merged["game"] = np.concatenate(games)
    merged["game_start"] = np.concatenate(starts)
    columns = _PER_POSITION + _TABLE_PER_GAME + (_SEARCH_COLUMNS if searched == {True} else ())
    for key in columns:
        merged[key] = np.concatenate([p[key] for p in parts])
    return merged


# --- batches -----------------------------------------------------------------


class PositionTable:
    """All positions of some examples files in memory, turned into training batches:
    the one target builder, for SL shards and self-play games alike.

    ``batch(indices)`` rebuilds each position's feature planes (history from the
    rows before it in the same game; legal moves by basic rules and simple ko,
    which differs from superko only in positions that repeat) and the targets
    from the side to move's view: the policy (the search's visit distribution,
    full searches only, where the files have one; else the move played), the
    game's outcome, final ownership and score where the game was counted (with
    masks where not).
    """

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.size = int(arrays["size"])
        self.a = arrays
        self.count = len(arrays["moves"])

    @classmethod
    def from_folder(cls, folder: str, split: str) -> PositionTable:
        return cls(merge_shards(shard_paths(folder, split)))

    def __len__(self) -> int:
        return self.count

    @property
    def games(self) -> int:
        return len(self.a["komi"])

    def _stones(self, indices: np.ndarray) -> np.ndarray:
        from goagent.features import HISTORY

        n = self.size
        a = self.a
        starts = a["game_start"][a["game"][indices]]
        stones = np.zeros((len(indices), HISTORY, n * n), np.int8)
        for k in range(HISTORY):
            rows = indices - k
            ok = rows >= starts
            stones[ok, k] = a["boards"][rows[ok]]
        return stones.reshape(len(indices), HISTORY, n, n)

    def _legal(self, indices: np.ndarray) -> np.ndarray:
        from goagent.board import Board

        n = self.size
        a = self.a
        legal = np.zeros((len(indices), n * n), np.bool_)
        for j, i in enumerate(indices):
            board = Board.from_array(a["boards"][i].reshape(n, n))
            mask, _ = board.legal_moves(int(a["to_play"][i]))
            legal[j] = mask[:-1]
            if a["ko"][i] >= 0:
                legal[j, a["ko"][i]] = False
        return legal

    def batch(self, indices: np.ndarray, rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
        """Planes and targets for ``indices``; a random symmetry per position if ``rng``."""
        from goagent import features, symmetry

        n = self.size
        a = self.a
        indices = np.asarray(indices, np.int64)
        games = a["game"][indices]
        to_play = a["to_play"][indices].astype(np.int64)
        planes = features.decode_batch(
            self._stones(indices), to_play, a["komi"][games], a["ko"][indices], self._legal(indices)
        )
        searched = "visits" in a
        policy = a["visits"][indices].astype(np.float32) if searched else a["moves"][indices].astype(np.int64)
        winner = a["winner"][games]
        value = np.where(winner == 0, 0.0, np.where(winner == to_play, 1.0, -1.0)).astype(np.float32)
        sign = np.where(to_play == BLACK, 1.0, -1.0).astype(np.float32)
        owner = a["ownership"][games].astype(np.float32)  # (B, n*n): 1 black, 2 white, 0 unknown/neutral
        owned = np.where(owner == BLACK, 1.0, np.where(owner == WHITE, -1.0, 0.0))
        ownership = (owned * sign[:, None]).reshape(-1, n, n)
        score = np.nan_to_num(a["score"][games] * sign, nan=0.0).astype(np.float32)
        if rng is not None:
            ks = rng.integers(0, 8, len(indices))
            planes = symmetry.apply_planes_each(planes, ks)
            ownership = symmetry.apply_planes_each(ownership, ks)
            if searched:
                policy = symmetry.apply_policy_each(policy, ks, n)  # moves go where the planes went
            else:
                policy = np.stack([symmetry.action_map(k, n) for k in range(8)])[ks, policy]
        extra = {"policy_mask": a["full"][indices].astype(np.float32)} if searched else {}
        return {
            "planes": planes,
            "policy": policy,
            **extra,
            "value": value,
            "value_mask": (winner != 0).astype(np.float32),
            "ownership": ownership.astype(np.float32),
            "score": score,
            "counted_mask": np.isfinite(a["score"][games]).astype(np.float32),
        }
