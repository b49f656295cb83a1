"""SGF reading and writing: properties, passes, setup, archives, errors."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest

from goagent.coords import BLACK, WHITE, gtp_to_action
from goagent.game import GameState, Move
from goagent.sgf import GameRecord, SGFError, read_records, read_sgf, record_from_state, write_sgf

GAME = (
    b"(;GM[1]FF[4]SZ[9]KM[6.5]PB[Alice]PW[Bob]BR[6d]WR[7d]RE[W+R]DT[2024-01-02]RU[Chinese]C[root note]"
    b";B[ee];W[cc]C[a comment];B[];W[tt];B[gc])"
)


def v(vertex: str, size: int = 9) -> int:
    return gtp_to_action(vertex, size)


def test_read_properties_moves_and_passes():
    record = read_sgf(GAME, "game.sgf")
    assert (record.size, record.komi, record.handicap) == (9, 6.5, 0)
    assert (record.black_player, record.white_player) == ("Alice", "Bob")
    assert (record.black_rank, record.white_rank, record.result) == ("6d", "7d", "W+R")
    assert record.date == "2024-01-02" and record.winner == WHITE
    assert record.comments == {0: "root note", 2: "a comment"}
    assert record.moves == [
        Move(BLACK, v("E5")),
        Move(WHITE, v("C7")),
        Move(BLACK, 81),  # B[] is a pass
        Move(WHITE, 81),  # W[tt] is a pass on boards up to 19x19
        Move(BLACK, v("G7")),
    ]


def test_write_then_read_round_trip():
    record = read_sgf(GAME, "game.sgf")
    again = read_sgf(write_sgf(record), "again.sgf")
    for field in ("size", "komi", "moves", "comments", "black_player", "white_rank", "result", "date"):
        assert getattr(again, field) == getattr(record, field), field


def test_handicap_setup_makes_white_move_first():
    data = b"(;SZ[19]KM[0.5]HA[2]AB[dp][pd];W[qp];B[dd])"
    record = read_sgf(data)
    assert record.handicap == 2
    state = record.to_state(0)
    assert state.handicap == 2 and state.to_play == WHITE
    state = record.to_state()
    assert state.board.color_at(gtp_to_action("D4", 19)) == BLACK
    assert state.board.color_at(gtp_to_action("R4", 19)) == WHITE


def test_record_from_state_keeps_handicap_and_result():
    state = GameState(9, komi=0.5, handicap=2)
    state.play(v("E5"))
    state.pass_move()
    state.pass_move()
    record = record_from_state(state, black_player="b", white_player="w")
    assert record.setup_black == sorted(state.initial_position().reshape(-1).nonzero()[0].tolist())
    assert record.result == state.result()
    back = read_sgf(write_sgf(record)).to_state()
    assert (back.board.to_array() == state.board.to_array()).all()


@pytest.mark.parametrize(
    "data, words",
    [
        (b"this is not sgf", "not a readable SGF"),
        (b"(;SZ[40];B[aa])", "size out of range: 40"),
        (b"(;SZ[9];B[zz])", "bad move"),
    ],
)
def test_malformed_records_name_the_file_and_problem(data, words):
    with pytest.raises(SGFError) as info:
        read_sgf(data, "broken.sgf")
    assert "broken.sgf" in str(info.value) and words in str(info.value)


def test_illegal_recorded_move_is_named():
    record = read_sgf(b"(;SZ[9];B[ee];W[ee])", "dup.sgf")
    with pytest.raises(SGFError, match="dup.sgf: move 2 is illegal"):
        record.to_state()


def test_bulk_reading_from_archives_reports_skipped(tmp_path):
    good = GAME
    bad = b"(;SZ[9]"
    tar_path = tmp_path / "games.tar.gz"
    with tarfile.open(tar_path, "w:gz") as archive:
        for name, data in (("a/one.sgf", good), ("a/broken.sgf", bad), ("readme.txt", b"hi")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    zip_path = tmp_path / "games.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("two.sgf", good)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "three.sgf").write_bytes(good)
    skipped: list[tuple[str, str]] = []
    records = list(read_records([str(tar_path), str(zip_path), str(folder)], skipped))
    assert len(records) == 3
    assert [name for name, _ in skipped] == [f"{tar_path}:a/broken.sgf"]
    assert "not a readable SGF" in skipped[0][1]


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        list(read_records([str(tmp_path / "nope.sgf")], []))


def test_default_record_fields():
    assert GameRecord().size == 19 and GameRecord().winner is None
