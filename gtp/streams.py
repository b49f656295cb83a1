"""Input and output channels of the GTP engine.

``LineReader`` (``goagent.gtp_client``'s, the one line reader of both ends
of GTP) reads the controller's lines on a background thread into a
queue, so a running search can ask ``pending()`` and stop streaming analysis
as soon as the next command arrives (the line stays queued and is handled
next).  Lines are split on ``\\n`` only and decoded leniently (bad bytes never
stop the engine).  ``None`` from ``get`` means end of input.

``ResponseWriter`` writes whole responses (or the lines of a streamed one)
under a lock and flushes each, so the controller sees them at once.
"""

from __future__ import annotations

import threading
from typing import BinaryIO, TextIO

from goagent.gtp_client import LineReader

__all__ = ["LineReader", "ResponseWriter"]


class ResponseWriter:
    """Writes protocol text to the controller, flushing after each piece."""

    def __init__(self, stream: TextIO | BinaryIO):
        self._stream = stream
        self._binary = not hasattr(stream, "encoding")
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            try:
                self._stream.write(text.encode("utf-8") if self._binary else text)
                self._stream.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass  # the controller went away; the input side will see the end
