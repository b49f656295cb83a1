"""GTP wire format: line preprocessing, ids, responses, streamed responses."""

from __future__ import annotations

import io

import pytest

from gtp.protocol import (
    Command,
    GtpError,
    StreamReply,
    clean_line,
    expect,
    failure,
    parse_line,
    parse_player,
    parse_vertex,
    success,
)
from gtp.streams import LineReader, ResponseWriter


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("genmove b", Command("genmove", ["b"], None)),
        ("12 genmove b", Command("genmove", ["b"], 12)),
        ("  PLAY\tB  D4 ", Command("play", ["B", "D4"], None)),
        ("7 play b d4 # a comment", Command("play", ["b", "d4"], 7)),
        ("prot\x01ocol_ver\x7fsion\r", Command("protocol_version", [], None)),
        ("42", Command("", [], 42)),
    ],
)
def test_parse_line(raw, expected):
    assert parse_line(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "\t", "# only a comment", "  # indented comment", "\x00\x1b"])
def test_empty_and_comment_lines_have_no_command(raw):
    assert parse_line(raw) is None


def test_clean_line_keeps_arguments():
    assert clean_line("loadsgf  a b.sgf  ") == "loadsgf  a b.sgf"


def test_responses_with_and_without_id():
    assert success("2") == "= 2\n\n"
    assert success("2", 5) == "=5 2\n\n"
    assert success() == "=\n\n"
    assert failure("illegal move", 3) == "?3 illegal move\n\n"


def test_multiline_response_has_no_empty_line_inside():
    text = success("a\n\nb\n", 1)
    assert text == "=1 a\nb\n\n"
    board = success("\nrow 1\nrow 2")
    assert board == "=\nrow 1\nrow 2\n\n"


def test_stream_reply():
    parts = []
    reply = StreamReply(parts.append, 9)
    reply.line("info move D4  visits 1")
    reply.line("   ")  # never an empty line inside the response
    reply.finish()
    reply.finish()
    assert "".join(parts) == "=9\ninfo move D4 visits 1\n\n"


def test_argument_helpers():
    assert expect(["a"], 1) == ["a"]
    with pytest.raises(GtpError, match="syntax error"):
        expect([], 1)
    assert parse_player("W") == 2 and parse_player("black") == 1
    with pytest.raises(GtpError, match="invalid color"):
        parse_player("red")
    assert parse_vertex("pass", 9) == 81
    assert parse_vertex("a9", 9) == 0
    for bad in ("i5", "z1", "k1", "d0", "4d"):
        with pytest.raises(GtpError, match="invalid coordinate"):
            parse_vertex(bad, 9)


def test_line_reader_splits_on_newline_only_and_survives_bad_bytes():
    reader = LineReader(io.BytesIO(b"a\x0bb\r\n\xff\xfe c\nlast")).start()
    assert reader.get(2) == "a\x0bb\r\n"
    assert reader.get(2).endswith(" c\n")
    assert reader.get(2) == "last"
    assert reader.get(2) is None
    assert reader.get(2) is None  # the end stays the end
    assert reader.pending()


def test_response_writer_text_and_binary():
    text, binary = io.StringIO(), io.BytesIO()
    ResponseWriter(text).write("= 2\n\n")
    ResponseWriter(binary).write("= 2\n\n")
    assert text.getvalue() == "= 2\n\n" and binary.getvalue() == b"= 2\n\n"
