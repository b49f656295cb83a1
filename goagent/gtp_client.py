"""The controller side of GTP: drive an engine running as a subprocess.

``GtpProcess(argv)`` starts an engine with pipes (as a GUI does);
``send(command)`` writes one line and returns the parsed ``Response``
(``ok``, ``text``, and the raw ``lines`` of the response, e.g. analysis
``info`` lines); ``ask`` is ``send`` for commands that must succeed;
``quit`` ends the engine.  The one GTP client of the project: matches,
gates and ``gtp.referee`` all play through it (``goagent.engine_game``).

The engine's output is read by a daemon thread into a queue, so every read
can time out (a hung engine becomes a ``GtpFailure``, not a hung match).
"""

from __future__ import annotations

import shlex
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import BinaryIO

_EOF = object()


class GtpFailure(RuntimeError):
    """An engine answered ``?``, died, could not start, or did not answer in time."""


@dataclass
class Response:
    ok: bool
    text: str  # the text after "=" / "?" and on the following lines
    lines: list[str] = field(default_factory=list)  # the response's lines, first one included
    seconds: float = 0.0


class LineReader:
    """Lines of a binary stream (with their ``\\n``), read ahead by a daemon thread.

    Both ends of GTP read through it: this client reads an engine's stdout, and
    the engine (``gtp.server``) reads its controller's stdin, where a running
    search asks ``pending()`` to stop streaming analysis as soon as the next
    command arrives.  Lines are split on ``\\n`` only and decoded leniently
    (bad bytes never stop a reader)."""

    def __init__(self, stream: BinaryIO, name: str = "gtp-reader"):
        self._stream = stream
        self._lines: deque = deque()
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._read, name=name, daemon=True)

    def start(self) -> LineReader:
        self._thread.start()
        return self

    def _read(self) -> None:
        try:
            for raw in iter(self._stream.readline, b""):
                self._push(raw.decode("utf-8", "replace"))
        except (OSError, ValueError):  # closed under us: the same as end of output
            pass
        self._push(_EOF)

    def _push(self, item) -> None:
        with self._ready:
            self._lines.append(item)
            self._ready.notify_all()

    def pending(self) -> bool:
        """True when a line (or the end of input) is waiting."""
        return bool(self._lines)

    def wait(self, timeout: float | None) -> bool:
        """Wait up to ``timeout`` seconds for input; True if some is pending."""
        with self._ready:
            return self._ready.wait_for(lambda: bool(self._lines), timeout)

    def get(self, timeout: float | None = None) -> str | None:
        """The next line; None at end of output.  Raises TimeoutError if none came in time."""
        with self._ready:
            if not self._ready.wait_for(lambda: bool(self._lines), timeout):
                raise TimeoutError
            item = self._lines[0]
            if item is _EOF:
                return None  # stays queued: every later read sees the end too
            return self._lines.popleft()


class GtpProcess:
    """A GTP engine in a subprocess, spoken to line by line."""

    def __init__(self, argv: list[str] | str, cwd: str | None = None, stderr=subprocess.DEVNULL):
        self.argv = shlex.split(argv) if isinstance(argv, str) else list(argv)
        if not self.argv:
            raise GtpFailure("no engine command given")
        pipe = subprocess.PIPE
        try:
            self.proc = subprocess.Popen(self.argv, stdin=pipe, stdout=pipe, stderr=stderr, cwd=cwd)
        except OSError as err:
            raise GtpFailure(f"cannot start {self.argv[0]!r}: {err}") from None
        self.reader = LineReader(self.proc.stdout, "gtp-client-reader").start()
        self._commands: set[str] | None = None

    def write(self, line: str) -> None:
        try:
            self.proc.stdin.write(line.encode("utf-8") + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise GtpFailure(f"{self.argv[0]}: the engine closed its input") from None

    def read_response(self, timeout: float | None = 60.0) -> Response:
        """The next complete response (lines before its ``=``/``?`` are skipped)."""
        start = time.monotonic()
        lines: list[str] = []
        while True:
            left = None if timeout is None else max(0.0, timeout - (time.monotonic() - start))
            try:
                raw = self.reader.get(left)
            except TimeoutError:
                raise GtpFailure(f"{self.argv[0]}: no answer within {timeout} s") from None
            if raw is None:
                code = self.proc.poll()
                raise GtpFailure(f"{self.argv[0]}: the engine closed its output (exit code {code})")
            line = raw.rstrip("\r\n")
            if not lines:
                if line[:1] in ("=", "?"):
                    lines.append(line)
                continue
            if line == "":
                break
            lines.append(line)
        first = lines[0][1:].lstrip("0123456789")
        text = "\n".join([first.strip(), *lines[1:]]).strip()
        return Response(lines[0][0] == "=", text, lines, time.monotonic() - start)

    def send(self, command: str, timeout: float | None = 60.0) -> Response:
        self.write(command)
        return self.read_response(timeout)

    def ask(self, command: str, timeout: float | None = 60.0) -> str:
        """Send a command that must succeed; its text.  GtpFailure on ``?``."""
        response = self.send(command, timeout)
        if not response.ok:
            raise GtpFailure(f"{self.argv[0]}: {command!r} -> ? {response.text}")
        return response.text

    @property
    def commands(self) -> set[str]:
        """The engine's ``list_commands`` (asked once)."""
        if self._commands is None:
            response = self.send("list_commands")
            self._commands = set(response.text.split()) if response.ok else set()
        return self._commands

    def quit(self, timeout: float = 5.0) -> int:
        """Send ``quit`` and wait for the process; kill it if it lingers.  Its exit code."""
        try:
            if self.proc.poll() is None:
                self.send("quit", timeout)
        except (GtpFailure, OSError):
            pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()
