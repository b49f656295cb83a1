"""Input and output channels of the GTP engine.

``LineReader`` reads the controller's lines on a background thread into a
queue, so a running search can ask ``pending()`` and stop streaming analysis
as soon as the next command arrives (the line stays queued and is handled
next).  Lines are split on ``\\n`` only and decoded leniently (bad bytes never
stop the engine).  ``None`` from ``get`` means end of input.

``ResponseWriter`` writes whole responses (or the lines of a streamed one)
under a lock and flushes each, so the controller sees them at once.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import BinaryIO, TextIO

_EOF = object()


class LineReader:
    """Lines from a binary stream, read ahead by a daemon thread."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._lines: deque = deque()
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._read, name="gtp-stdin", daemon=True)

    def start(self) -> LineReader:
        self._thread.start()
        return self

    def _push(self, item) -> None:
        with self._ready:
            self._lines.append(item)
            self._ready.notify_all()

    def _read(self) -> None:
        try:
            for raw in iter(self._stream.readline, b""):
                self._push(raw.decode("utf-8", "replace"))
        except (OSError, ValueError):  # closed under us: same as end of input
            pass
        self._push(_EOF)

    def pending(self) -> bool:
        """True when a line (or the end of input) is waiting."""
        return bool(self._lines)

    def wait(self, timeout: float | None) -> bool:
        """Wait up to ``timeout`` seconds for input; True if some is pending."""
        with self._ready:
            return self._ready.wait_for(lambda: bool(self._lines), timeout)

    def get(self, timeout: float | None = None) -> str | None:
        """The next line; None at end of input.  Raises TimeoutError if none came in time."""
        with self._ready:
            if not self._ready.wait_for(lambda: bool(self._lines), timeout):
                raise TimeoutError
            item = self._lines[0]
            if item is _EOF:
                return None  # leave the marker: every later call sees the end too
            return self._lines.popleft()


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
