"""SGF game records in and out, via sgfmill.

``GameRecord`` is the plain-data form of one game: size, komi, handicap, setup
stones, moves as (color, action), players, ranks, result, date and comments.
``read_sgf`` parses bytes (naming the source in every error), ``write_sgf``
serialises, ``iter_sources`` streams SGF files out of files, folders and
``.tar.gz``/``.tgz``/``.tar``/``.zip`` archives, and ``read_records`` turns
those into records, reporting the files it skips and why instead of stopping.
``GameRecord.to_state`` replays a record on a ``GameState``.
"""

from __future__ import annotations

import os
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sgfmill import sgf, sgf_grammar

from goagent.coords import BLACK, WHITE, action_to_sgfmill, sgf_to_action, sgfmill_to_action
from goagent.game import GameState, IllegalMoveError, Move

_COLOR_LETTER = {BLACK: "b", WHITE: "w"}
_LETTER_COLOR = {"b": BLACK, "w": WHITE}
SGF_SUFFIXES = (".sgf",)
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


class SGFError(ValueError):
    """A record that cannot be read; the message names the source and the problem."""


@dataclass
class GameRecord:
    """One game as data.  Actions and colors follow goagent.coords."""

    size: int = 19
    komi: float = 7.5
    handicap: int = 0
    setup_black: list[int] = field(default_factory=list)
    setup_white: list[int] = field(default_factory=list)
    setup_empty: list[int] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    comments: dict[int, str] = field(default_factory=dict)  # 0 = root, k = after move k
    black_player: str = ""
    white_player: str = ""
    black_rank: str = ""
    white_rank: str = ""
    result: str = ""
    date: str = ""
    rules: str = ""
    properties: dict[str, str] = field(default_factory=dict)  # other root properties to write
    source: str = ""

    @property
    def winner(self) -> int | None:
        """BLACK or WHITE from the RE property, None for draws, void or unknown."""
        text = self.result.strip().upper()
        if text.startswith("B+"):
            return BLACK
        if text.startswith("W+"):
            return WHITE
        return None

    @property
    def score(self) -> float | None:
        """Black-minus-white margin from RE (``B+3.5`` -> 3.5), None if not a count."""
        text = self.result.strip().upper()
        try:
            margin = float(text[2:])
        except ValueError:
            return 0.0 if text in ("0", "DRAW", "JIGO") else None
        return margin if text.startswith("B+") else -margin

    @property
    def uses_superko(self) -> bool:
        """False for Japanese and Korean rules (simple ko; a repetition is no result)."""
        rules = self.rules.strip().lower()
        return not rules.startswith(("jap", "kor"))

    def to_state(self, moves: int | None = None, superko: bool | None = None) -> GameState:
        """Replay the setup and the first ``moves`` moves (all by default).

        ``superko`` defaults to the record's rules (see ``uses_superko``).
        Raises SGFError naming the move if a recorded move is illegal.
        """
        superko = self.uses_superko if superko is None else superko
        state = GameState(self.size, self.komi, superko=superko)
        try:
            if self.handicap >= 2 and not self.setup_white and len(self.setup_black) == self.handicap:
                state.place_handicap(self.setup_black)
            elif self.setup_black or self.setup_white or self.setup_empty:
                state.setup(self.setup_black, self.setup_white, self.setup_empty, handicap=self.handicap)
        except ValueError as err:
            raise SGFError(f"{self.source or 'record'}: bad setup stones: {err}") from None
        if self.moves:
            state.set_to_play(self.moves[0].color)
        for number, move in enumerate(self.moves[:moves], start=1):
            try:
                state.play(move.action, move.color)
            except IllegalMoveError as err:
                raise SGFError(f"{self.source or 'record'}: move {number} is illegal: {err}") from None
        return state


def _root_text(root, identifier: str) -> str:
    try:
        return root.get(identifier) if root.has_property(identifier) else ""
    except ValueError:
        return ""


def read_sgf(data: bytes | str, source: str = "") -> GameRecord:
    """Parse one SGF game (the main line).  Raises SGFError on malformed input."""
    where = source or "SGF"
    try:
        game = sgf.Sgf_game.from_bytes(data) if isinstance(data, bytes) else sgf.Sgf_game.from_string(data)
    except ValueError as err:
        raise SGFError(f"{where}: not a readable SGF game: {err}") from None
    try:
        size = game.get_size()
        if not 2 <= size <= 25:
            raise SGFError(f"{where}: board size {size} is not supported (2 to 25)")
        root = game.get_root()
        record = GameRecord(size=size, source=source)
        record.komi = float(game.get_komi())
        record.handicap = game.get_handicap() or 0
        black, white, empty = root.get_setup_stones()
        record.setup_black = sorted(sgfmill_to_action(p, size) for p in black)
        record.setup_white = sorted(sgfmill_to_action(p, size) for p in white)
        record.setup_empty = sorted(sgfmill_to_action(p, size) for p in empty)
        record.black_player = _root_text(root, "PB")
        record.white_player = _root_text(root, "PW")
        record.black_rank = _root_text(root, "BR")
        record.white_rank = _root_text(root, "WR")
        record.result = _root_text(root, "RE")
        record.date = _root_text(root, "DT")
        record.rules = _root_text(root, "RU")
        if root.has_property("C"):
            record.comments[0] = root.get("C")
        for node in game.get_main_sequence()[1:]:
            color_letter, point = _node_move(node, size)
            if color_letter is None:
                if node.has_setup_stones():
                    raise SGFError(f"{where}: setup stones after the first move are not supported")
                continue
            record.moves.append(Move(_LETTER_COLOR[color_letter], point))
            if node.has_property("C"):
                record.comments[len(record.moves)] = node.get("C")
    except SGFError as err:
        if str(err).startswith(where):
            raise
        raise SGFError(f"{where}: {err}") from None
    except (ValueError, KeyError, IndexError) as err:
        raise SGFError(f"{where}: malformed record: {err}") from None
    return record


