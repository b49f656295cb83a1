"""GTP version 2 wire format: parsing command lines and formatting responses.

A command line is ``[id] command_name [arguments]``.  Before parsing, as the
spec (section 2.2-2.10) asks, control characters other than tab and newline
are dropped, tabs become spaces, and everything from ``#`` on is a comment.
A line left empty gets no response.

A response is ``=[id] text`` (success) or ``?[id] message`` (failure) and
ends with an empty line; the text itself may span several lines but never
contains an empty one.  Handlers report failure by raising ``GtpError``
with one of the spec's messages (the constants below); ``expect``,
``parse_player`` and ``parse_vertex`` check arguments with those messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from goagent.coords import gtp_to_action, parse_color

# Error messages from the GTP specification (and the usual extensions).
UNKNOWN_COMMAND = "unknown command"
SYNTAX_ERROR = "syntax error"
ILLEGAL_MOVE = "illegal move"
CANNOT_UNDO = "cannot undo"
UNACCEPTABLE_SIZE = "unacceptable size"
INVALID_COLOR = "invalid color"
BOARD_NOT_EMPTY = "board not empty"
BAD_VERTEX_LIST = "bad vertex list"
INVALID_STONES = "invalid number of stones"
CANNOT_LOAD = "cannot load file"
CANNOT_SCORE = "cannot score"
INVALID_COORDINATE = "invalid coordinate"

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class GtpError(Exception):
    """A command failed; the message goes after ``?`` in the response."""

    def __init__(self, message: str = SYNTAX_ERROR):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Command:
    """One parsed command line; ``name`` is lower-cased."""

    name: str
    args: list[str] = field(default_factory=list)
    id: int | None = None


def clean_line(raw: str) -> str:
    """Apply the spec's preprocessing: drop control characters and comments, tabs to spaces."""
    text = _CONTROL.sub("", raw.replace("\t", " "))
    hash_at = text.find("#")
    if hash_at >= 0:
        text = text[:hash_at]
    return text.strip()


def parse_line(raw: str) -> Command | None:
    """The command on one input line, or None for an empty or comment-only line.

    A line with an id but no command name parses to the empty name, which no
    handler has: it is answered ``? unknown command`` with its id.
    """
    words = clean_line(raw).split()
    if not words:
        return None
    command_id = None
    if words[0].isascii() and words[0].isdigit():
        command_id = int(words[0])
        words = words[1:]
    if not words:
        return Command("", [], command_id)
    return Command(words[0].lower(), words[1:], command_id)


def expect(args: list[str], count: int) -> list[str]:
    """``args`` if there are exactly ``count`` of them, else GtpError(syntax error)."""
    if len(args) != count:
        raise GtpError(SYNTAX_ERROR)
    return args


def parse_player(text: str) -> int:
    """A colour argument (``b``, ``white``...); GtpError(invalid color) otherwise."""
    try:
        return parse_color(text)
    except ValueError:
        raise GtpError(INVALID_COLOR) from None


def parse_vertex(text: str, size: int) -> int:
    """A vertex argument as an action (``pass`` included); GtpError(invalid coordinate) otherwise."""
    try:
        return gtp_to_action(text, size)
    except ValueError:
        raise GtpError(INVALID_COORDINATE) from None


def _body(text: str) -> str:
    """Response text without empty lines (an empty line ends a response)."""
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    kept = [line for i, line in enumerate(lines) if line or i == 0]
    return "\n".join(kept).rstrip("\n")


def head(ok: bool, command_id: int | None) -> str:
    """``=`` / ``?`` with the command's id, if it had one."""
    return ("=" if ok else "?") + ("" if command_id is None else str(command_id))


def format_response(ok: bool, text: str = "", command_id: int | None = None) -> str:
    """A complete response, ending with the empty line."""
    body = _body(text)
    if body.startswith("\n"):  # multi-line text that starts on the next line (showboard)
        return f"{head(ok, command_id)}{body}\n\n"
    return f"{head(ok, command_id)} {body}".rstrip(" ") + "\n\n"


def success(text: str = "", command_id: int | None = None) -> str:
    return format_response(True, text, command_id)


def failure(message: str, command_id: int | None = None) -> str:
    return format_response(False, message, command_id)


class StreamReply:
    """A success response written line by line (analysis streams).

    ``begin`` writes ``=[id]``; ``line`` writes one non-empty line; ``finish``
    writes the empty line that ends the response.  ``write`` is the writer's
    ``write(text)``.
    """

    def __init__(self, write, command_id: int | None = None):
        self._write = write
        self._id = command_id
        self.started = False
        self.finished = False

    def begin(self) -> None:
        if not self.started:
            self.started = True
            self._write(head(True, self._id) + "\n")

    def line(self, text: str) -> None:
        text = " ".join(text.split())  # one line, never empty: an empty line would end the response
        if text:
            self.begin()
            self._write(text + "\n")

    def finish(self) -> None:
        if self.started and not self.finished:
            self.finished = True
            self._write("\n")