def _node_move(node, size: int) -> tuple[str | None, int]:
    """(color letter, action) of a node's move; raw values so 'tt' reads as pass."""
    for letter in ("b", "w"):
        key = letter.upper()
        if node.has_property(key):
            raw = node.get_raw(key).decode("ascii", "replace")
            try:
                return letter, sgf_to_action(raw, size)
            except ValueError:
                raise SGFError(f"bad move {key}[{raw}]") from None
    return None, -1


def write_sgf(record: GameRecord) -> bytes:
    """Serialise a record as SGF FF[4] (UTF-8)."""
    game = sgf.Sgf_game(record.size)
    root = game.get_root()
    root.set("KM", record.komi)
    if record.handicap:
        root.set("HA", record.handicap)
    for key, value in (
        ("PB", record.black_player),
        ("PW", record.white_player),
        ("BR", record.black_rank),
        ("WR", record.white_rank),
        ("RE", record.result),
        ("DT", record.date),
        ("RU", record.rules),
    ):
        if value:
            root.set(key, value)
    for key, value in record.properties.items():
        root.set_raw(key, sgf_grammar.escape_text(str(value).encode("utf-8")))
    size = record.size
    if record.setup_black or record.setup_white or record.setup_empty:
        root.set_setup_stones(
            [action_to_sgfmill(a, size) for a in record.setup_black],
            [action_to_sgfmill(a, size) for a in record.setup_white],
            [action_to_sgfmill(a, size) for a in record.setup_empty],
        )
    if record.comments.get(0):
        root.set("C", record.comments[0])
    node = root
    for number, move in enumerate(record.moves, start=1):
        node = node.new_child()
        node.set_move(_COLOR_LETTER[move.color], action_to_sgfmill(move.action, size))
        if record.comments.get(number):
            node.set("C", record.comments[number])
    return game.serialise()


def record_from_state(state: GameState, **info) -> GameRecord:
    """A record of a game played on ``state``; ``info`` sets GameRecord fields (players, result...)."""
    colors = state.initial_position().reshape(-1)
    record = GameRecord(size=state.size, komi=state.komi, handicap=state.handicap)
    record.setup_black = [int(a) for a in (colors == BLACK).nonzero()[0]]
    record.setup_white = [int(a) for a in (colors == WHITE).nonzero()[0]]
    record.moves = list(state.moves)
    if state.is_over and "result" not in info:
        record.result = state.result()
    for key, value in info.items():
        setattr(record, key, value)
    return record


# --- bulk reading ------------------------------------------------------------


def _is_sgf(name: str) -> bool:
    return name.lower().endswith(SGF_SUFFIXES)


def _is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def iter_sources(sources: Iterable[str]) -> Iterator[tuple[str, bytes]]:
    """Yield ``(name, bytes)`` for every SGF file in files, folders and archives.

    Archives are streamed in place (never extracted to disk); names look like
    ``archive.tar.gz:inner/path.sgf``.  A missing path raises FileNotFoundError.
    """
    for source in sources:
        if os.path.isdir(source):
            for folder, dirs, files in os.walk(source):
                dirs.sort()
                for name in sorted(files):
                    path = os.path.join(folder, name)
                    if _is_sgf(name) or _is_archive(name):
                        yield from iter_sources([path])
        elif not os.path.exists(source):
            raise FileNotFoundError(f"no such file or folder: {source}")
        elif source.lower().endswith(".zip"):
            with zipfile.ZipFile(source) as archive:
                for info in archive.infolist():
                    if _is_sgf(info.filename):
                        yield f"{source}:{info.filename}", archive.read(info)
        elif _is_archive(source):
            with tarfile.open(source, "r:*") as archive:
                for member in archive:
                    if member.isfile() and _is_sgf(member.name):
                        handle = archive.extractfile(member)
                        yield f"{source}:{member.name}", handle.read()
        else:
            with open(source, "rb") as handle:
                yield source, handle.read()


def read_records(
    sources: Iterable[str], skipped: list[tuple[str, str]] | None = None
) -> Iterator[GameRecord]:
    """Records from every SGF in ``sources``; unreadable ones are appended to
    ``skipped`` as ``(name, reason)`` and reading goes on."""
    for name, data in iter_sources(sources):
        try:
            yield read_sgf(data, name)
        except SGFError as err:
            if skipped is None:
                raise
            skipped.append((name, str(err)))


def load_sgf(path: str) -> GameRecord:
    """Read one ``.sgf`` file."""
    with open(path, "rb") as handle:
        return read_sgf(handle.read(), path)
